//! SPEC §9: a batch runs a fixed number of SQL statements, however many tasks
//! it covers. Counted with SQLite's trace hook on a read-only connection the
//! test controls, over the same read the tracker makes.

mod support;

use std::cell::Cell;

use aipm_execution_steps::db::pool::Reader;
use aipm_execution_steps::db::read::{read_tasks, Selection};
use aipm_execution_steps::time::Zone;
use rusqlite::trace::{TraceEvent, TraceEventCodes};
use rusqlite::{params, Connection, OpenFlags};
use support::{Fixture, ORDER, PROJECT};

thread_local! {
    static STATEMENTS: Cell<usize> = const { Cell::new(0) };
}

/// Counts each statement once, when it finishes running.
fn count_statement(event: TraceEvent<'_>) {
    if let TraceEvent::Profile(..) = event {
        STATEMENTS.with(|n| n.set(n.get() + 1));
    }
}

/// A database with `running` IN_PROGRESS tasks of one order, each with the rows a
/// worker leaves (assignee + status in one second, a report row) and a lock on
/// every other one, beside finished tasks that the batch must not read.
fn fixture_with_running_tasks(running: usize) -> Fixture {
    let f = Fixture::new();
    let mut conn = f.conn();
    let tx = conn.transaction().unwrap();
    for i in 0..running + 50 {
        let id = format!("TASK_{i}");
        let status = if i < running { "IN_PROGRESS" } else { "COMPLETED" };
        tx.execute(
            "INSERT INTO tasks (id, project_id, order_id, title, status, assignee, updated_at) \
             VALUES (?1, ?2, ?3, ?1, ?4, 'Worker A', '2026-10-24T10:51:49')",
            params![id, PROJECT, ORDER, status],
        )
        .unwrap();
        for (field, old, new) in [
            ("assignee", None, "Worker A"),
            ("status", Some("QUEUED"), "IN_PROGRESS"),
            ("report_path", None, "REPORT.md"),
        ] {
            tx.execute(
                "INSERT INTO change_history (entity_type, entity_id, field_name, old_value, new_value, changed_at) \
                 VALUES ('task', ?1, ?2, ?3, ?4, '2026-10-24 01:51:49')",
                params![id, field, old, new],
            )
            .unwrap();
        }
        if i % 2 == 0 {
            tx.execute(
                "INSERT INTO file_locks (project_id, task_id, file_path) VALUES (?1, ?2, ?3)",
                params![PROJECT, id, format!("src/{id}.rs")],
            )
            .unwrap();
        }
    }
    tx.commit().unwrap();
    f
}

/// Statements run by a cold read (schema probed) and a warm one, and the tasks read.
fn statements_of_batch(f: &Fixture, selection: &Selection<'_>) -> (usize, usize, usize) {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(&f.db_path, flags).unwrap();
    conn.trace_v2(TraceEventCodes::SQLITE_TRACE_PROFILE, Some(count_statement));
    let mut reader = Reader::new(conn);
    let mut counted = || {
        STATEMENTS.with(|n| n.set(0));
        let records = read_tasks(&mut reader, &f.db_path, selection, Zone::japan()).unwrap();
        (STATEMENTS.with(Cell::get), records.len())
    };
    let (cold, _) = counted();
    let (warm, tasks) = counted();
    (cold, warm, tasks)
}

#[test]
fn a_batch_runs_the_same_statements_for_ten_tasks_as_for_a_thousand() {
    let running = ["IN_PROGRESS".to_owned()];
    let by_status = |f: &Fixture| {
        statements_of_batch(
            f,
            &Selection {
                project_id: PROJECT,
                statuses: Some(&running),
                ..Selection::default()
            },
        )
    };
    let by_order = |f: &Fixture| {
        statements_of_batch(
            f,
            &Selection {
                project_id: PROJECT,
                order_id: Some(ORDER),
                ..Selection::default()
            },
        )
    };
    let (small, large) = (fixture_with_running_tasks(10), fixture_with_running_tasks(1000));

    let (cold_10, warm_10, tasks_10) = by_status(&small);
    let (cold_1000, warm_1000, tasks_1000) = by_status(&large);
    assert_eq!(
        (tasks_10, tasks_1000),
        (10, 1000),
        "the batch reads exactly the running tasks"
    );
    assert_eq!(warm_10, warm_1000, "statements do not grow with the task count");
    assert_eq!(cold_10, cold_1000, "nor does the first read, which probes the schema");
    println!("batch statements: {cold_10} on a new connection, {warm_10} after (10 and 1000 tasks alike)");
    // BEGIN, schema_version, tasks, shared ids, history, locks, recorded events (if any), COMMIT
    assert!(
        (4..=8).contains(&warm_10),
        "a warm batch runs a handful of statements, got {warm_10}"
    );

    let (_, order_10, order_tasks_10) = by_order(&small);
    let (_, order_1000, order_tasks_1000) = by_order(&large);
    assert_eq!(
        (order_tasks_10, order_tasks_1000),
        (60, 1050),
        "an order's batch reads all its tasks"
    );
    assert_eq!(order_10, order_1000);
}

#[test]
fn a_single_task_runs_the_same_statements_as_a_batch() {
    let f = fixture_with_running_tasks(100);
    let one = ["TASK_7".to_owned()];
    let running = ["IN_PROGRESS".to_owned()];
    let (_, single, found) = statements_of_batch(
        &f,
        &Selection {
            project_id: PROJECT,
            task_ids: Some(&one),
            ..Selection::default()
        },
    );
    let (_, batch, _) = statements_of_batch(
        &f,
        &Selection {
            project_id: PROJECT,
            statuses: Some(&running),
            ..Selection::default()
        },
    );
    assert_eq!(found, 1);
    assert_eq!(single, batch);
}
