//! Step events a worker recorded in `task_step_events` (source `recorded`,
//! the strongest), split into runs.

use super::run::{Run, Unmentioned};
use crate::step::{Step, StepEvent};
use crate::time::Instant;

/// What a recorded event is about.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum RecordedStep {
    /// One of the seven steps (or a sub-step of it).
    Step(Step),
    /// `error`: the run failed.
    Error,
    /// `complete`: the run ended.
    Complete,
}

/// One `task_step_events` row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedEvent {
    pub step: RecordedStep,
    pub event: StepEvent,
    /// The detail of a `failed` event: the run's error message.
    pub message: Option<String>,
    pub recorded_at: Option<Instant>,
}

impl RecordedEvent {
    /// The event a row records; `None` for rows naming no step this product knows.
    pub fn from_row(
        step: &str,
        event: &str,
        detail: Option<String>,
        recorded_at: Option<Instant>,
    ) -> Option<RecordedEvent> {
        let step = match step {
            "error" => RecordedStep::Error,
            "complete" => RecordedStep::Complete,
            sub => RecordedStep::Step(Step::from_sub_step(sub)?),
        };
        let event = StepEvent::parse(event);
        let message = (event == StepEvent::Failed).then(|| detail.unwrap_or_default());
        Some(RecordedEvent {
            step,
            event,
            message,
            recorded_at,
        })
    }
}

/// One run of the pipeline as recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedRun {
    pub began_at: Option<Instant>,
    pub run: Run,
}

/// Splits a task's events (in insertion order) into runs: a run begins with a
/// `get_task_info` `start`, or with the first event after a `complete`. A
/// `failed` event ends its run in the step it names; a `complete` ends it.
pub fn split_runs(events: &[RecordedEvent]) -> Vec<RecordedRun> {
    let mut runs: Vec<RecordedRun> = Vec::new();
    let mut after_complete = false;
    for e in events {
        let begins = runs.is_empty()
            || after_complete
            || (e.step == RecordedStep::Step(Step::GetTaskInfo) && e.event == StepEvent::Start);
        if begins {
            runs.push(RecordedRun {
                began_at: e.recorded_at,
                run: Run::new(Unmentioned::Completed),
            });
        }
        let current = runs.last_mut().expect("a run was just ensured");
        current.began_at = current.began_at.or(e.recorded_at);
        let run = &mut current.run;
        if let RecordedStep::Step(step) = e.step {
            run.step_event(e.recorded_at, step, e.event);
        }
        match e.event {
            StepEvent::Failed => run.run_failed(e.recorded_at, e.message.clone().unwrap_or_default()),
            StepEvent::Complete => run.run_completed(e.recorded_at),
            _ => {}
        }
        after_complete = e.event == StepEvent::Complete;
    }
    runs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::run::Outcome;
    use chrono::{TimeZone, Utc};

    fn ev(step: &str, event: &str, sec: i64) -> Option<RecordedEvent> {
        let at = Utc.with_ymd_and_hms(2026, 10, 24, 1, 0, 0).unwrap() + chrono::Duration::seconds(sec);
        RecordedEvent::from_row(step, event, Some(format!("{step} {event}")), Some(at))
    }

    #[test]
    fn runs_split_at_get_task_info_start_and_after_complete() {
        let events: Vec<RecordedEvent> = [
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
        ]
        .into_iter()
        .flatten()
        .collect();
        assert_eq!(events.len(), 9, "a row naming no step is dropped");
        let runs = split_runs(&events);
        assert_eq!(runs.len(), 3);
        assert!(
            matches!(runs[0].run.outcome(), Outcome::Failed { step: Step::CreateReport, message, .. } if message == "create_report failed")
        );
        assert_eq!(runs[1].run.reached(), Some(Step::AutoReview));
        assert!(matches!(runs[1].run.outcome(), Outcome::Completed { .. }));
        assert_eq!(
            runs[2].run.reached(),
            Some(Step::ExecuteTask),
            "an unknown event reads like info"
        );
        assert_eq!(runs[2].began_at, events[7].recorded_at);
    }
}
