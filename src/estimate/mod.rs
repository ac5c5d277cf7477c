//! When a running task's run will end: an estimate from the project's own
//! finished runs of the same kind (a first run, a rework run, a review),
//! conditioned on what is known now — the step the run is in and how long it
//! has been in it — and given as absolute instants that stay put from tick to
//! tick. Pure: past runs in, an estimate out.
//!
//! The method, for a run in step `s` that entered it at `t_s` and has been in
//! it for `e`: of the past runs that reached `s`, those whose step `s` lasted
//! longer than `e` are the ones this run can still be like; each says the run
//! ends at `t_s + (its time from entering s to its end)`. Where those ends
//! are densest ([`center`]) is the expected end; the band is the pair of order statistics that holds a new
//! run's end with probability at least [`COVERAGE`] when runs are
//! exchangeable (a conformal interval), so it is as wide as the project's own
//! spread and no wider. The set only changes when `e` passes a past run's
//! duration, so the estimate moves in steps, not with the clock. When fewer
//! than [`MIN_RUNS`] past runs lasted as long in this step, the set stays at
//! the longest [`MIN_RUNS`]: the estimate stops moving, and once the run is
//! past the band's end it is `overdue`.

pub mod calibration;

use crate::decision::timeline::ReviewSpan;
use crate::decision::Phase;
use crate::evidence::run::{Outcome, Run};
use crate::step::{Step, TOTAL_STEPS};
use crate::time::Instant;

/// Finished runs of a kind needed before an estimate is given (with fewer, a
/// band holding the end 80 % of the time cannot be drawn from them).
pub const MIN_RUNS: usize = 9;
/// How often the band should hold the real end.
pub const COVERAGE: f64 = 0.8;

impl RunKind {
    /// The kind of run going in a running attempt of `phase`.
    pub fn of(phase: Phase) -> RunKind {
        match phase {
            Phase::Worker => RunKind::First,
            Phase::Rework => RunKind::Rework,
            Phase::Review => RunKind::Review,
        }
    }
}

/// What kind of run a run is: their lengths differ.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RunKind {
    /// A worker's run of the pipeline for an IN_PROGRESS task.
    First,
    /// A rework run after review rejected the task.
    Rework,
    /// The review worker's review of a DONE task.
    Review,
}

/// A finished run, as the estimate uses it: when it entered each step (ms
/// after its start; `None` for a step it skipped or did not mention) and when
/// it ended. Kept small (a project's every finished run is held): times of
/// up to 49 days, a longer run's saturate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PastRun {
    pub kind: RunKind,
    /// When it began (epoch milliseconds): the most recent runs count.
    pub began_ms: i64,
    /// Milliseconds from the run's start to its entering each step.
    pub entered: [Option<u32>; TOTAL_STEPS],
    /// Milliseconds from the run's start to its end.
    pub ended: u32,
}

impl PastRun {
    /// A run that completed (`[complete] success`), as a past run of `kind`
    /// (its rework flag makes a worker run a rework); `None` for one that
    /// failed, stopped or goes on.
    pub fn of_run(run: &Run, kind: RunKind) -> Option<PastRun> {
        let Outcome::Completed { at: Some(end) } = run.outcome() else {
            return None;
        };
        let start = run.first_at()?;
        let ms = |t: Instant| ms_u32((t - start).num_milliseconds());
        let entered = Step::ALL.map(|step| {
            let marks = run.marks(step);
            marks
                .first_at
                .filter(|_| marks.mentioned && !marks.only_skipped)
                .map(ms)
        });
        let kind = if kind == RunKind::First && run.is_rework() {
            RunKind::Rework
        } else {
            kind
        };
        Some(PastRun {
            kind,
            began_ms: start.timestamp_millis(),
            entered,
            ended: ms(*end),
        })
    }

