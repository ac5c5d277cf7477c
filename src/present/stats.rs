//! Step durations over many runs (the seed's extension 4): where the time goes.

use serde::Serialize;

use crate::decision::timeline::{timeline, ReviewSpan, RunEnding, StepStatus};
use crate::evidence::run::Run;
use crate::locale::Locale;
use crate::step::{Step, TOTAL_STEPS};

/// How many of the slowest runs each step lists.
pub const SLOWEST_LISTED: usize = 5;

/// One finished step of one run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DurationSample {
    pub step: Step,
    pub task_id: String,
    pub duration_ms: u64,
}

/// A run that was slow in a step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SlowRun {
    pub task_id: String,
    #[serde(serialize_with = "crate::present::json::number")]
    pub duration_ms: u64,
}

/// Duration statistics of one step (its TypeScript declaration is in
/// `src/binding/header.d.ts`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StepDurationStats {
    pub step: Step,
    pub display: &'static str,
    pub count: u32,
    #[serde(serialize_with = "crate::present::json::number")]
    pub mean_ms: u64,
    #[serde(serialize_with = "crate::present::json::number")]
    pub p50_ms: u64,
    #[serde(serialize_with = "crate::present::json::number")]
    pub p95_ms: u64,
    #[serde(serialize_with = "crate::present::json::number")]
    pub max_ms: u64,
    pub slowest: Vec<SlowRun>,
}

/// The steps a run finished, as samples.
pub fn run_samples<'a>(task_id: &'a str, run: &Run) -> impl Iterator<Item = DurationSample> + 'a {
    timeline(Some(run), RunEnding::Live, None)
        .into_iter()
        .filter_map(move |span| match (span.status, span.duration_ms) {
            (StepStatus::Completed, Some(duration_ms)) => Some(DurationSample {
                step: span.step,
                task_id: task_id.to_owned(),
                duration_ms,
            }),
            _ => None,
        })
}

/// A finished review, as an `auto_review` sample.
pub fn review_sample(task_id: &str, review: ReviewSpan) -> Option<DurationSample> {
    let (started, ended) = review.started_at.zip(review.ended_at).filter(|_| !review.failed)?;
    let duration_ms = crate::time::elapsed_ms(started, ended);
    Some(DurationSample {
        step: Step::AutoReview,
        task_id: task_id.to_owned(),
        duration_ms,
    })
}

/// One entry per step, in pipeline order (count 0 where no run finished it).
pub fn summarize(samples: &[DurationSample], locale: Locale) -> Vec<StepDurationStats> {
    let mut by_step: [Vec<&DurationSample>; TOTAL_STEPS] = Default::default();
    for sample in samples {
        by_step[sample.step.index()].push(sample);
    }
    Step::ALL
        .iter()
        .zip(by_step)
        .map(|(&step, mut runs)| {
            runs.sort_by(|a, b| {
                b.duration_ms
                    .cmp(&a.duration_ms)
                    .then_with(|| a.task_id.cmp(&b.task_id))
            });
            let mut sorted: Vec<u64> = runs.iter().map(|s| s.duration_ms).collect();
            sorted.reverse();
            let count = sorted.len();
            let total: u128 = sorted.iter().map(|&d| d as u128).sum();
            StepDurationStats {
                step,
                display: step.display(locale),
                count: count as u32,
                mean_ms: if count == 0 { 0 } else { (total / count as u128) as u64 },
                p50_ms: percentile(&sorted, 50),
                p95_ms: percentile(&sorted, 95),
                max_ms: sorted.last().copied().unwrap_or(0),
                slowest: runs
                    .iter()
                    .take(SLOWEST_LISTED)
                    .map(|s| SlowRun {
                        task_id: s.task_id.clone(),
                        duration_ms: s.duration_ms,
                    })
                    .collect(),
            }
        })
        .collect()
}

/// Nearest-rank percentile of ascending `sorted`; 0 when empty.
fn percentile(sorted: &[u64], pct: usize) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = (pct * sorted.len()).div_ceil(100).max(1);
    sorted[rank - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank_and_slowest_come_first() {
        let samples: Vec<DurationSample> = (1..=20)
            .map(|i| DurationSample {
                step: Step::ExecuteTask,
                task_id: format!("TASK_{i}"),
                duration_ms: i * 1000,
            })
            .collect();
        let stats = summarize(&samples, Locale::Ja);
        assert_eq!(stats.len(), 7);
        let ai = &stats[3];
        assert_eq!(
            (ai.count, ai.mean_ms, ai.p50_ms, ai.p95_ms, ai.max_ms),
            (20, 10_500, 10_000, 19_000, 20_000)
        );
        assert_eq!(
            ai.slowest[0],
            SlowRun {
                task_id: "TASK_20".into(),
                duration_ms: 20_000
            }
        );
        assert_eq!(ai.slowest.len(), SLOWEST_LISTED);
        assert_eq!((stats[0].count, stats[0].p95_ms), (0, 0));
    }

    #[test]
    fn a_finished_review_counts_for_auto_review_and_a_failed_one_does_not() {
        let t = |s: i64| Some(chrono::DateTime::from_timestamp(1_790_000_000 + s, 0).unwrap());
        let done = ReviewSpan {
            started_at: t(0),
            ended_at: t(90),
            failed: false,
        };
        assert_eq!(
            review_sample("T", done).map(|s| (s.step, s.duration_ms)),
            Some((Step::AutoReview, 90_000))
        );
        assert_eq!(review_sample("T", ReviewSpan { failed: true, ..done }), None);
        assert_eq!(review_sample("T", ReviewSpan { ended_at: None, ..done }), None);
    }
}
