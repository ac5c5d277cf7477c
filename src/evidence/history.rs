//! `change_history` rows of one task (SPEC §3), scoped to its project, and the
//! seed's rules that read a step out of them (SPEC §5, source `history`).

use crate::evidence::attempt::{Attempt, Entered};
use crate::steps::{Step, StepEvent};
use crate::time::Instant;
use crate::timeline::{Timeline, Unmentioned};

/// One `change_history` row about a task.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HistoryRow {
    /// `None` where the writer left it NULL (the real writers do) or the column is missing.
    pub project_id: Option<String>,
    pub field: String,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    pub reason: Option<String>,
    pub changed_at: Option<Instant>,
}

impl HistoryRow {
    pub fn is_status(&self) -> bool {
        self.field == "status"
    }

    pub fn is_status_to(&self, status: &str) -> bool {
        self.is_status() && self.new_value.as_deref() == Some(status)
    }

    pub fn is_assignee(&self) -> bool {
        self.field == "assignee"
    }

    /// A non-status change whose text mentions a report.
    pub fn mentions_report(&self) -> bool {
        !self.is_status()
            && [
                Some(self.field.as_str()),
                self.new_value.as_deref(),
                self.reason.as_deref(),
            ]
            .into_iter()
            .flatten()
            .any(|text| text.to_ascii_lowercase().contains("report") || text.contains("レポート"))
    }
}

/// The rows of `rows` that can belong to the task `(task, project)`.
///
/// Rows tagged with another project never count. Rows with a NULL project are
/// the task's own unless another project has a task with the same id
/// (`shared_id`); then rows tagged with this project win if there are any, and
/// otherwise NULL rows that contradict this task's own state are dropped: a task
/// cannot have been handed to another worker after it got the one it has now
/// (nor made the status change written with that assignment), and a task in
/// status S now cannot have left S after it last entered S.
pub fn scope_rows(
    rows: Vec<HistoryRow>,
    project_id: &str,
    shared_id: bool,
    status: &str,
    assignee: Option<&str>,
) -> Vec<HistoryRow> {
    let mut rows: Vec<HistoryRow> = rows
        .into_iter()
        .filter(|r| r.project_id.as_deref().is_none_or(|p| p == project_id))
        .collect();
    if !shared_id {
        return rows;
    }
    if rows.iter().any(|r| r.project_id.is_some()) {
        rows.retain(|r| r.project_id.is_some());
        return rows;
    }
    // Another worker's assignment, after ours, is the other task's; so is the
    // status change it came with (the worker writes both in the same second).
    if let Some(assignee) = assignee {
        let is_ours = |r: &HistoryRow| r.is_assignee() && r.new_value.as_deref() == Some(assignee);
        let ours = rows.iter().rposition(is_ours);
        let foreign: Vec<usize> = (ours.map_or(0, |i| i + 1)..rows.len())
            .filter(|&i| rows[i].is_assignee() && !is_ours(&rows[i]))
            .collect();
        let second = |r: &HistoryRow| r.changed_at.map(|t| t.timestamp());
        let foreign_seconds: Vec<_> = foreign.iter().filter_map(|&i| second(&rows[i])).collect();
        let our_seconds: Vec<_> = rows.iter().filter(|r| is_ours(r)).filter_map(second).collect();
        let mut index = 0;
        rows.retain(|r| {
            let i = index;
            index += 1;
            let paired_with_foreign =
                r.is_status() && second(r).is_some_and(|s| foreign_seconds.contains(&s) && !our_seconds.contains(&s));
            !foreign.contains(&i) && !paired_with_foreign
        });
    }
    let Some(entry) = rows.iter().rposition(|r| r.is_status_to(status)) else {
        return rows;
    };
    let mut index = 0;
    rows.retain(|r| {
        let after_entry = index > entry;
        index += 1;
        !(after_entry && r.is_status() && !r.is_status_to(status))
    });
    rows
}

/// Locks the worker holds on the task's files right now (`file_locks`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HeldLocks {
    pub count: u32,
    pub first_locked_at: Option<Instant>,
}