    /// A review that ended with a verdict, as a past review.
    pub fn of_review(review: &ReviewSpan) -> Option<PastRun> {
        let (start, end) = review.started_at.zip(review.ended_at).filter(|_| !review.failed)?;
        let mut entered = [None; TOTAL_STEPS];
        entered[Step::AutoReview.index()] = Some(0);
        Some(PastRun {
            kind: RunKind::Review,
            began_ms: start.timestamp_millis(),
            entered,
            ended: ms_u32((end - start).num_milliseconds()),
        })
    }

    /// When the run entered `step` or, having skipped it, the next step it
    /// entered (ms after its start).
    fn entered_from(&self, step: Step) -> Option<u64> {
        self.entered[step.index()..]
            .iter()
            .flatten()
            .next()
            .map(|&ms| u64::from(ms))
    }

    /// How long it stayed in `step` (0 for a step it skipped), and how long it
    /// ran from entering `step` to its end.
    fn from(&self, step: Step) -> Option<(u64, u64)> {
        let at = self.entered_from(step)?;
        let next = self.entered[step.index() + 1..]
            .iter()
            .flatten()
            .next()
            .map_or(u64::from(self.ended), |&ms| u64::from(ms));
        let in_step = if self.entered[step.index()].is_some() {
            next.saturating_sub(at)
        } else {
            0
        };
        Some((in_step, u64::from(self.ended).saturating_sub(at)))
    }
}

/// Milliseconds as a [`PastRun`] keeps them.
fn ms_u32(ms: i64) -> u32 {
    ms.clamp(0, i64::from(u32::MAX)) as u32
}

/// Where a running run is.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Position {
    pub kind: RunKind,
    pub step: Step,
    /// When it entered its step.
    pub step_started_at: Instant,
}

/// When the run is expected to end.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Estimate {
    pub expected_end_at: Instant,
    pub low_at: Instant,
    pub high_at: Instant,
    /// How many past runs the estimate rests on.
    pub basis_runs: usize,
    /// The run has gone on past `high_at`.
    pub overdue: bool,
}

/// Most recent finished runs of a kind an estimate rests on: the project's
/// recent runs say more of the next one than its first ones did.
pub const RECENT_RUNS: usize = 400;

/// The estimate for a run at `position` at `now`, from `history` (the
/// project's finished runs, of every kind); `None` with fewer than
/// [`MIN_RUNS`] finished runs of its kind that reached its step. (What
/// [`Basis::estimate`] answers in a lookup, written plainly.)
#[cfg(test)]
pub fn estimate(history: &[PastRun], position: Position, now: Instant) -> Option<Estimate> {
    let elapsed = elapsed_ms(position, now);
    let spans = spans_from(history, position.kind, position.step);
    let (to_end, basis) = conditioned(&spans, elapsed)?;
    let (low, high) = band(to_end.len());
    Some(at(position, now, (to_end[low], center(&to_end), to_end[high]), basis))
}

fn elapsed_ms(position: Position, now: Instant) -> u64 {
    (now - position.step_started_at).num_milliseconds().max(0) as u64
}

/// The estimate whose (low, expected, high) times from entering the step are `ms`.
fn at(position: Position, now: Instant, ms: (u64, u64, u64), basis_runs: usize) -> Estimate {
    let at = |ms: u64| position.step_started_at + chrono::TimeDelta::milliseconds(ms.min(i64::MAX as u64) as i64);
    let high_at = at(ms.2);
    Estimate {
        expected_end_at: at(ms.1),
        low_at: at(ms.0),
        high_at,
        basis_runs,
        overdue: now > high_at,
    }
}

/// A project's finished runs made ready to estimate from in a lookup: for
/// each kind and step, the runs by how long they stayed in the step (longest
/// first), and for each count of them the band and center of their times to
/// the end. Built once per change of the history; an estimate is then a
/// binary search.
#[derive(Clone, Debug, Default)]
pub struct Basis {
    tables: std::collections::HashMap<(RunKind, Step), Table>,
}

