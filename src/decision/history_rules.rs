//! The seed's rules (docs/behaviour.md, "The history rules"; source `history`): for an attempt without
//! recorded events or a log, the furthest step its rows, the locks held and
//! the seed's `tasks.metadata` support. Every rule is a step the worker has
//! certainly reached, so a later, finer source never shows an earlier step:
//!
//! * launched by the daemon, nothing from the worker yet → `get_task_info`
//!   (the worker's interpreter is starting);
//! * moved to IN_PROGRESS by someone else → `assign_worker`;
//! * the worker named itself (its assignee row, or a worker started by hand
//!   moving the task itself: both written after its file locks) → `file_lock`;
//! * locks held once the worker has them (the launcher's own locks, taken
//!   before the launch, say nothing of the worker) → `execute_task`;
//! * a change mentioning a report → `create_report`;
//! * a move to DONE → `update_status_done`.
//!
//! A task without target files skips `file_lock` (the worker logs
//! `[file_lock] skip`), and its timeline says so.

use super::attempt::{Attempt, Phase};
use crate::evidence::history::Field;
use crate::evidence::metadata::TaskMetadata;
use crate::evidence::run::{Run, Unmentioned};
use crate::evidence::HeldLocks;
use crate::step::{Step, StepEvent};

/// What the rules read besides the attempt's rows.
#[derive(Clone, Copy, Debug, Default)]
pub struct Now<'a> {
    /// Locks held on the task's files now (only for an attempt that is running).
    pub locks: Option<HeldLocks>,
    /// The seed's metadata, only where the attempt's worker has started (a value
    /// left by an earlier attempt says nothing of this one).
    pub metadata: Option<&'a TaskMetadata>,
    /// `Some(false)`: the task has no target files.
    pub has_target_files: Option<bool>,
}

/// The attempt as the seed's rules read it; `None` when they find nothing.
pub fn history_run(attempt: &Attempt<'_>, entry_by: Option<&str>, now: Now<'_>) -> Option<Run> {
    let mut run = Run::new(Unmentioned::Completed);
    let file_lock = if now.has_target_files == Some(false) {
        StepEvent::Skip
    } else {
        StepEvent::Start
    };
    let worker_started = worker_started(attempt, entry_by);
    if attempt.phase == Phase::Worker && attempt.entered_at.is_some() {
        let (step, event) = if attempt.launched_by_daemon() {
            (Step::GetTaskInfo, StepEvent::Start)
        } else if by_a_worker(entry_by) {
            (Step::FileLock, file_lock)
        } else {
            (Step::AssignWorker, StepEvent::Start)
        };
        run.step_event(attempt.entered_at, step, event);
    }
    for row in &attempt.rows {
        let (step, event) = match row.field {
            Field::Assignee if row.is_worker_assignment() => (Step::FileLock, file_lock),
            Field::Status if row.is_status_to("DONE") => (Step::UpdateStatusDone, StepEvent::Start),
            _ if row.mentions_report => (Step::CreateReport, StepEvent::Start),
            _ => continue,
        };
        run.step_event(row.changed_at, step, event);
    }
    let worker_holds_locks = attempt.phase != Phase::Worker || worker_started || attempt.entered_at.is_none();
    if let Some(locks) = now.locks.filter(|l| l.count > 0 && worker_holds_locks) {
        run.step_event(locks.first_locked_at, Step::ExecuteTask, StepEvent::Start);
    }
    if let Some(metadata) = now.metadata {
        if metadata.file_locked {
            run.step_event(None, Step::ExecuteTask, StepEvent::Start);
        }
        if let Some(step) = metadata.current_step {
            run.step_event(None, step, StepEvent::Start);
        }
    }
    let passed_file_lock = run.reached().is_some_and(|r| r > Step::FileLock);
    if now.has_target_files == Some(false) && passed_file_lock && !run.marks(Step::FileLock).mentioned {
        run.step_event(None, Step::FileLock, StepEvent::Skip);
    }
    (!run.is_empty()).then_some(run)
}

/// Whether the attempt's worker has said something of its own in history:
/// named itself, or (started by hand) moved the task itself.
pub fn worker_started(attempt: &Attempt<'_>, entry_by: Option<&str>) -> bool {
    attempt.worker_assigned() || (attempt.phase == Phase::Worker && by_a_worker(entry_by))
}

/// Whether the row that began an attempt was written by a worker (`Worker
/// (Worker A)`): one started by hand moves its task itself, after its locks.
pub fn by_a_worker(changed_by: Option<&str>) -> bool {
    changed_by.is_some_and(|by| by.starts_with("Worker (") && !by.contains("ParallelWorker"))
}
