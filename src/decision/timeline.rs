//! The seven-step timeline of a decided attempt (the verbose `steps`): each
//! step pending, in progress, completed, skipped or failed, with its times.

use crate::evidence::review_log::ReviewLog;
use crate::evidence::run::{Outcome, Run, StepMarks, Unmentioned};
use crate::step::{Step, TOTAL_STEPS};
use crate::time::{elapsed_ms, Instant};

/// Status of one step in the timeline.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    Pending,
    InProgress,
    Completed,
    Skipped,
    Failed,
}

impl StepStatus {
    /// The name in results: `pending`, `in_progress`, `completed`, `skipped`, `failed`.
    pub fn name(self) -> &'static str {
        match self {
            StepStatus::Pending => "pending",
            StepStatus::InProgress => "in_progress",
            StepStatus::Completed => "completed",
            StepStatus::Skipped => "skipped",
            StepStatus::Failed => "failed",
        }
    }
}

/// One step of the timeline. A step in progress has no end and no duration
/// here: its elapsed time depends on when it is shown.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct StepSpan {
    pub step: Step,
    pub status: StepStatus,
    pub started_at: Option<Instant>,
    pub ended_at: Option<Instant>,
    pub duration_ms: Option<u64>,
}

/// How the task's status says a run ended, where the run's own evidence has no terminal event.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum RunEnding {
    /// The task is running: the reached step is in progress.
    Live,
    /// The task finished the pipeline (DONE and later).
    Finished,
    /// The task stopped part-way (interrupted, escalated, recovered to QUEUED, …).
    Stopped,
}

/// The review step as its log tells it.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct ReviewSpan {
    pub started_at: Option<Instant>,
    /// `None` while the review is going.
    pub ended_at: Option<Instant>,
    pub failed: bool,
}

impl ReviewSpan {
    /// The review a review log tells, whatever attempt it belongs to.
    pub fn of(log: &ReviewLog) -> ReviewSpan {
        ReviewSpan {
            started_at: log.started_at,
            ended_at: log.review.ended_at,
            failed: log.review.failed,
        }
    }
}

/// The timeline of `run` read with `ending`; with `review`, step 7 is that
/// review and the run before it is taken as finished. Without a run, every
/// step is completed (a finished task) or pending.
pub fn timeline(run: Option<&Run>, ending: RunEnding, review: Option<ReviewSpan>) -> [StepSpan; TOTAL_STEPS] {
    let ending = if review.is_some() { RunEnding::Finished } else { ending };
    let mut spans = match run {
        Some(run) => run_spans(run, ending),
        None => {
            let status = if ending == RunEnding::Finished {
                StepStatus::Completed
            } else {
                StepStatus::Pending
            };
            Step::ALL.map(|step| StepSpan {
                step,
                status,
                started_at: None,
                ended_at: None,
                duration_ms: None,
            })
        }
    };
    if let Some(review) = review {
        let status = match (review.ended_at, review.failed) {
            (None, _) => StepStatus::InProgress,
            (Some(_), false) => StepStatus::Completed,
            (Some(_), true) => StepStatus::Failed,
        };
        let duration_ms = review.started_at.zip(review.ended_at).map(|(s, e)| elapsed_ms(s, e));
        spans[Step::AutoReview.index()] = StepSpan {
            step: Step::AutoReview,
            status,
            started_at: review.started_at,
            ended_at: review.ended_at,
            duration_ms,
        };
    }
    spans
}

fn run_spans(run: &Run, ending: RunEnding) -> [StepSpan; TOTAL_STEPS] {
    let reached = run.reached().map(Step::index);
    let outcome = run.outcome();
    let finished =
        matches!(outcome, Outcome::Completed { .. }) || (*outcome == Outcome::Open && ending == RunEnding::Finished);
    Step::ALL.map(|step| {
        let i = step.index();
        let marks = run.marks(step);
        let status = match reached {
            None if marks.mentioned => StepStatus::Skipped,
            None => StepStatus::Pending,
            Some(r) if i < r => passed(marks, run.unmentioned()),
            Some(r) if i == r => match (outcome, ending) {
                (Outcome::Failed { .. }, _) => StepStatus::Failed,
                _ if finished => passed(marks, run.unmentioned()),
                (_, RunEnding::Live) => StepStatus::InProgress,
                _ => StepStatus::Failed,
            },
            Some(_) if marks.mentioned && marks.only_skipped => StepStatus::Skipped,
            Some(_) if finished => StepStatus::Skipped,
            Some(_) => StepStatus::Pending,
        };
        let ended_at = match status {
            StepStatus::Pending | StepStatus::InProgress => None,
            _ if Some(i) == reached => run.ended_at().or(run.last_at()).or(marks.last_at),
            _ => {
                let next_start = (i + 1..TOTAL_STEPS).find_map(|j| run.marks(Step::ALL[j]).first_at);
                match (marks.last_at, next_start) {
                    (Some(a), Some(b)) => Some(a.max(b)),
                    (a, b) => a.or(b),
                }
            }
        };
        let started_at = if status == StepStatus::Pending {
            None
        } else {
            marks.first_at
        };
        let ended_at = if status == StepStatus::Pending { None } else { ended_at };
        let duration_ms = started_at.zip(ended_at).map(|(s, e)| elapsed_ms(s, e));
        StepSpan {
            step,
            status,
            started_at,
            ended_at,
            duration_ms,
        }
    })
}