/// The seed's history rules as a coarse timeline of the attempt: the attempt
/// began → `assign_worker`; an assignee change → `file_lock`; locks held →
/// `execute_task`; a report mentioned → `create_report`; a transition to DONE →
/// `update_status_done`. `None` when the attempt shows nothing at all.
pub fn history_timeline(
    rows: &[HistoryRow],
    attempt: &Attempt,
    locks: Option<&HeldLocks>,
    metadata_file_locked: bool,
) -> Option<Timeline> {
    let mut timeline = Timeline::new(Unmentioned::Completed);
    let mut any = false;
    let mut mark = |timeline: &mut Timeline, at, step| {
        timeline.step_event(at, step, StepEvent::Start);
        any = true;
    };
    if attempt.entered == Some(Entered::InProgress) {
        mark(&mut timeline, attempt.entered_at, Step::AssignWorker);
    }
    for row in attempt.rows(rows) {
        if row.is_assignee() {
            mark(&mut timeline, row.changed_at, Step::FileLock);
        } else if row.is_status_to("DONE") {
            mark(&mut timeline, row.changed_at, Step::UpdateStatusDone);
        } else if row.mentions_report() {
            mark(&mut timeline, row.changed_at, Step::CreateReport);
        }
    }
    if let Some(locks) = locks.filter(|l| l.count > 0) {
        mark(&mut timeline, locks.first_locked_at, Step::ExecuteTask);
    }
    if metadata_file_locked {
        mark(&mut timeline, None, Step::ExecuteTask);
    }
    any.then_some(timeline)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    pub fn row(project: Option<&str>, field: &str, old: &str, new: &str, sec: i64) -> HistoryRow {
        HistoryRow {
            project_id: project.map(str::to_owned),
            field: field.to_owned(),
            old_value: Some(old.to_owned()),
            new_value: Some(new.to_owned()),
            reason: None,
            changed_at: Some(Utc.with_ymd_and_hms(2026, 10, 24, 1, 0, 0).unwrap() + chrono::Duration::seconds(sec)),
        }
    }

    #[test]
    fn other_projects_rows_never_count() {
        let rows = vec![
            row(Some("other"), "status", "QUEUED", "IN_PROGRESS", 0),
            row(None, "status", "QUEUED", "IN_PROGRESS", 1),
        ];
        let kept = scope_rows(rows, "mine", false, "IN_PROGRESS", None);
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].project_id, None);
    }

    #[test]
    fn shared_id_prefers_rows_tagged_with_the_project() {
        let rows = vec![
            row(None, "status", "QUEUED", "IN_PROGRESS", 0),
            row(Some("mine"), "status", "QUEUED", "IN_PROGRESS", 5),
        ];
        let kept = scope_rows(rows, "mine", true, "IN_PROGRESS", None);
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].project_id.as_deref(), Some("mine"));
    }

    #[test]
    fn shared_id_drops_null_rows_that_contradict_the_task() {
        // ours went IN_PROGRESS at 0; the other project's task went IN_PROGRESS at 3 and DONE at 9
        let rows = vec![
            row(None, "assignee", "", "Worker A", 0),
            row(None, "status", "QUEUED", "IN_PROGRESS", 0),
            row(None, "assignee", "", "Worker B", 3),
            row(None, "status", "QUEUED", "IN_PROGRESS", 3),
            row(None, "status", "IN_PROGRESS", "DONE", 9),
        ];
        let kept = scope_rows(rows, "mine", true, "IN_PROGRESS", Some("Worker A"));
        let fields: Vec<_> = kept
            .iter()
            .map(|r| (r.field.as_str(), r.new_value.as_deref().unwrap()))
            .collect();
        assert_eq!(
            fields,
            [("assignee", "Worker A"), ("status", "IN_PROGRESS")],
            "the other worker's assignment, its transition and its DONE are not ours"
        );
    }

    #[test]
    fn report_mentions_are_case_insensitive_and_japanese() {
        let mut r = row(None, "notes", "", "REPORT_119.md written", 0);
        assert!(r.mentions_report());
        r.new_value = Some("レポート作成".into());
        assert!(r.mentions_report());
        r.new_value = Some("nothing".into());
        assert!(!r.mentions_report());
        let mut status = row(None, "status", "DONE", "REWORK", 0);
        status.reason = Some("report rejected".into());
        assert!(!status.mentions_report(), "a status change is judged by its status");
    }
}
