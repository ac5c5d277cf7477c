//! Evaluations are remembered per connection while the database and the logs
//! are unchanged (src/read_memo.rs); every change must still be seen on the
//! next call. Files are backdated so the memo trusts them, as it would trust a
//! real user-data folder nobody wrote to in the last seconds.
#![cfg(unix)]

mod support;

use std::path::Path;
use std::time::{Duration, SystemTime};

use aipm_execution_steps::tracker::DEFAULT_BUSY_TIMEOUT;
use support::*;

const NOW: &str = "2026-10-24T01:55:00Z";

/// Sets the mtime of `path` (a file or a folder) a minute back.
fn backdate(path: &Path) {
    let file = std::fs::File::open(path).unwrap();
    file.set_modified(SystemTime::now() - Duration::from_secs(60)).unwrap();
}

/// Backdates the user-data folder, the database files and everything under PROJECTS.
fn settle(f: &Fixture) {
    fn walk(path: &Path) {
        if path.is_dir() {
            for entry in std::fs::read_dir(path).unwrap() {
                walk(&entry.unwrap().path());
            }
        }
        backdate(path);
    }
    if f.user_data.join("PROJECTS").exists() {
        walk(&f.user_data.join("PROJECTS"));
    }
    for entry in std::fs::read_dir(f.user_data.join("data")).unwrap() {
        backdate(&entry.unwrap().path());
    }
    backdate(&f.user_data);
}

/// How many selections the connection the next call gets has remembered.
fn remembered(f: &Fixture) -> usize {
    f.tracker
        .pool()
        .with_reader(&f.db_path, DEFAULT_BUSY_TIMEOUT, |r| Ok(r.memo.len()))
        .unwrap()
}

fn running(f: &Fixture) {
    f.task(PROJECT, "TASK_2002", "IN_PROGRESS", Some("Worker B"));
    f.start("TASK_2002", "QUEUED", "Worker B", "2026-10-24 01:51:49");
}

#[test]
fn an_unchanged_database_is_answered_from_the_memo_with_the_same_result() {
    let f = Fixture::new();
    running(&f);
    settle(&f);
    let first = f.step(PROJECT, "TASK_2002", NOW);
    assert_eq!(remembered(&f), 1, "the evaluation is remembered");
    let again = f.step(PROJECT, "TASK_2002", NOW);
    assert_eq!(first, again);
    assert_eq!(again.current_step, Some("file_lock"));
    // the step in progress still measures time at each call
    let later = f.step(PROJECT, "TASK_2002", "2026-10-24T02:05:00Z");
    let in_progress = |i: &aipm_execution_steps::result::ExecutionStepInfo| i.steps.as_ref().unwrap()[2].duration_ms;
    assert_eq!(in_progress(&later).unwrap() - in_progress(&again).unwrap(), 600_000);
}

#[test]
fn a_change_committed_by_another_connection_is_seen_on_the_next_call() {
    let f = Fixture::new();
    running(&f);
    settle(&f);
    assert_eq!(f.step(PROJECT, "TASK_2002", NOW).current_step, Some("file_lock"));
    assert_eq!(remembered(&f), 1);

    f.lock(PROJECT, "TASK_2002", "src/a.rs", "2026-10-24 01:52:30");
    let info = f.step(PROJECT, "TASK_2002", NOW);
    assert_eq!(
        (info.current_step, info.source),
        (Some("execute_task"), Some("history"))
    );

    f.exec("UPDATE tasks SET status = 'DONE' WHERE id = 'TASK_2002'");
    f.history(
        None,
        "TASK_2002",
        "status",
        Some("IN_PROGRESS"),
        "DONE",
        "2026-10-24 01:54:00",
    );
    let done = f.step(PROJECT, "TASK_2002", NOW);
    assert_eq!(
        (done.current_step, done.progress_percent, done.status.as_deref()),
        (None, 100, Some("DONE"))
    );
}

#[test]
fn a_worker_log_appearing_or_growing_is_seen_on_the_next_call() {
    let f = Fixture::new();
    running(&f);
    settle(&f);
    assert_eq!(f.step(PROJECT, "TASK_2002", NOW).source, Some("history"));
    assert_eq!(remembered(&f), 1);

    let log = f.log(
        PROJECT,
        ORDER,
        "TASK_2002",
        "20261024_105149",
        &log_until(LOG_2002, "[file_lock]"),
    );
    let info = f.step(PROJECT, "TASK_2002", NOW);
    assert_eq!(
        (info.source, info.current_step),
        (Some("log"), Some("file_lock")),
        "the new LOGS folder is noticed"
    );

    settle(&f);
    let _ = f.step(PROJECT, "TASK_2002", NOW);
    std::fs::write(&log, log_until(LOG_2002, "[claude_cli] Executing")).unwrap();
    let grown = f.step(PROJECT, "TASK_2002", NOW);
    assert_eq!(grown.current_step, Some("execute_task"), "the grown log is read again");
}

#[test]
fn files_modified_moments_ago_are_not_trusted() {
    let f = Fixture::new();
    running(&f);
    f.log(
        PROJECT,
        ORDER,
        "TASK_2002",
        "20261024_105149",
        &log_until(LOG_2002, "[file_lock]"),
    );
    // nothing backdated: the log was written just now and may still be moving
    assert_eq!(f.step(PROJECT, "TASK_2002", NOW).current_step, Some("file_lock"));
    assert_eq!(remembered(&f), 0);
}

#[test]
fn a_database_replaced_on_disk_is_seen_on_the_next_call() {
    let f = Fixture::new();
    running(&f);
    settle(&f);
    assert_eq!(f.step(PROJECT, "TASK_2002", NOW).status.as_deref(), Some("IN_PROGRESS"));

    let replacement = f.user_data.join("data").join("new.db");
    std::fs::copy(&f.db_path, &replacement).unwrap();
    rusqlite::Connection::open(&replacement)
        .unwrap()
        .execute_batch("UPDATE tasks SET status = 'COMPLETED' WHERE id = 'TASK_2002'")
        .unwrap();
    std::fs::rename(&replacement, &f.db_path).unwrap();
    assert_eq!(f.step(PROJECT, "TASK_2002", NOW).status.as_deref(), Some("COMPLETED"));
}

#[test]
fn a_commit_to_a_wal_database_is_seen_though_the_database_file_is_untouched() {
    let f = Fixture::new();
    running(&f);
    // a writer keeps the WAL open, as a worker does
    let writer = f.conn();
    writer.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(())).unwrap();
    writer
        .execute_batch("UPDATE tasks SET title = 'x' WHERE id = 'TASK_2002'")
        .unwrap();
    settle(&f);
    assert_eq!(f.step(PROJECT, "TASK_2002", NOW).current_step, Some("file_lock"));
    assert_eq!(f.step(PROJECT, "TASK_2002", NOW).current_step, Some("file_lock"));
    assert_eq!(remembered(&f), 1);

    let db_mtime = || std::fs::metadata(&f.db_path).unwrap().modified().unwrap();
    let before = db_mtime();
    writer
        .execute(
            "INSERT INTO file_locks (project_id, task_id, file_path, locked_at) VALUES (?1, 'TASK_2002', 'a.rs', '2026-10-24 01:52:30')",
            [PROJECT],
        )
        .unwrap();
    assert_eq!(db_mtime(), before, "the commit went to the -wal only");
    assert_eq!(f.step(PROJECT, "TASK_2002", NOW).current_step, Some("execute_task"));
}
