//! How good the estimate is on a project's own finished runs: each run is
//! left out in turn and estimated from the others — at the start of each of
//! its steps, and in its long steps 25, 50 and 75 % of the way through the
//! step's typical length, where it was still in the step — and the
//! estimate's end is compared with the run's real end, beside the naive
//! estimate (the sum of the remaining steps' medians), which the estimate
//! should beat.
//!
//! The part-way points are fractions of the step's median (over the other
//! runs), not of the left-out run's own time in it: a point chosen from the
//! run's own length would know that the run ends soon after it, which no live
//! estimate knows, and would count a band as holding that only held because
//! the point was picked so. Runs are taken as the live estimate takes them,
//! the [`RECENT_RUNS`] most recent of the kind.

use super::{band, center, conditioned, median, PastRun, RunKind, MIN_RUNS, RECENT_RUNS};
use crate::step::Step;

/// A step is long when the median run spends at least this long in it: only
/// those are also estimated part-way through.
const LONG_STEP_MS: u64 = 60_000;
/// Where in a long step it is estimated too, as fractions of its median length.
const PART_WAY: [f64; 3] = [0.25, 0.5, 0.75];

/// How the estimate did on one kind of run.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Calibration {
    pub kind: RunKind,
    /// Finished runs of the kind.
    pub runs: usize,
    /// Estimates made (several per run).
    pub estimates: usize,
    /// Median of |expected end − real end|, in ms.
    pub median_abs_error_ms: u64,
    /// The same for the naive estimate.
    pub naive_median_abs_error_ms: u64,
    /// Share of estimates whose band held the real end.
    pub coverage: f64,
}

/// The calibration of every kind with enough runs.
pub fn calibrate(history: &[PastRun]) -> Vec<Calibration> {
    [RunKind::First, RunKind::Rework, RunKind::Review]
        .into_iter()
        .filter_map(|kind| calibrate_kind(history, kind))
        .collect()
}

fn calibrate_kind(history: &[PastRun], kind: RunKind) -> Option<Calibration> {
    let mut runs: Vec<&PastRun> = history.iter().filter(|r| r.kind == kind).collect();
    runs.sort_by_key(|r| std::cmp::Reverse(r.began_ms));
    runs.truncate(RECENT_RUNS);
    if runs.len() <= MIN_RUNS {
        return None;
    }
    let (mut errors, mut naive_errors, mut held) = (Vec::new(), Vec::new(), 0usize);
    for (left_out, run) in runs.iter().enumerate() {
        let others: Vec<&PastRun> = runs
            .iter()
            .enumerate()
            .filter(|&(i, _)| i != left_out)
            .map(|(_, r)| *r)
            .collect();
        for step in Step::ALL {
            let Some((in_step, to_end)) = run.from(step).filter(|_| run.entered[step.index()].is_some()) else {
                continue;
            };
            let spans: Vec<(u64, u64)> = others.iter().filter_map(|r| r.from(step)).collect();
            let typical = median_of(spans.iter().map(|s| s.0));
            let mut points = vec![0u64];
            if typical >= LONG_STEP_MS {
                let part_way = PART_WAY.iter().map(|f| (typical as f64 * f) as u64);
                points.extend(part_way.filter(|&elapsed| elapsed < in_step));
            }
            for elapsed in points {
                let Some((ends, _)) = conditioned(&spans, elapsed) else {
                    continue;
                };
                let (low, high) = band(ends.len());
                let expected = center(&ends);
                errors.push(expected.abs_diff(to_end));
                held += usize::from(ends[low] <= to_end && to_end <= ends[high]);
                naive_errors.push(naive(&others, step, elapsed).abs_diff(to_end));
            }
        }
    }
    if errors.is_empty() {
        return None;
    }
    let estimates = errors.len();
    Some(Calibration {
        kind,
        runs: runs.len(),
        estimates,
        median_abs_error_ms: median_of(errors.into_iter()),
        naive_median_abs_error_ms: median_of(naive_errors.into_iter()),
        coverage: held as f64 / estimates as f64,
    })
}

/// The naive estimate of the time from entering `step` to the end, `elapsed`
/// into it: what is left of the step's median, then the medians of the steps after it.
fn naive(others: &[&PastRun], step: Step, elapsed: u64) -> u64 {
    let in_step = |s: Step| median_of(others.iter().filter_map(|r| r.from(s)).map(|(d, _)| d));
    let this = in_step(step).max(elapsed);
    let after: u64 = Step::ALL[step.index() + 1..].iter().map(|&s| in_step(s)).sum();
    // The runs' steps after `step` as far as runs of this kind go (a worker run ends before the review).
    let last = others.iter().map(|r| u64::from(r.ended)).max().unwrap_or(0);
    this + after.min(last)
}

fn median_of(values: impl Iterator<Item = u64>) -> u64 {
    let mut v: Vec<u64> = values.collect();
    if v.is_empty() {
        return 0;
    }
    v.sort_unstable();
    median(&v)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// First runs paced as a real project's are (`sample::pace`): a skewed
    /// AI step, now and then a very slow one, a report that grows with it.
    fn skewed(n: usize) -> Vec<PastRun> {
        let mut dice = crate::sample::pace::Dice::new(20261206);
        (0..n)
            .map(|i| {
                let p = dice.pace();
                let mut at = 0u32;
                let mut then = |seconds: i64| {
                    let entered = at;
                    at += seconds as u32 * 1000;
                    Some(entered)
                };
                let entered = [
                    then(p.get_task_info),
                    then(p.assign_worker),
                    None,
                    then(p.execute_task),
                    then(p.create_report),
                    then(p.update_status_done),
                    None,
                ];
                PastRun {
                    kind: RunKind::First,
                    began_ms: i as i64 * 3_600_000,
                    entered,
                    ended: at,
                }
            })
            .collect()
    }

    #[test]
    fn on_skewed_runs_the_band_holds_about_eighty_percent_and_beats_the_naive_median() {
        let c = calibrate(&skewed(200));
        assert_eq!(c.len(), 1);
        let c = &c[0];
        assert!((0.75..=0.9).contains(&c.coverage), "{c:?}");
        assert!(c.median_abs_error_ms < c.naive_median_abs_error_ms, "{c:?}");
    }

    #[test]
    fn too_few_runs_are_not_calibrated() {
        assert!(calibrate(&skewed(MIN_RUNS)).is_empty());
    }
}