#[derive(Clone, Debug)]
struct Table {
    /// Time in the step of each run, longest first.
    in_step: Vec<u64>,
    /// For the `k` longest (k >= MIN_RUNS): (low, center, high) of their times to the end.
    ends: Vec<(u64, u64, u64)>,
}

impl Basis {
    /// The basis of `history`: its [`RECENT_RUNS`] most recent runs of each kind.
    pub fn new(history: &[PastRun]) -> Basis {
        let mut tables = std::collections::HashMap::new();
        let mut recent: Vec<&PastRun> = history.iter().collect();
        recent.sort_by_key(|r| std::cmp::Reverse(r.began_ms));
        for kind in [RunKind::First, RunKind::Rework, RunKind::Review] {
            let runs: Vec<&PastRun> = recent
                .iter()
                .copied()
                .filter(|r| r.kind == kind)
                .take(RECENT_RUNS)
                .collect();
            for step in Step::ALL {
                let mut spans: Vec<(u64, u64)> = runs.iter().filter_map(|r| r.from(step)).collect();
                if spans.len() < MIN_RUNS {
                    continue;
                }
                spans.sort_by_key(|(in_step, to_end)| (std::cmp::Reverse(*in_step), std::cmp::Reverse(*to_end)));
                let mut sorted: Vec<u64> = Vec::with_capacity(spans.len());
                let mut ends = Vec::with_capacity(spans.len());
                for &(_, to_end) in &spans {
                    let at = sorted.partition_point(|&x| x < to_end);
                    sorted.insert(at, to_end);
                    if sorted.len() >= MIN_RUNS {
                        let (low, high) = band(sorted.len());
                        ends.push((sorted[low], center(&sorted), sorted[high]));
                    }
                }
                let in_step = spans.iter().map(|s| s.0).collect();
                tables.insert((kind, step), Table { in_step, ends });
            }
        }
        Basis { tables }
    }

    /// The same as [`estimate`] on the runs this basis was built from.
    pub fn estimate(&self, position: Position, now: Instant) -> Option<Estimate> {
        let table = self.tables.get(&(position.kind, position.step))?;
        let elapsed = elapsed_ms(position, now);
        // Runs that stayed in the step longer than this one has so far, at least MIN_RUNS.
        let longer = table.in_step.partition_point(|&d| d > elapsed).max(MIN_RUNS);
        let ms = table.ends[longer - MIN_RUNS];
        Some(at(position, now, ms, table.in_step.len()))
    }

    /// Bytes it holds (for the cache budget).
    pub fn bytes(&self) -> usize {
        self.tables
            .values()
            .map(|t| 8 * t.in_step.capacity() + 24 * t.ends.capacity() + 64)
            .sum()
    }
}

/// (time in `step`, time from entering `step` to the end) of every run of `kind` that reached `step`.
#[cfg(test)]
fn spans_from(history: &[PastRun], kind: RunKind, step: Step) -> Vec<(u64, u64)> {
    history
        .iter()
        .filter(|r| r.kind == kind)
        .filter_map(|r| r.from(step))
        .collect()
}

/// The past runs' times to their end (sorted) that a run `elapsed` into its
/// step can still be like, and how many runs of its kind reached the step.
fn conditioned(spans: &[(u64, u64)], elapsed: u64) -> Option<(Vec<u64>, usize)> {
    if spans.len() < MIN_RUNS {
        return None;
    }
    let mut longer: Vec<&(u64, u64)> = spans.iter().filter(|(in_step, _)| *in_step > elapsed).collect();
    if longer.len() < MIN_RUNS {
        // Past most of the project's runs in this step: the longest of them.
        let mut by_step: Vec<&(u64, u64)> = spans.iter().collect();
        by_step.sort_by_key(|(in_step, to_end)| (std::cmp::Reverse(*in_step), std::cmp::Reverse(*to_end)));
        by_step.truncate(MIN_RUNS);
        longer = by_step;
    }
    let mut to_end: Vec<u64> = longer.iter().map(|(_, to_end)| *to_end).collect();
    to_end.sort_unstable();
    Some((to_end, spans.len()))
}

