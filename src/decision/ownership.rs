//! Which `change_history` rows of a task id are this task's own (docs/behaviour.md, "Shared task ids").
//!
//! Task numbers are per project, so every project has a `TASK_001`, worker
//! labels are per project (each project's first running task is `Worker A`),
//! and most writers leave `project_id` NULL: rows of tasks that share an id
//! mix. Rows tagged with another project never count. Where no other project
//! has the id, every NULL row is the task's.
//!
//! Where one does, the NULL rows are shared out, each transaction (rows of one
//! second by one writer: the launcher's assignee and status rows come
//! together) to exactly one task, by a search over the ways to share them,
//! newest first, for the one that best fits what is known of each task:
//!
//! * walking back from its current status and assignee, a transaction's new
//!   values must be what the task was next known to have, and rows naming
//!   `ParallelWorker` are only written while a task is IN_PROGRESS;
//! * `tasks.started_at` is written with a task's first move to IN_PROGRESS,
//!   so that move is the task's, and no earlier one is;
//! * the task's own worker logs (their folder names the project) were
//!   launched with its moves to IN_PROGRESS;
//! * each rejection by review (DONE → REWORK) added one to its `reject_count`.
//!
//! A transaction that fits nobody is given where it costs least (a gap in the
//! writers' history is likelier than a stray row); another project's launch
//! never becomes this task's attempt when the task's own evidence places it.

use std::collections::HashMap;

use chrono::TimeDelta;

use super::attempt::HAND_START_LEAD;
use crate::evidence::history::{Field, HistoryRow};
use crate::evidence::{OtherTask, TaskRow};
use crate::time::Instant;

/// What a way of sharing the rows costs, for each thing it gets wrong.
mod cost {
    /// A transaction given to a task whose known state it does not lead to.
    pub const MISFIT: i32 = 10;
    /// A transaction given to nobody.
    pub const UNOWNED: i32 = 10;
    /// A move to IN_PROGRESS before the task's first (its `started_at`).
    pub const BEFORE_FIRST_START: i32 = 20;
    /// A task with a `started_at` left without the move that wrote it.
    pub const FIRST_START_MISSING: i32 = 8;
    /// A move to IN_PROGRESS of this task that one of its own logs was launched with.
    pub const OWN_LOG_LAUNCH: i32 = -1;
    /// A rejection more than the task's `reject_count` counts.
    pub const REJECTION_TOO_MANY: i32 = 10;
}

/// Ways of sharing kept at each step of the search (the lowest costs).
const FRONTIER_KEPT: usize = 256;
/// How long after its move to IN_PROGRESS the daemon's log of the launch may be created.
const LOG_AFTER_LAUNCH: TimeDelta = TimeDelta::seconds(30);

/// The rows of `rows` (every row about the task id, oldest first) that belong
/// to `task`, oldest first. `own_logs` are the launch times of the task's own
/// worker logs.
#[cfg(test)]
pub fn own_rows<'a>(
    rows: &'a [HistoryRow],
    task: &TaskRow,
    others: &[OtherTask],
    own_logs: &[Instant],
) -> Vec<&'a HistoryRow> {
    own_row_indices(rows, task, others, own_logs)
        .into_iter()
        .map(|i| &rows[i])
        .collect()
}

