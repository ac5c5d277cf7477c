//! One run of the pipeline as a sequence of step events, folded into the
//! current step and a per-step timeline.
//!
//! Every evidence source (recorded events, a worker log, the database history)
//! is turned into events and fed through the same [`Timeline`], so the rules of
//! SPEC §4 live here once: a step is reached when any of its sub-steps appears,
//! the current step never moves backwards, and nothing after the run's terminal
//! event (`[error] failed`, `[complete] success`) counts as progress.

use crate::steps::{Step, StepEvent, TOTAL_STEPS};
use crate::time::{elapsed_ms, Instant};

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

/// What to make of steps nobody mentioned before the current one.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub enum Unmentioned {
    /// A fine-grained source (a worker log) would have mentioned a step it ran.
    #[default]
    Skipped,
    /// A coarse source (history, a sparse recorder) only marks milestones.
    Completed,
}

/// How the task's status says the run ended, for a run whose evidence has no terminal event.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum RunEnding {
    /// The task is running: the current step is in progress.
    Live,
    /// The task finished the pipeline (DONE and later).
    Finished,
    /// The task stopped part-way (interrupted, escalated, …): the current step did not finish.
    Stopped,
}

/// Status of one step in the verbose `steps` list.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum StepStatus {
    Pending,
    InProgress,
    Completed,
    Skipped,
    Failed,
}

impl StepStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            StepStatus::Pending => "pending",
            StepStatus::InProgress => "in_progress",
            StepStatus::Completed => "completed",
            StepStatus::Skipped => "skipped",
            StepStatus::Failed => "failed",
        }
    }
}

/// One step of a run, ready for output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StepSpan {
    pub step: Step,
    pub status: StepStatus,
    pub started_at: Option<Instant>,
    pub ended_at: Option<Instant>,
    /// For the step in progress: the time elapsed so far.
    pub duration_ms: Option<u64>,
}

#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
struct Marks {
    first_at: Option<Instant>,
    last_at: Option<Instant>,
    mentioned: bool,
    /// Mentioned, and every mention was a `skip`.
    only_skipped: bool,
}

/// The folded state of one run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Timeline {
    marks: [Marks; TOTAL_STEPS],
    current: Option<Step>,
    outcome: Outcome,
    first_at: Option<Instant>,
    last_at: Option<Instant>,
    unmentioned: Unmentioned,
}

impl Timeline {
    pub fn new(unmentioned: Unmentioned) -> Timeline {
        Timeline {
            unmentioned,
            ..Timeline::default()
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
            marks.mentioned = true;
            marks.only_skipped = true;
            marks.first_at = at;
        }
        marks.first_at = marks.first_at.or(at);
        marks.last_at = at.or(marks.last_at);
        if event != StepEvent::Skip {
            marks.only_skipped = false;
        }
        if self.current.is_none_or(|c| step > c) {
            self.current = Some(step);
        }
    }