/// The indices (0-based, into `n` sorted values) of the band's ends: the
/// order statistics `i < j` with `(j - i) / (n + 1) >= COVERAGE`, as central
/// as they can be.
fn band(n: usize) -> (usize, usize) {
    let outside = ((1.0 - COVERAGE) * (n + 1) as f64).floor() as usize;
    let low = (outside / 2).max(1);
    let high = (n + 1).saturating_sub(outside - outside / 2).min(n).max(low);
    (low - 1, high - 1)
}

/// Where the ends are densest: the middle of the shortest span holding half
/// of them (the "shorth"; with several equally short, the middle of all of
/// them, so evenly spread ends give their median). For runs skewed long, as
/// AI runs are, it sits where most runs end rather than pulled out by the
/// slow ones, and it is the end that is off by the least for half of the runs.
fn center(sorted: &[u64]) -> u64 {
    let half = sorted.len().div_ceil(2).max(1);
    let width = |w: &[u64]| w[half - 1] - w[0];
    let Some(shortest) = sorted.windows(half).map(width).min() else {
        return 0;
    };
    let mut spans = sorted.windows(half).filter(|w| width(w) == shortest);
    let first = spans.next().map_or(0, |w| w[0]);
    let last = spans.next_back().map_or(first + shortest, |w| w[half - 1]);
    (first + last) / 2
}

