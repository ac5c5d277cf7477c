//! What the tracker keeps between calls is never staler than a fresh read:
//! after each kind of change — a history row added, a task updated, a lock
//! taken and released, a log grown or replaced, rows deleted, the database
//! file replaced, a VACUUM, a schema change — the answers of a tracker that has
//! been reading all along equal those of a new one, in WAL and rollback mode.

mod support;

use aipm_execution_steps::{BatchFilter, ExecutionStepInfo, Presentation, StepTracker};
use support::*;

const TASKS: [&str; 4] = ["TASK_1", "TASK_2", "TASK_3", "TASK_4"];

fn world(wal: bool) -> Fixture {
    let f = if wal { Fixture::wal() } else { Fixture::new() };
    for (i, id) in TASKS.iter().enumerate() {
        f.task(id, "IN_PROGRESS", Some("Worker A"));
        f.launch(id, "Worker A", i as i64 * 10);
    }
    f.worker_log("TASK_1", 1, &run_until(4));
    f.lock("TASK_2", "src/a.ts", 12);
    f.exec(include_str!("../sql/task_step_events.sql"));
    f
}

fn all(tracker: &StepTracker, f: &Fixture) -> Vec<ExecutionStepInfo> {
    let verbose = Presentation {
        verbose: true,
        ..Presentation::default()
    };
    let filter = BatchFilter {
        task_ids: Some(TASKS.iter().map(|s| s.to_string()).collect()),
        ..BatchFilter::default()
    };
    tracker
        .tasks_steps(PROJECT, &filter, &f.source(), verbose, &clock(600))
        .unwrap()
}

/// Applies each change in turn; after each, the kept tracker equals a fresh one.
fn check_every_change(wal: bool) {
    let f = world(wal);
    let kept = &f.tracker;
    let mode = if wal { "WAL" } else { "rollback" };
    type Change = (&'static str, Box<dyn Fn(&Fixture)>);
    let changes: Vec<Change> = vec![
        (
            "a history row added",
            Box::new(|f| f.status("TASK_3", "IN_PROGRESS", "DONE", "Worker (Worker A)", 100)),
        ),
        (
            "a task updated",
            Box::new(|f| f.exec("UPDATE tasks SET assignee = 'Worker C', status = 'IN_PROGRESS' WHERE id = 'TASK_3'")),
        ),
        ("a lock taken", Box::new(|f| f.lock("TASK_4", "src/b.ts", 40))),
        (
            "a lock released",
            Box::new(|f| f.exec("DELETE FROM file_locks WHERE task_id = 'TASK_2'")),
        ),
        (
            "a log grown",
            Box::new(|f| {
                f.worker_log("TASK_1", 1, &run_until(12));
            }),
        ),
        (
            "a log replaced by a new launch",
            Box::new(|f| {
                f.status("TASK_1", "IN_PROGRESS", "QUEUED", "System(crash_recovery)", 200);
                f.launch("TASK_1", "Worker B", 300);
                f.worker_log("TASK_1", 301, &run_until(3));
            }),
        ),
        (
            "history rows deleted",
            Box::new(|f| f.exec("DELETE FROM change_history WHERE entity_id = 'TASK_4'")),
        ),
        (
            "the newest history rows deleted",
            Box::new(|f| f.exec("DELETE FROM change_history WHERE id = (SELECT max(id) FROM change_history)")),
        ),
        (
            "a recorded event",
            Box::new(|f| {
                f.exec("INSERT INTO task_step_events (project_id, task_id, step, event) VALUES ('ai_pm_manager', 'TASK_2', 'create_report', 'start')")
            }),
        ),
        (
            "recorded events deleted",
            Box::new(|f| f.exec("DELETE FROM task_step_events")),
        ),
        (
            "a task row deleted",
            Box::new(|f| f.exec("DELETE FROM tasks WHERE id = 'TASK_2'")),
        ),
        ("a VACUUM", Box::new(|f| f.exec("VACUUM"))),
        (
            "a schema change",
            Box::new(|f| {
                f.exec("ALTER TABLE tasks ADD COLUMN metadata TEXT; UPDATE tasks SET metadata = '{\"file_locked\": true}' WHERE id = 'TASK_4'")
            }),
        ),
        (
            "the database file replaced",
            Box::new(|f| {
                let other = f.user_data.join("data").join("replacement.db");
                std::fs::copy(&f.db_path, &other).unwrap();
                let conn = rusqlite::Connection::open(&other).unwrap();
                conn.execute_batch("UPDATE tasks SET status = 'COMPLETED' WHERE id = 'TASK_1'")
                    .unwrap();
                drop(conn);
                for suffix in ["-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", other.display()));
                }
                std::fs::rename(&other, &f.db_path).unwrap();
            }),
        ),
    ];
    assert_eq!(all(kept, &f), all(&StepTracker::new(), &f), "{mode}: before any change");
    for (what, change) in &changes {
        change(&f);
        let cached = all(kept, &f);
        let fresh = all(&StepTracker::new(), &f);
        assert_eq!(cached, fresh, "{mode}: after {what}");
        // Asked again with nothing changed: the same answer.
        assert_eq!(all(kept, &f), fresh, "{mode}: unchanged after {what}");
    }
}

#[test]
fn every_kind_of_change_in_rollback_mode() {
    check_every_change(false);
}

#[test]
fn every_kind_of_change_in_wal_mode() {
    check_every_change(true);
}

#[test]
fn an_unchanged_database_is_not_read_again_and_a_change_reads_only_what_changed() {
    let f = world(true);
    for id in TASKS {
        f.step(id, 600);
    }
    let held = f.tracker.history_rows_held(&f.db_path);
    assert_eq!(held, 3 * TASKS.len(), "each task's rows, read once");
    let reads = f.tracker.reads_of(&f.db_path);
    for id in TASKS {
        f.step(id, 601);
    }
    assert!(
        f.tracker.reads_of(&f.db_path) <= reads + TASKS.len() as u64,
        "unchanged: at most a version check each"
    );
    f.status("TASK_3", "IN_PROGRESS", "DONE", "Worker (Worker A)", 100);
    assert_eq!(
        shown(&f.step("TASK_3", 602)),
        (Some("update_status_done"), "history", 85)
    );
    assert_eq!(
        f.tracker.history_rows_held(&f.db_path),
        held + 1,
        "the new row was added to what was held"
    );
}
