//! The seed's rules (SPEC §5, source `history`): for a database with neither
//! recorded events nor a log, the furthest step the attempt's rows, the locks
//! held and the seed's `tasks.metadata` support — the attempt began →
//! `assign_worker`; an assignee change → `file_lock`; locks held →
//! `execute_task`; a change mentioning a report → `create_report`; a move to
//! DONE → `update_status_done`.

use super::attempt::{Attempt, Phase};
use crate::evidence::history::Field;
use crate::evidence::metadata::TaskMetadata;
use crate::evidence::run::{Run, Unmentioned};
use crate::evidence::HeldLocks;
use crate::step::{Step, StepEvent};

/// The attempt as the seed's rules read it; `None` when they find nothing.
/// `locks` and `metadata` describe the task now, so they are passed only for a
/// running attempt.
pub fn history_run(attempt: &Attempt<'_>, locks: Option<HeldLocks>, metadata: Option<&TaskMetadata>) -> Option<Run> {
    let mut run = Run::new(Unmentioned::Completed);
    if attempt.phase == Phase::Worker && attempt.entered_at.is_some() {
        run.step_event(attempt.entered_at, Step::AssignWorker, StepEvent::Start);
    }
    for row in &attempt.rows {
        let step = match row.field {
            Field::Assignee => Step::FileLock,
            Field::Status if row.is_status_to("DONE") => Step::UpdateStatusDone,
            _ if row.mentions_report => Step::CreateReport,
            _ => continue,
        };
        run.step_event(row.changed_at, step, StepEvent::Start);
    }
    if let Some(locks) = locks.filter(|l| l.count > 0) {
        run.step_event(locks.first_locked_at, Step::ExecuteTask, StepEvent::Start);
    }
    if let Some(metadata) = metadata {
        if metadata.file_locked {
            run.step_event(None, Step::ExecuteTask, StepEvent::Start);
        }
        if let Some(step) = metadata.current_step {
            run.step_event(None, step, StepEvent::Start);
        }
    }
    (!run.is_empty()).then_some(run)
}
