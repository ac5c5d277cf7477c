//! What `docs/behaviour.md` ("Worker logs") says, written out again here
//! independently of `src/`, for the targets to compare the parsers against.

use aipm_execution_steps::step::{Step, StepEvent};

/// The sub-steps of each of the seven steps, as the table in "Worker logs" lists them.
pub const SUB_STEPS: [(Step, &[&str]); 7] = [
    (Step::GetTaskInfo, &["get_task_info", "permission_profile"]),
    (Step::AssignWorker, &["assign_worker", "file_lock_cleanup"]),
    (Step::FileLock, &["file_lock", "file_lock_check"]),
    (
        Step::ExecuteTask,
        &[
            "execute_task",
            "create_checkpoint",
            "create_snapshot",
            "migration_safety_check",
            "docs_selector",
            "self_verification",
            "model_upgrade",
        ],
    ),
    (
        Step::CreateReport,
        &[
            "create_report",
            "static_analysis",
            "destructive_sql_check",
            "convert_report_to_html",
        ],
    ),
    (
        Step::UpdateStatusDone,
        &[
            "update_status_done",
            "file_lock_release",
            "record_bug_fix",
            "check_successors",
            "auto_kick",
            "bug_learning",
            "verification_history",
        ],
    ),
    (Step::AutoReview, &["auto_review"]),
];

/// The step `sub_step` belongs to, if any.
pub fn step_of(sub_step: &str) -> Option<Step> {
    SUB_STEPS
        .iter()
        .find(|(_, subs)| subs.contains(&sub_step))
        .map(|&(step, _)| step)
}

/// A worker-shaped line taken apart: `<time> [<level>] [<sub-step>] <event>:<detail>`.
#[derive(Debug, PartialEq, Eq)]
pub struct Shape<'a> {
    pub time: &'a str,
    pub sub_step: &'a str,
    pub event: &'a str,
    /// After the colon, untrimmed.
    pub detail: &'a str,
}

/// `line` (a `\r` at its end ignored) in the worker's step shape: a time
/// `YYYY-MM-DD HH:MM:SS` of ASCII digits, then ` [`, a level and a sub-step
/// each of 1 to 64 ASCII letters, digits or `_` in brackets with one space
/// between and after, an event of 1 to 32 lowercase ASCII letters or `_`, and a
/// colon.
pub fn shape(line: &str) -> Option<Shape<'_>> {
    let line = line.strip_suffix('\r').unwrap_or(line);
    let time = line.get(..19)?;
    let pattern = "dddd-dd-dd dd:dd:dd";
    let time_ok = time
        .bytes()
        .zip(pattern.bytes())
        .all(|(c, p)| if p == b'd' { c.is_ascii_digit() } else { c == p });
    if !time_ok {
        return None;
    }
    let name = |s: &str| !s.is_empty() && s.len() <= 64 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    let rest = line[19..].strip_prefix(" [")?;
    let (level, rest) = rest.split_once("] [")?;
    let (sub_step, rest) = rest.split_once("] ")?;
    let (event, detail) = rest.split_once(':')?;
    let event_ok = !event.is_empty() && event.len() <= 32 && event.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
    (name(level) && name(sub_step) && event_ok).then_some(Shape {
        time,
        sub_step,
        event,
        detail,
    })
}

/// The event names "Worker logs" lists as known; any other reads like `info`
/// (the parser keeps it as `Other`).
pub fn event_of(name: &str) -> StepEvent {
    match name {
        "start" => StepEvent::Start,
        "success" => StepEvent::Success,
        "skip" => StepEvent::Skip,
        "skipped" => StepEvent::Skipped,
        "info" => StepEvent::Info,
        "warning" => StepEvent::Warning,
        "error" => StepEvent::Error,
        "failed" => StepEvent::Failed,
        "complete" => StepEvent::Complete,
        _ => StepEvent::Other,
    }
}
