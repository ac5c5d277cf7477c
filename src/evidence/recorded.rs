//! Step events the worker recorded in `task_step_events` (source `recorded`,
//! the strongest), split into runs.

use crate::steps::{Step, StepEvent};
use crate::time::Instant;
use crate::timeline::{Timeline, Unmentioned};

/// One `task_step_events` row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedEvent {
    pub step: String,
    pub event: String,
    pub detail: Option<String>,
    pub recorded_at: Option<Instant>,
}

/// One run of the pipeline as recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedRun {
    pub began_at: Option<Instant>,
    pub timeline: Timeline,
}

/// Splits a task's events (in insertion order) into runs: a run begins with a
/// `get_task_info` `start`, or with the first event after a `complete`.
/// Rows naming no known step or event are ignored.
pub fn split_runs(events: &[RecordedEvent]) -> Vec<RecordedRun> {
    let mut runs: Vec<RecordedRun> = Vec::new();
    let mut after_complete = false;
    for e in events {
        let Some(event) = StepEvent::from_name(&e.event) else {
            continue;
        };
        let step = Step::from_sub_step(&e.step);
        let pseudo = matches!(e.step.as_str(), "error" | "complete");
        if step.is_none() && !pseudo {
            continue;
        }
        let begins =
            runs.is_empty() || after_complete || (step == Some(Step::GetTaskInfo) && event == StepEvent::Start);
        if begins {
            runs.push(RecordedRun {
                began_at: e.recorded_at,
                timeline: Timeline::new(Unmentioned::Completed),
            });
        }
        let run = runs.last_mut().expect("a run was just ensured");
        run.began_at = run.began_at.or(e.recorded_at);
        let timeline = &mut run.timeline;
        if let Some(step) = step {
            timeline.step_event(e.recorded_at, step, event);
        }
        match event {
            StepEvent::Failed => timeline.run_failed(e.recorded_at, e.detail.clone().unwrap_or_default()),
            StepEvent::Complete => timeline.run_completed(e.recorded_at),
            _ => {}
        }
        after_complete = event == StepEvent::Complete;
    }
    runs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timeline::Outcome;
    use chrono::{TimeZone, Utc};

    fn ev(step: &str, event: &str, sec: i64) -> RecordedEvent {
        RecordedEvent {
            step: step.into(),
            event: event.into(),
            detail: Some(format!("{step} {event}")),
            recorded_at: Some(Utc.with_ymd_and_hms(2026, 10, 24, 1, 0, 0).unwrap() + chrono::Duration::seconds(sec)),
        }
    }

    #[test]
    fn runs_split_at_get_task_info_start_and_after_complete() {
        let events = [
            ev("get_task_info", "start", 0),
            ev("execute_task", "start", 1),
            ev("create_report", "failed", 2),
            ev("file_lock_release", "success", 3),
            ev("get_task_info", "start", 10),
            ev("update_status_done", "success", 11),
            ev("auto_review", "complete", 12),
            ev("assign_worker", "start", 20),
            ev("bogus_step", "start", 21),
            ev("execute_task", "exploded", 22),
        ];
        let runs = split_runs(&events);
        assert_eq!(runs.len(), 3);
        assert!(matches!(
            runs[0].timeline.outcome(),
            Outcome::Failed {
                step: Step::CreateReport,
                ..
            }
        ));
        assert_eq!(runs[1].timeline.current(), Some(Step::AutoReview));
        assert!(matches!(runs[1].timeline.outcome(), Outcome::Completed { .. }));
        assert_eq!(runs[2].timeline.current(), Some(Step::AssignWorker));
        assert_eq!(runs[2].began_at, events[7].recorded_at);
    }
}
