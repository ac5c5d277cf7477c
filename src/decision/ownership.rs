//! Which `change_history` rows of a task id are this task's own (SPEC §3).
//!
//! The same task id exists in several projects, and most writers leave
//! `project_id` NULL. Rows tagged with another project never count. Where no
//! other project has the id, every NULL row is the task's. Where one does, the
//! NULL rows are shared out between the tasks by what each task's own history
//! makes possible: walking back from each task's current status and assignee,
//! a transaction (rows of one second by one writer: the launcher's assignee
//! and status rows come together) belongs to the tasks whose state it leads
//! to — its new values must be what that task was next known to have — and
//! rows naming `ParallelWorker` are only ever written while a task is
//! IN_PROGRESS. A transaction that fits several tasks is counted for each; one
//! that fits none is kept (a gap in the writers' history is likelier than a
//! stray row).

use crate::evidence::history::{Field, HistoryRow};
use crate::evidence::{OtherTask, TaskRow};

/// The rows of `rows` (every row about the task id, oldest first) that belong
/// to `task`, oldest first.
pub fn own_rows<'a>(rows: &'a [HistoryRow], task: &TaskRow, others: &[OtherTask]) -> Vec<&'a HistoryRow> {
    let ours = task.project_id.as_str();
    let tagged_ok = |r: &HistoryRow| r.project_id.as_deref().is_none_or(|p| p == ours);
    if others.is_empty() {
        return rows.iter().filter(|r| tagged_ok(r)).collect();
    }

    // Expectations per task, walking back in time: index 0 is ours.
    let mut status: Vec<Option<&str>> = Vec::with_capacity(others.len() + 1);
    let mut assignee: Vec<Option<&str>> = Vec::with_capacity(others.len() + 1);
    status.push(Some(task.status.as_str()));
    assignee.push(task.assignee.as_deref());
    for other in others {
        status.push(Some(other.status.as_str()));
        assignee.push(other.assignee.as_deref());
    }
    let project_index = |p: &str| {
        if p == ours {
            Some(0)
        } else {
            others.iter().position(|o| &*o.project_id == p).map(|i| i + 1)
        }
    };

    let mut keep = vec![false; rows.len()];
    let mut end = rows.len();
    while end > 0 {
        let start = transaction_start(rows, end);
        let group = &rows[start..end];
        let owners: Vec<usize> = match group.iter().find_map(|r| r.project_id.as_deref()) {
            Some(tag) => project_index(tag).into_iter().collect(),
            None => {
                let fits = |i: usize| fits_transaction(group, status[i], assignee[i]);
                let fitting: Vec<usize> = (0..status.len()).filter(|&i| fits(i)).collect();
                if fitting.is_empty() {
                    vec![0]
                } else {
                    fitting
                }
            }
        };
        for &owner in &owners {
            for row in group.iter().rev() {
                match row.field {
                    Field::Status => status[owner] = row.old_value.as_deref(),
                    Field::Assignee => assignee[owner] = row.old_value.as_deref(),
                    Field::Other => {}
                }
            }
        }
        if owners.contains(&0) {
            for (i, row) in group.iter().enumerate() {
                keep[start + i] = tagged_ok(row);
            }
        }
        end = start;
    }
    rows.iter().zip(keep).filter_map(|(r, k)| k.then_some(r)).collect()
}

/// Where the transaction ending at `end` (exclusive) begins: the rows before
/// it of the same second and writer.
fn transaction_start(rows: &[HistoryRow], end: usize) -> usize {
    let last = &rows[end - 1];
    let key = |r: &HistoryRow| (r.changed_at.map(|t| t.timestamp()), r.changed_by.clone());
    let mut start = end - 1;
    while start > 0 && key(&rows[start - 1]) == key(last) && last.changed_at.is_some() {
        start -= 1;
    }
    start
}