/// Where in `rows` the task's own rows are, oldest first ([`own_rows`]).
pub fn own_row_indices(rows: &[HistoryRow], task: &TaskRow, others: &[OtherTask], own_logs: &[Instant]) -> Vec<usize> {
    let ours = task.project_id.as_str();
    let tagged_ok = |r: &HistoryRow| r.project_id.as_deref().is_none_or(|p| p == ours);
    if others.is_empty() {
        return (0..rows.len()).filter(|&i| tagged_ok(&rows[i])).collect();
    }
    let tasks: Vec<Known<'_>> = std::iter::once(Known {
        project_id: ours,
        status: Some(task.status.as_str()),
        assignee: task.assignee.as_deref(),
        started_at: task.started_at,
        reject_count: task.reject_count,
    })
    .chain(others.iter().map(|o| Known {
        project_id: &o.project_id,
        status: Some(o.status.as_str()),
        assignee: o.assignee.as_deref(),
        started_at: o.started_at,
        reject_count: o.reject_count,
    }))
    .collect();
    let groups = transactions(rows);
    let owners = share(rows, &groups, &tasks, own_logs);
    let mut kept = Vec::new();
    for (&(start, end), owner) in groups.iter().zip(owners) {
        if owner == Some(0) {
            kept.extend((start..end).filter(|&i| tagged_ok(&rows[i])));
        }
    }
    kept
}

/// What is known of one task sharing the id.
struct Known<'a> {
    project_id: &'a str,
    status: Option<&'a str>,
    assignee: Option<&'a str>,
    started_at: Option<Instant>,
    reject_count: Option<i64>,
}

/// What a task was next known to have, walking back.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct Expected<'a> {
    status: Option<&'a str>,
    assignee: Option<&'a str>,
    /// The move that wrote its `started_at` has been given to it.
    first_start_seen: bool,
    /// Rejections (DONE → REWORK) given to it.
    rejections: i64,
}

/// One way of sharing the transactions from the newest back to some point.
struct Node<'a> {
    state: Vec<Expected<'a>>,
    cost: i32,
    /// The node it came from and the owner it gave the transaction (`None`: nobody).
    from: Option<(usize, Option<usize>)>,
}

/// The owner of each transaction (index into `tasks`; `None`: nobody), oldest first.
fn share<'a>(
    rows: &'a [HistoryRow],
    groups: &[(usize, usize)],
    tasks: &[Known<'a>],
    own_logs: &[Instant],
) -> Vec<Option<usize>> {
    let mut nodes: Vec<Node<'a>> = vec![Node {
        state: tasks
            .iter()
            .map(|t| Expected {
                status: t.status,
                assignee: t.assignee,
                first_start_seen: false,
                rejections: 0,
            })
            .collect(),
        cost: 0,
        from: None,
    }];
    let mut frontier = vec![0];
    for &(start, end) in groups.iter().rev() {
        let group = &rows[start..end];
        let tag = group.iter().find_map(|r| r.project_id.as_deref());
        let candidates: Vec<Option<usize>> = match tag {
            Some(tag) => vec![tasks.iter().position(|t| t.project_id == tag)],
            None => (0..tasks.len()).map(Some).chain([None]).collect(),
        };
        let mut next: HashMap<Vec<Expected<'a>>, usize> = HashMap::new();
        let mut order = Vec::new();
        for &at in &frontier {
            for &owner in &candidates {
                let (state, step_cost) = give(&nodes[at].state, group, owner, tasks, own_logs, tag.is_some());
                let cost = nodes[at].cost + step_cost;
                match next.get(&state) {
                    Some(&kept) if nodes[kept].cost <= cost => {}
                    Some(&kept) => {
                        nodes[kept].cost = cost;
                        nodes[kept].from = Some((at, owner));
                    }
                    None => {
                        nodes.push(Node {
                            state: state.clone(),
                            cost,
                            from: Some((at, owner)),
                        });
                        next.insert(state, nodes.len() - 1);
                        order.push(nodes.len() - 1);
                    }
                }
            }
        }
        // Lowest cost first; among equals, the way found first (ours before others).
        order.sort_by_key(|&n| nodes[n].cost);
        order.truncate(FRONTIER_KEPT);
        frontier = order;
    }
    let total = |n: &Node<'_>| {
        n.cost
            + n.state
                .iter()
                .zip(tasks)
                .filter(|(e, t)| t.started_at.is_some() && !e.first_start_seen)
                .count() as i32
                * cost::FIRST_START_MISSING
    };
    let best = frontier
        .iter()
        .copied()
        .min_by_key(|&n| total(&nodes[n]))
        .expect("the frontier is never empty");
    // Back from the best way to the first node: the owners, oldest transaction first.
    let mut owners = Vec::with_capacity(groups.len());
    let mut at = best;
    while let Some((from, owner)) = nodes[at].from {
        owners.push(owner);
        at = from;
    }
    owners
}