fn passed(marks: StepMarks, unmentioned: Unmentioned) -> StepStatus {
    match (marks.mentioned, marks.only_skipped, unmentioned) {
        (true, true, _) => StepStatus::Skipped,
        (true, false, _) => StepStatus::Completed,
        (false, _, Unmentioned::Skipped) => StepStatus::Skipped,
        (false, _, Unmentioned::Completed) => StepStatus::Completed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::step::StepEvent;
    use chrono::{TimeZone, Utc};

    fn at(sec: i64) -> Option<Instant> {
        Some(Utc.with_ymd_and_hms(2026, 10, 24, 1, 51, 0).unwrap() + chrono::Duration::seconds(sec))
    }

    fn statuses(spans: &[StepSpan]) -> Vec<StepStatus> {
        spans.iter().map(|s| s.status).collect()
    }

    use StepStatus::{Completed as C, Failed as F, InProgress as I, Pending as P, Skipped as S};

    #[test]
    fn a_live_run_has_its_reached_step_in_progress() {
        let mut run = Run::new(Unmentioned::Skipped);
        run.step_event(at(0), Step::GetTaskInfo, StepEvent::Start);
        run.step_event(at(0), Step::AssignWorker, StepEvent::Start);
        run.step_event(at(1), Step::FileLock, StepEvent::Skip);
        run.step_event(at(2), Step::AssignWorker, StepEvent::Success);
        run.step_event(at(3), Step::ExecuteTask, StepEvent::Start);
        let spans = timeline(Some(&run), RunEnding::Live, None);
        assert_eq!(statuses(&spans), [C, C, S, I, P, P, P]);
        assert_eq!(
            spans[1].ended_at,
            at(2),
            "assign_worker ends at its own last line, after file_lock began"
        );
        assert_eq!(
            (spans[3].started_at, spans[3].ended_at, spans[3].duration_ms),
            (at(3), None, None)
        );
    }

    #[test]
    fn a_failed_run_fails_in_its_step_and_a_stopped_one_where_it_stopped() {
        let mut run = Run::new(Unmentioned::Skipped);
        run.step_event(at(0), Step::ExecuteTask, StepEvent::Start);
        run.step_event(at(4), Step::CreateReport, StepEvent::Start);
        run.run_failed(at(5), "REPORT作成不可".into());
        let spans = timeline(Some(&run), RunEnding::Stopped, None);
        assert_eq!(statuses(&spans), [S, S, S, C, F, P, P]);
        assert_eq!(spans[4].duration_ms, Some(1000));
        let mut open = Run::new(Unmentioned::Skipped);
        open.step_event(at(0), Step::ExecuteTask, StepEvent::Start);
        assert_eq!(statuses(&timeline(Some(&open), RunEnding::Stopped, None))[3], F);
        assert_eq!(
            statuses(&timeline(Some(&open), RunEnding::Finished, None)),
            [S, S, S, C, S, S, S]
        );
    }

    #[test]
    fn a_completed_run_with_the_review_skipped_then_reviewed() {
        let mut run = Run::new(Unmentioned::Skipped);
        run.step_event(at(0), Step::UpdateStatusDone, StepEvent::Start);
        run.step_event(at(1), Step::AutoReview, StepEvent::Skipped);
        run.run_completed(at(2));
        let spans = timeline(Some(&run), RunEnding::Live, None);
        assert_eq!((spans[5].status, spans[5].ended_at, spans[6].status), (C, at(2), S));
        let review = ReviewSpan {
            started_at: at(10),
            ended_at: None,
            failed: false,
        };
        let spans = timeline(Some(&run), RunEnding::Live, Some(review));
        assert_eq!((spans[6].status, spans[6].started_at), (I, at(10)));
        let done = ReviewSpan {
            ended_at: at(70),
            ..review
        };
        assert_eq!(
            timeline(None, RunEnding::Finished, Some(done))[6].duration_ms,
            Some(60_000)
        );
        assert_eq!(
            statuses(&timeline(None, RunEnding::Finished, Some(done))),
            [C, C, C, C, C, C, C]
        );
    }

    #[test]
    fn coarse_sources_count_unmentioned_steps_as_completed() {
        let mut run = Run::new(Unmentioned::Completed);
        run.step_event(at(0), Step::FileLock, StepEvent::Start);
        assert_eq!(statuses(&timeline(Some(&run), RunEnding::Live, None))[..3], [C, C, I]);
        assert_eq!(statuses(&timeline(None, RunEnding::Stopped, None)), [P; 7]);
    }
}