/// Whether a task that was next known in `status` with `assignee` can have
/// written `group`: walking it back, every status and assignee row must lead
/// to what the task was known to have, and a launcher row needs IN_PROGRESS.
fn fits_transaction<'a>(group: &'a [HistoryRow], mut status: Option<&'a str>, mut assignee: Option<&'a str>) -> bool {
    for row in group.iter().rev() {
        match row.field {
            Field::Status => {
                if status.is_none() || row.new_value.as_deref() != status {
                    return false;
                }
                status = row.old_value.as_deref();
            }
            Field::Assignee => {
                if assignee.is_none() || row.new_value.as_deref() != assignee {
                    return false;
                }
                // The launcher's rows are written with the move to IN_PROGRESS (in this
                // transaction, seen above) or while the task is IN_PROGRESS.
                let in_progress = status == Some("IN_PROGRESS") || group.iter().any(|r| r.is_status_to("IN_PROGRESS"));
                if row.is_launch_assignment() && !in_progress {
                    return false;
                }
                assignee = row.old_value.as_deref();
            }
            Field::Other => {}
        }
    }
    true
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};
    use std::sync::Arc;

    /// A history row at `sec` seconds after 2026-10-24 01:00 UTC.
    pub fn row(project: Option<&str>, field: &str, old: Option<&str>, new: &str, sec: i64, by: &str) -> HistoryRow {
        HistoryRow {
            id: sec,
            project_id: project.map(Arc::from),
            field: match field {
                "status" => Field::Status,
                "assignee" => Field::Assignee,
                _ => Field::Other,
            },
            old_value: old.map(Arc::from),
            new_value: Some(Arc::from(new)),
            changed_by: Some(Arc::from(by)),
            mentions_report: false,
            changed_at: Some(Utc.with_ymd_and_hms(2026, 10, 24, 1, 0, 0).unwrap() + chrono::Duration::seconds(sec)),
        }
    }

    /// The daemon's launch: assignee → ParallelWorker and QUEUED → IN_PROGRESS in one second;
    /// the worker's own row a second later.
    pub fn launch(project: Option<&str>, worker: &str, sec: i64) -> Vec<HistoryRow> {
        vec![
            row(
                project,
                "assignee",
                None,
                "ParallelWorker",
                sec,
                "Worker (ParallelWorker)",
            ),
            row(
                project,
                "status",
                Some("QUEUED"),
                "IN_PROGRESS",
                sec,
                "Worker (ParallelWorker)",
            ),
            row(project, "assignee", Some("ParallelWorker"), worker, sec + 1, worker),
        ]
    }

    fn task(project: &str, status: &str, assignee: &str) -> TaskRow {
        TaskRow {
            id: "TASK_1".into(),
            project_id: project.into(),
            status: status.into(),
            assignee: Some(assignee.into()),
            ..TaskRow::default()
        }
    }

    fn other(project: &str, status: &str, assignee: &str) -> OtherTask {
        OtherTask {
            project_id: Arc::from(project),
            status: status.into(),
            assignee: Some(assignee.into()),
        }
    }

    fn seconds(rows: &[&HistoryRow]) -> Vec<i64> {
        rows.iter().map(|r| r.id).collect()
    }

    #[test]
    fn without_another_project_every_untagged_row_counts_and_tagged_ones_of_others_never() {
        let mut rows = launch(None, "Worker A", 0);
        rows.push(row(
            Some("other"),
            "status",
            Some("IN_PROGRESS"),
            "QUEUED",
            5,
            "System(crash_recovery)",
        ));
        rows.push(row(
            Some("mine"),
            "status",
            Some("IN_PROGRESS"),
            "QUEUED",
            6,
            "System(crash_recovery)",
        ));
        let kept = own_rows(&rows, &task("mine", "QUEUED", "Worker A"), &[]);
        assert_eq!(seconds(&kept), [0, 0, 1, 6]);
    }

    #[test]
    fn a_rework_task_does_not_take_the_other_projects_later_launch() {
        // Ours ran, was rejected (REWORK); then the other project's task with the same id was launched.
        let mut rows = launch(None, "Worker A", 0);
        rows.push(row(None, "status", Some("IN_PROGRESS"), "DONE", 40, "Worker A"));
        rows.push(row(None, "status", Some("DONE"), "REWORK", 80, "ReviewWorker"));
        rows.extend(launch(None, "Worker A", 100));
        let ours = task("mine", "REWORK", "Worker A");
        let theirs = [other("other", "IN_PROGRESS", "Worker A")];
        assert_eq!(seconds(&own_rows(&rows, &ours, &theirs)), [0, 0, 1, 40, 80]);
        let their_view = task("other", "IN_PROGRESS", "Worker A");
        let as_other = [other("mine", "REWORK", "Worker A")];
        assert_eq!(seconds(&own_rows(&rows, &their_view, &as_other)), [100, 100, 101]);
    }

    #[test]
    fn interleaved_runs_are_told_apart_by_their_workers() {
        // Ours launched at 0 (Worker A) and still runs; theirs launched at 3 (Worker B) and finished at 9.
        let mut rows = launch(None, "Worker A", 0);
        rows.extend(launch(None, "Worker B", 3));
        rows.sort_by_key(|r| r.id);
        rows.push(row(None, "status", Some("IN_PROGRESS"), "DONE", 9, "Worker B"));
        let kept = own_rows(
            &rows,
            &task("mine", "IN_PROGRESS", "Worker A"),
            &[other("other", "DONE", "Worker B")],
        );
        assert_eq!(seconds(&kept), [0, 0, 1]);
    }

    #[test]
    fn rows_tagged_with_the_project_decide_and_recovery_rows_keep_the_launch() {
        // Crash recovery (tagged) moved ours back to QUEUED; the relaunch is untagged again.
        let mut rows = launch(None, "Worker A", 0);
        rows.push(row(
            Some("mine"),
            "status",
            Some("IN_PROGRESS"),
            "QUEUED",
            30,
            "System(crash_recovery)",
        ));
        rows.extend(launch(None, "Worker C", 40));
        let kept = own_rows(
            &rows,
            &task("mine", "IN_PROGRESS", "Worker C"),
            &[other("other", "COMPLETED", "Worker B")],
        );
        assert_eq!(seconds(&kept), [0, 0, 1, 30, 40, 40, 41]);
    }
}
