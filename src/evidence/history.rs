//! `change_history` rows about a task (docs/behaviour.md, "Tables read"): status changes, assignee
//! changes (written just before the status row of the same transaction), and
//! edits of other fields, as their writers left them.

use std::sync::Arc;

use crate::time::Instant;

/// Which field a row changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Field {
    Status,
    Assignee,
    Other,
}

/// One `change_history` row about a task. Text values are shared (`Arc<str>`):
/// statuses, workers and projects repeat across thousands of rows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HistoryRow {
    /// `change_history.id` (or the rowid): rows only ever get higher ids.
    pub id: i64,
    /// NULL for most writers; set by crash recovery and the daemon's checks.
    pub project_id: Option<Arc<str>>,
    pub field: Field,
    pub old_value: Option<Arc<str>>,
    pub new_value: Option<Arc<str>>,
    /// Who wrote it (`Worker (ParallelWorker)`, `System(crash_recovery)`, …), where the column exists.
    pub changed_by: Option<Arc<str>>,
    /// Whether the field, the new value or the reason mentions a report.
    pub mentions_report: bool,
    pub changed_at: Option<Instant>,
}

/// The assignee the launcher daemon writes before the worker names itself.
pub const LAUNCHER_ASSIGNEE: &str = "ParallelWorker";

impl HistoryRow {
    pub fn is_status_to(&self, status: &str) -> bool {
        self.field == Field::Status && self.new_value.as_deref() == Some(status)
    }

    /// Whether this is the worker naming itself: an assignee change to a
    /// worker label (`ParallelWorker` → `Worker A` after the daemon's launch,
    /// the `QUEUED → IN_PROGRESS` of a worker started by hand, the
    /// `REWORK維持 - Worker割当更新` of a rework run), written in its
    /// `assign_worker` step, after its file locks. The writers sign rows
    /// `<role> (<assignee>)` (`Worker (Worker A)`); older databases have no
    /// `changed_by`, and some writers sign with their role alone.
    pub fn is_worker_assignment(&self) -> bool {
        let Some(new) = self
            .new_value
            .as_deref()
            .filter(|v| self.field == Field::Assignee && *v != LAUNCHER_ASSIGNEE)
        else {
            return false;
        };
        match self.changed_by.as_deref() {
            None => true,
            Some(by) if by.contains(LAUNCHER_ASSIGNEE) => false,
            Some(by) => by.starts_with("Worker") || new.starts_with("Worker "),
        }
    }

    /// Whether the launcher daemon wrote this row (its launch: the assignee
    /// `→ ParallelWorker` and the status row of the same transaction).
    pub fn is_launchers(&self) -> bool {
        self.new_value.as_deref() == Some(LAUNCHER_ASSIGNEE)
            || self
                .changed_by
                .as_deref()
                .is_some_and(|by| by.contains(LAUNCHER_ASSIGNEE))
    }

    /// Whether this is a row only the launcher or the worker writes, while the
    /// task is (becoming) IN_PROGRESS: an assignee change to or from `ParallelWorker`.
    pub fn is_launch_assignment(&self) -> bool {
        self.field == Field::Assignee
            && (self.new_value.as_deref() == Some(LAUNCHER_ASSIGNEE)
                || self.old_value.as_deref() == Some(LAUNCHER_ASSIGNEE))
    }
}

/// Whether a non-status change's text mentions a report (the seed's `create_report` rule).
pub fn mentions_report(field: &str, new_value: Option<&str>, reason: Option<&str>) -> bool {
    field != "status"
        && [Some(field), new_value, reason]
            .into_iter()
            .flatten()
            .any(|text| text.to_ascii_lowercase().contains("report") || text.contains("レポート"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_mentions_are_case_insensitive_and_japanese_and_never_a_status() {
        assert!(mentions_report("notes", Some("REPORT_119.md written"), None));
        assert!(mentions_report("artifact", None, Some("レポート作成完了")));
        assert!(mentions_report("report_path", None, None));
        assert!(!mentions_report("status", Some("report"), Some("report")));
        assert!(!mentions_report("priority", Some("P1"), None));
    }
}
