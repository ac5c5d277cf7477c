//! One run of the pipeline — a worker log, the rework part of a review log, a
//! recorded run — folded from its step events into what it says: the steps it
//! mentioned and when, the furthest step it reached, and how it ended.
//!
//! The rules of reading a run (docs/behaviour.md, "Worker logs") live here
//! once: a step is reached when any of its sub-steps appears (unless the event
//! says it was `skipped`), the reached step never moves backwards, and nothing
//! after the run's terminal event (`[error] failed`, `[complete] success`) counts.

use crate::step::{Step, StepEvent, TOTAL_STEPS};
use crate::time::Instant;

/// How a run ended, as far as its own evidence says.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Outcome {
    /// No terminal event yet: still going, or the worker died.
    #[default]
    Open,
    Completed {
        at: Option<Instant>,
    },
    Failed {
        step: Step,
        message: String,
        at: Option<Instant>,
    },
}

/// What to make of steps a run never mentioned before the one it reached.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub enum Unmentioned {
    /// A fine-grained source (a worker log) would have mentioned a step it ran.
    #[default]
    Skipped,
    /// A coarse source (history, a sparse recorder) only marks milestones.
    Completed,
}

/// What a run said about one step.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct StepMarks {
    pub first_at: Option<Instant>,
    pub last_at: Option<Instant>,
    pub mentioned: bool,
    /// Mentioned, and every mention was a `skip` or `skipped`.
    pub only_skipped: bool,
}

/// The folded state of one run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Run {
    marks: [StepMarks; TOTAL_STEPS],
    reached: Option<Step>,
    outcome: Outcome,
    first_at: Option<Instant>,
    last_at: Option<Instant>,
    unmentioned: Unmentioned,
    /// The worker said it runs a rework (`[assign_worker] start: mode=リワーク`).
    rework: bool,
}

impl Run {
    pub fn new(unmentioned: Unmentioned) -> Run {
        Run {
            unmentioned,
            ..Run::default()
        }
    }

    /// A step (or one of its sub-steps) said something.
    pub fn step_event(&mut self, at: Option<Instant>, step: Step, event: StepEvent) {
        if self.is_terminated() {
            return;
        }
        self.touch(at);
        let marks = &mut self.marks[step.index()];
        if !marks.mentioned {
            *marks = StepMarks {
                first_at: at,
                last_at: at,
                mentioned: true,
                only_skipped: true,
            };
        }
        marks.first_at = marks.first_at.or(at);
        marks.last_at = at.or(marks.last_at);
        if !matches!(event, StepEvent::Skip | StepEvent::Skipped) {
            marks.only_skipped = false;
        }
        if event.reaches() && self.reached.is_none_or(|r| step > r) {
            self.reached = Some(step);
        }
    }

    /// The run failed (`[error] failed: <message>`) in the step it was in.
    pub fn run_failed(&mut self, at: Option<Instant>, message: String) {
        if self.is_terminated() {
            return;
        }
        self.touch(at);
        let step = self.reached.unwrap_or(Step::GetTaskInfo);
        self.reached = Some(step);
        self.outcome = Outcome::Failed { step, message, at };
    }

    /// The run ended successfully (`[complete] success`).
    pub fn run_completed(&mut self, at: Option<Instant>) {
        if self.is_terminated() {
            return;
        }
        self.touch(at);
        self.outcome = Outcome::Completed { at };
    }

    fn touch(&mut self, at: Option<Instant>) {
        if at.is_some() {
            self.first_at = self.first_at.or(at);
            self.last_at = at;
        }
    }

    /// The worker said this run is a rework (ignored once the run ended:
    /// nothing after its end counts).
    pub fn set_rework(&mut self) {
        if !self.is_terminated() {
            self.rework = true;
        }
    }

    pub fn is_rework(&self) -> bool {
        self.rework
    }

    pub fn is_terminated(&self) -> bool {
        self.outcome != Outcome::Open
    }

    /// The furthest step reached.
    pub fn reached(&self) -> Option<Step> {
        self.reached
    }

    pub fn outcome(&self) -> &Outcome {
        &self.outcome
    }

    /// When the run ended (its terminal event), if it has.
    pub fn ended_at(&self) -> Option<Instant> {
        match &self.outcome {
            Outcome::Open => None,
            Outcome::Completed { at } | Outcome::Failed { at, .. } => *at,
        }
    }

    /// Whether anything in the run was said about a step.
    pub fn is_empty(&self) -> bool {
        self.marks.iter().all(|m| !m.mentioned) && self.outcome == Outcome::Open
    }

    /// Time of the run's first event.
    pub fn first_at(&self) -> Option<Instant> {
        self.first_at
    }

    /// Time of the run's latest event.
    pub fn last_at(&self) -> Option<Instant> {
        self.last_at
    }

    pub fn marks(&self, step: Step) -> StepMarks {
        self.marks[step.index()]
    }

    pub fn unmentioned(&self) -> Unmentioned {
        self.unmentioned
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn at(sec: i64) -> Option<Instant> {
        Some(Utc.with_ymd_and_hms(2026, 10, 24, 1, 51, 0).unwrap() + chrono::Duration::seconds(sec))
    }

    #[test]
    fn nested_file_lock_does_not_move_the_step_backwards() {
        let mut run = Run::new(Unmentioned::Skipped);
        run.step_event(at(0), Step::AssignWorker, StepEvent::Start);
        run.step_event(at(1), Step::FileLock, StepEvent::Skip);
        run.step_event(at(2), Step::AssignWorker, StepEvent::Success);
        assert_eq!(run.reached(), Some(Step::FileLock));
        assert!(run.marks(Step::FileLock).only_skipped);
        assert_eq!(run.marks(Step::AssignWorker).last_at, at(2));
    }

    #[test]
    fn a_skipped_step_is_marked_but_not_reached() {
        let mut run = Run::new(Unmentioned::Skipped);
        run.step_event(at(0), Step::UpdateStatusDone, StepEvent::Success);
        run.step_event(at(1), Step::AutoReview, StepEvent::Skipped);
        assert_eq!(run.reached(), Some(Step::UpdateStatusDone));
        assert!(run.marks(Step::AutoReview).mentioned);
        run.run_completed(at(1));
        assert_eq!(run.ended_at(), at(1));
    }

    #[test]
    fn failure_keeps_its_step_and_ignores_what_follows() {
        let mut run = Run::new(Unmentioned::Skipped);
        run.step_event(at(0), Step::ExecuteTask, StepEvent::Start);
        run.step_event(at(4), Step::CreateReport, StepEvent::Start);
        run.run_failed(at(5), "REPORT作成不可".into());
        run.step_event(at(6), Step::UpdateStatusDone, StepEvent::Success);
        run.run_completed(at(7));
        assert_eq!(run.reached(), Some(Step::CreateReport));
        assert_eq!(
            run.outcome(),
            &Outcome::Failed {
                step: Step::CreateReport,
                message: "REPORT作成不可".into(),
                at: at(5)
            }
        );
        assert_eq!((run.last_at(), run.ended_at()), (at(5), at(5)));
    }

    #[test]
    fn a_failure_before_any_step_fails_in_the_first() {
        let mut run = Run::new(Unmentioned::Skipped);
        run.run_failed(at(0), "boom".into());
        assert_eq!(run.reached(), Some(Step::GetTaskInfo));
        assert!(!run.is_empty());
        assert!(Run::default().is_empty());
    }
}