/// `state` after giving `group` to `owner`, and what that costs. A tagged
/// group goes where its tag says, at no cost.
fn give<'a>(
    state: &[Expected<'a>],
    group: &'a [HistoryRow],
    owner: Option<usize>,
    tasks: &[Known<'a>],
    own_logs: &[Instant],
    tagged: bool,
) -> (Vec<Expected<'a>>, i32) {
    let mut state = state.to_vec();
    let Some(k) = owner else {
        return (state, if tagged { 0 } else { cost::UNOWNED });
    };
    let mut cost = 0;
    let expected = &mut state[k];
    match walk_back(group, expected.status, expected.assignee) {
        Ok((status, assignee)) => (expected.status, expected.assignee) = (status, assignee),
        Err((status, assignee)) => {
            (expected.status, expected.assignee) = (status, assignee);
            if !tagged {
                cost += cost::MISFIT;
            }
        }
    }
    if group
        .iter()
        .any(|r| r.is_status_to("REWORK") && r.old_value.as_deref() == Some("DONE"))
    {
        expected.rejections += 1;
        if tasks[k].reject_count.is_some_and(|count| expected.rejections > count) {
            cost += cost::REJECTION_TOO_MANY;
        }
    }
    if let Some(moved) = group
        .iter()
        .find(|r| r.is_status_to("IN_PROGRESS"))
        .and_then(|r| r.changed_at)
    {
        if let Some(first) = tasks[k].started_at {
            // `started_at` (Python's clock, µs) and the status row (SQLite's, whole
            // seconds) are written in one transaction: the same second, or the next.
            let first_second = first.timestamp();
            match moved.timestamp() - first_second {
                ..0 => cost += cost::BEFORE_FIRST_START,
                0 | 1 => expected.first_start_seen = true,
                _ => {}
            }
        }
        let with_own_log = own_logs
            .iter()
            .any(|&l| l >= moved - HAND_START_LEAD && l <= moved + LOG_AFTER_LAUNCH);
        if k == 0 && with_own_log {
            cost += cost::OWN_LOG_LAUNCH;
        }
    }
    (state, cost)
}

/// Walks `group` back from a task next known in `status` with `assignee`:
/// `Ok` with what it had before, if every status and assignee row leads to
/// what it was known to have (and a launcher row comes with IN_PROGRESS);
/// `Err` with what the rows say it had before, if not.
type Before<'a> = (Option<&'a str>, Option<&'a str>);

fn walk_back<'a>(
    group: &'a [HistoryRow],
    mut status: Option<&'a str>,
    mut assignee: Option<&'a str>,
) -> Result<Before<'a>, Before<'a>> {
    let mut fits = true;
    let moves_to_in_progress = group.iter().any(|r| r.is_status_to("IN_PROGRESS"));
    for row in group.iter().rev() {
        match row.field {
            Field::Status => {
                fits &= status.is_some() && row.new_value.as_deref() == status;
                status = row.old_value.as_deref();
            }
            Field::Assignee => {
                fits &= assignee.is_some() && row.new_value.as_deref() == assignee;
                // The launcher's rows are written with the move to IN_PROGRESS (in this
                // transaction, seen above) or while the task is IN_PROGRESS.
                let in_progress = status == Some("IN_PROGRESS") || moves_to_in_progress;
                fits &= !row.is_launch_assignment() || in_progress;
                assignee = row.old_value.as_deref();
            }
            Field::Other => {}
        }
    }
    if fits {
        Ok((status, assignee))
    } else {
        Err((status, assignee))
    }
}