fn median(sorted: &[u64]) -> u64 {
    let n = sorted.len();
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn at(sec: i64) -> Instant {
        Utc.with_ymd_and_hms(2026, 10, 24, 1, 0, 0).unwrap() + chrono::TimeDelta::seconds(sec)
    }

    /// A first run: 1 s to fetch, 1 s to assign, `ai` s of AI, 5 s of report, 1 s to finish.
    fn run(ai: u32) -> PastRun {
        let s = |sec: u32| Some(sec * 1000);
        PastRun {
            kind: RunKind::First,
            began_ms: 0,
            entered: [s(0), s(1), None, s(2), s(2 + ai), s(7 + ai), None],
            ended: (8 + ai) * 1000,
        }
    }

    fn history(ais: &[u32]) -> Vec<PastRun> {
        ais.iter().map(|&ai| run(ai)).collect()
    }

    fn in_ai(started: i64) -> Position {
        Position {
            kind: RunKind::First,
            step: Step::ExecuteTask,
            step_started_at: at(started),
        }
    }

    #[test]
    fn no_history_or_too_little_gives_no_estimate() {
        for (runs, estimated) in [(0, false), (1, false), (MIN_RUNS - 1, false), (MIN_RUNS, true)] {
            let e = estimate(&history(&vec![60; runs]), in_ai(0), at(10));
            assert_eq!(e.is_some(), estimated, "{runs} finished runs");
        }
        let reviews: Vec<PastRun> = history(&[60; 20])
            .into_iter()
            .map(|r| PastRun {
                kind: RunKind::Review,
                ..r
            })
            .collect();
        assert_eq!(
            estimate(&reviews, in_ai(0), at(10)),
            None,
            "reviews say nothing of a first run"
        );
    }

    #[test]
    fn the_estimate_is_the_projects_own_runs_from_this_step_to_their_end() {
        // AI steps of 60..=150 s; from entering execute_task a run needs AI + 6 s more.
        let h = history(&[60, 70, 80, 90, 100, 110, 120, 130, 140, 150]);
        let e = estimate(&h, in_ai(0), at(5)).unwrap();
        assert_eq!(e.expected_end_at, at(111), "median of 66..156");
        assert!(e.low_at <= at(76) && e.high_at >= at(146), "{e:?}");
        assert_eq!((e.basis_runs, e.overdue), (10, false));
    }

    #[test]
    fn it_holds_still_between_past_runs_durations_and_a_long_step_moves_it_later() {
        let ais: Vec<u32> = (0..30).map(|i| 60 + i * 10).collect();
        let h = history(&ais);
        let first = estimate(&h, in_ai(0), at(10)).unwrap();
        assert_eq!(
            estimate(&h, in_ai(0), at(59)).unwrap(),
            first,
            "no past AI step ended before 60 s: unchanged"
        );
        let later = estimate(&h, in_ai(0), at(200)).unwrap();
        assert!(
            later.expected_end_at > first.expected_end_at,
            "a step already running long ends later"
        );
        assert!(
            later.low_at > at(200),
            "runs that had ended by now are not what this one is like"
        );
    }

    #[test]
    fn past_every_earlier_run_it_stops_and_becomes_overdue() {
        let h = history(&[60, 62, 64, 66, 68, 70, 72, 74, 76, 78]);
        let at_limit = estimate(&h, in_ai(0), at(100)).unwrap();
        let beyond = estimate(&h, in_ai(0), at(1000)).unwrap();
        assert_eq!(
            (beyond.expected_end_at, beyond.high_at),
            (at_limit.expected_end_at, at_limit.high_at),
            "it does not chase the clock"
        );
        assert!(beyond.overdue && !estimate(&h, in_ai(0), at(10)).unwrap().overdue);
    }

    #[test]
    fn a_rework_run_is_estimated_from_rework_runs_and_a_review_from_reviews() {
        let mut h = history(&[600; 10]);
        h.extend(history(&[60; 10]).into_iter().map(|r| PastRun {
            kind: RunKind::Rework,
            ..r
        }));
        h.extend((0..10).map(|_| PastRun {
            kind: RunKind::Review,
            began_ms: 0,
            entered: [None, None, None, None, None, None, Some(0)],
            ended: 30_000,
        }));
        let rework = Position {
            kind: RunKind::Rework,
            ..in_ai(0)
        };
        assert_eq!(estimate(&h, rework, at(1)).unwrap().expected_end_at, at(66));
        assert_eq!(estimate(&h, in_ai(0), at(1)).unwrap().expected_end_at, at(606));
        let review = Position {
            kind: RunKind::Review,
            step: Step::AutoReview,
            step_started_at: at(0),
        };
        assert_eq!(estimate(&h, review, at(1)).unwrap().expected_end_at, at(30));
    }

    #[test]
    fn the_basis_answers_as_the_plain_estimate_does() {
        let ais: Vec<u32> = (0..50).map(|i| 30 + (i * 37) % 400).collect();
        let h = history(&ais);
        let basis = Basis::new(&h);
        for now in [0, 10, 45, 100, 200, 350, 420, 2000] {
            assert_eq!(
                basis.estimate(in_ai(0), at(now)),
                estimate(&h, in_ai(0), at(now)),
                "at {now}"
            );
        }
    }

    #[test]
    fn the_expected_end_is_where_most_runs_end() {
        let even: Vec<u64> = (0..10).map(|i| 100 + 10 * i).collect();
        assert_eq!(center(&even), median(&even), "evenly spread: the median");
        // Most runs end within 300..340 s; the slow ones pull the median out, not the center.
        let skewed = [300, 305, 310, 315, 320, 330, 340, 900, 1500, 2400];
        assert_eq!(median(&skewed), 325);
        assert_eq!(center(&skewed), 310);
        assert_eq!(center(&[42]), 42);
    }

    #[test]
    fn the_band_holds_a_new_run_at_least_as_often_as_asked() {
        for n in MIN_RUNS..200 {
            let (low, high) = band(n);
            assert!(low < high && high < n, "n {n}: {low}..{high}");
            let coverage = (high - low) as f64 / (n + 1) as f64;
            assert!(coverage >= COVERAGE - 1e-9, "n {n}: {coverage}");
        }
    }
}