    /// The run failed (`[error] failed: <message>`) in the step it was in.
    pub fn run_failed(&mut self, at: Option<Instant>, message: String) {
        if self.is_terminated() {
            return;
        }
        self.touch(at);
        let step = self.current.unwrap_or(Step::GetTaskInfo);
        self.current = Some(step);
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

    pub fn is_terminated(&self) -> bool {
        self.outcome != Outcome::Open
    }

    /// The furthest step reached.
    pub fn current(&self) -> Option<Step> {
        self.current
    }

    pub fn outcome(&self) -> &Outcome {
        &self.outcome
    }

    /// Time of the run's first event.
    pub fn first_at(&self) -> Option<Instant> {
        self.first_at
    }

    /// Time of the run's latest event.
    pub fn last_at(&self) -> Option<Instant> {
        self.last_at
    }

    /// When the given step was first mentioned.
    pub fn step_started_at(&self, step: Step) -> Option<Instant> {
        self.marks[step.index()].first_at
    }

    /// All seven steps with status and times. `ending` says how to read a run
    /// with no terminal event; `now` measures the step in progress.
    pub fn spans(&self, ending: RunEnding, now: Instant) -> [StepSpan; TOTAL_STEPS] {
        let current = self.current.map(Step::index);
        let terminal_at = match &self.outcome {
            Outcome::Open => None,
            Outcome::Completed { at } | Outcome::Failed { at, .. } => *at,
        };
        Step::ALL.map(|step| {
            let i = step.index();
            let marks = self.marks[i];
            let status = match current {
                None => StepStatus::Pending,
                Some(c) if i < c => self.passed_status(marks),
                Some(c) if i == c => match (&self.outcome, ending) {
                    (Outcome::Failed { .. }, _) => StepStatus::Failed,
                    (Outcome::Completed { .. }, _) | (Outcome::Open, RunEnding::Finished) => self.passed_status(marks),
                    (Outcome::Open, RunEnding::Live) => StepStatus::InProgress,
                    (Outcome::Open, RunEnding::Stopped) => StepStatus::Failed,
                },
                Some(_) => match (&self.outcome, ending) {
                    (Outcome::Completed { .. }, _) | (Outcome::Open, RunEnding::Finished) => StepStatus::Skipped,
                    _ => StepStatus::Pending,
                },
            };
            let started_at = marks.first_at;
            let ended_at = match status {
                StepStatus::Pending | StepStatus::InProgress => None,
                _ if Some(i) == current => terminal_at.or(self.last_at).or(marks.last_at),
                _ => {
                    let next_start = self.marks[i + 1..].iter().find_map(|m| m.first_at);
                    match (marks.last_at, next_start) {
                        (Some(a), Some(b)) => Some(a.max(b)),
                        (a, b) => a.or(b),
                    }
                }
            };
            let duration_ms = match (status, started_at, ended_at) {
                (StepStatus::InProgress, Some(start), _) => Some(elapsed_ms(start, now)),
                (_, Some(start), Some(end)) => Some(elapsed_ms(start, end)),
                _ => None,
            };
            let (started_at, ended_at) = if status == StepStatus::Pending {
                (None, None)
            } else {
                (started_at, ended_at)
            };
            StepSpan {
                step,
                status,
                started_at,
                ended_at,
                duration_ms,
            }
        })
    }

    fn passed_status(&self, marks: Marks) -> StepStatus {
        match (marks.mentioned, marks.only_skipped, self.unmentioned) {
            (true, true, _) => StepStatus::Skipped,
            (true, false, _) => StepStatus::Completed,
            (false, _, Unmentioned::Skipped) => StepStatus::Skipped,
            (false, _, Unmentioned::Completed) => StepStatus::Completed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn at(sec: u32) -> Option<Instant> {
        Some(Utc.with_ymd_and_hms(2026, 10, 24, 1, 51, 0).unwrap() + chrono::Duration::seconds(sec as i64))
    }

    fn statuses(spans: &[StepSpan]) -> Vec<&'static str> {
        spans.iter().map(|s| s.status.as_str()).collect()
    }

    #[test]
    fn nested_file_lock_does_not_move_the_step_backwards() {
        let mut t = Timeline::new(Unmentioned::Skipped);
        t.step_event(at(0), Step::GetTaskInfo, StepEvent::Start);
        t.step_event(at(0), Step::AssignWorker, StepEvent::Start);
        t.step_event(at(1), Step::FileLock, StepEvent::Skip);
        t.step_event(at(2), Step::AssignWorker, StepEvent::Success);
        assert_eq!(t.current(), Some(Step::FileLock));
        t.step_event(at(3), Step::ExecuteTask, StepEvent::Start);
        let spans = t.spans(RunEnding::Live, at(63).unwrap());
        assert_eq!(
            statuses(&spans),
            [
                "completed",
                "completed",
                "skipped",
                "in_progress",
                "pending",
                "pending",
                "pending"
            ]
        );
        // assign_worker ends at its own last line, which comes after file_lock began
        assert_eq!(spans[1].ended_at, at(2));
        assert_eq!(spans[3].duration_ms, Some(60_000), "the running step grows with now");
    }

    #[test]
    fn failure_keeps_its_step_and_ignores_recovery() {
        let mut t = Timeline::new(Unmentioned::Skipped);
        t.step_event(at(0), Step::ExecuteTask, StepEvent::Start);
        t.step_event(at(4), Step::CreateReport, StepEvent::Start);
        t.run_failed(at(5), "REPORT作成不可".into());
        t.step_event(at(6), Step::UpdateStatusDone, StepEvent::Success);
        assert_eq!(t.current(), Some(Step::CreateReport));
        assert_eq!(
            t.outcome(),
            &Outcome::Failed {
                step: Step::CreateReport,
                message: "REPORT作成不可".into(),
                at: at(5)
            }
        );
        let spans = t.spans(RunEnding::Stopped, at(100).unwrap());
        assert_eq!(spans[4].status, StepStatus::Failed);
        assert_eq!(spans[4].duration_ms, Some(1000));
        assert_eq!(spans[5].status, StepStatus::Pending);
        assert_eq!(
            spans[0].status,
            StepStatus::Skipped,
            "a log that never mentions a step skipped it"
        );
    }

    #[test]
    fn completed_run_marks_unreached_steps_skipped() {
        let mut t = Timeline::new(Unmentioned::Skipped);
        t.step_event(at(0), Step::UpdateStatusDone, StepEvent::Start);
        t.run_completed(at(2));
        let spans = t.spans(RunEnding::Live, at(9).unwrap());
        assert_eq!(spans[5].status, StepStatus::Completed);
        assert_eq!(spans[5].ended_at, at(2));
        assert_eq!(spans[6].status, StepStatus::Skipped);
    }

    #[test]
    fn coarse_sources_count_unmentioned_steps_as_completed() {
        let mut t = Timeline::new(Unmentioned::Completed);
        t.step_event(at(0), Step::FileLock, StepEvent::Start);
        let spans = t.spans(RunEnding::Live, at(1).unwrap());
        assert_eq!(statuses(&spans)[..3], ["completed", "completed", "in_progress"]);
    }

    #[test]
    fn open_run_of_a_stopped_task_fails_in_its_step() {
        let mut t = Timeline::new(Unmentioned::Skipped);
        t.step_event(at(0), Step::ExecuteTask, StepEvent::Start);
        let spans = t.spans(RunEnding::Stopped, at(50).unwrap());
        assert_eq!(spans[3].status, StepStatus::Failed);
        let spans = t.spans(RunEnding::Finished, at(50).unwrap());
        assert_eq!(spans[3].status, StepStatus::Completed);
        assert_eq!(spans[6].status, StepStatus::Skipped);
    }
}