/// The rows' transactions, oldest first, as (start, end) ranges: rows next to
/// each other of the same second and writer.
fn transactions(rows: &[HistoryRow]) -> Vec<(usize, usize)> {
    let key = |r: &HistoryRow| (r.changed_at.map(|t| t.timestamp()), r.changed_by.clone());
    let mut groups = Vec::new();
    let mut start = 0;
    for i in 1..=rows.len() {
        let ends = i == rows.len()
            || rows[i].changed_at.is_none()
            || rows[i - 1].changed_at.is_none()
            || key(&rows[i]) != key(&rows[i - 1]);
        if ends {
            groups.push((start, i));
            start = i;
        }
    }
    groups
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
            started_at: None,
            reject_count: None,
        }
    }

    /// `started_at` as the backend writes it with the move at `sec`: a moment before, µs precision.
    fn started(sec: i64) -> Option<Instant> {
        row(None, "x", None, "x", sec, "x")
            .changed_at
            .map(|t| t + chrono::Duration::microseconds(250_123))
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
        let kept = own_rows(&rows, &task("mine", "QUEUED", "Worker A"), &[], &[]);
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
        assert_eq!(seconds(&own_rows(&rows, &ours, &theirs, &[])), [0, 0, 1, 40, 80]);
        let their_view = task("other", "IN_PROGRESS", "Worker A");
        let as_other = [other("mine", "REWORK", "Worker A")];
        assert_eq!(seconds(&own_rows(&rows, &their_view, &as_other, &[])), [100, 100, 101]);
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
            &[],
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
            &[],
        );
        assert_eq!(seconds(&kept), [0, 0, 1, 30, 40, 40, 41]);
    }

    #[test]
    fn a_later_launch_of_the_other_projects_task_stays_theirs() {
        // Both projects' TASK_1 run as `Worker A`: ours launched at 0, theirs at 100.
        let mut rows = launch(None, "Worker A", 0);
        rows.extend(launch(None, "Worker A", 100));
        let mut ours = task("mine", "IN_PROGRESS", "Worker A");
        ours.started_at = started(0);
        let mut theirs = other("other", "IN_PROGRESS", "Worker A");
        theirs.started_at = started(100);
        assert_eq!(seconds(&own_rows(&rows, &ours, &[theirs.clone()], &[])), [0, 0, 1]);
        let mut their_view = task("other", "IN_PROGRESS", "Worker A");
        their_view.started_at = started(100);
        let mut as_other = other("mine", "IN_PROGRESS", "Worker A");
        as_other.started_at = started(0);
        assert_eq!(
            seconds(&own_rows(&rows, &their_view, &[as_other], &[])),
            [100, 100, 101]
        );

        // Launched a second apart.
        let mut rows = launch(None, "Worker A", 0);
        rows.extend(launch(None, "Worker A", 1));
        rows.sort_by_key(|r| r.id);
        ours.started_at = started(0);
        theirs.started_at = started(1);
        let kept = own_rows(&rows, &ours, &[theirs.clone()], &[]);
        assert_eq!(
            kept.iter()
                .map(|r| r.changed_by.as_deref().unwrap())
                .collect::<Vec<_>>(),
            ["Worker (ParallelWorker)", "Worker (ParallelWorker)", "Worker A"]
        );
        assert_eq!(seconds(&kept), [0, 0, 1]);
        // A second boundary between started_at and the status row still places it.
        ours.started_at = started(-1);
        assert_eq!(seconds(&own_rows(&rows, &ours, &[theirs.clone()], &[])), [0, 0, 1]);

        // Without started_at (an older database), our own log places our launch.
        let mut rows = launch(None, "Worker A", 0);
        rows.extend(launch(None, "Worker A", 100));
        ours.started_at = None;
        theirs.started_at = None;
        let log_at = rows[1].changed_at.unwrap() + chrono::Duration::seconds(1);
        assert_eq!(seconds(&own_rows(&rows, &ours, &[theirs], &[log_at])), [0, 0, 1]);
    }
}
