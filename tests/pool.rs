//! Connections are never closed while their file is the database (Unix): the
//! app's own SQLite in the same process would lose its locks if one were (see
//! src/db/pool.rs). The pool grows to the calls that ran at once, takes back
//! connections whose call failed, keeps its read-write connection, and keeps
//! connections to a replaced file aside.
#![cfg(unix)]

mod support;

use std::sync::Barrier;

use aipm_execution_steps::db::pool::retired;
use aipm_execution_steps::result::Presentation;
use aipm_execution_steps::tracker::StepTracker;
use support::*;

const NOW: &str = "2026-10-24T01:55:00Z";

fn fixture() -> Fixture {
    let f = Fixture::new();
    f.task(PROJECT, "TASK_2002", "IN_PROGRESS", Some("Worker B"));
    f
}

#[test]
fn many_calls_at_once_keep_all_their_connections() {
    let f = fixture();
    let tracker = StepTracker::new();
    let barrier = Barrier::new(12);
    std::thread::scope(|s| {
        for _ in 0..12 {
            s.spawn(|| {
                barrier.wait();
                for _ in 0..20 {
                    let info = tracker
                        .task_step(PROJECT, "TASK_2002", &f.source(), Presentation::default(), &clock(NOW))
                        .unwrap();
                    assert_eq!(info.task_id, "TASK_2002");
                }
            });
        }
    });
    let (readers, _) = tracker.pool().idle(&f.db_path);
    assert!(readers > 4, "only {readers} connections kept after 12 calls at once");
    assert!(readers <= 12);
}

#[test]
fn a_failed_call_gives_its_connection_back() {
    let f = fixture();
    let tracker = StepTracker::new();
    let mut source = f.source();
    source.busy_timeout = std::time::Duration::from_millis(20);
    tracker
        .task_step(PROJECT, "TASK_2002", &source, Presentation::default(), &clock(NOW))
        .unwrap();
    assert_eq!(tracker.pool().idle(&f.db_path), (1, 0));

    // A write in progress (its journal) past the busy timeout.
    let journal = f.db_path.with_file_name("aipm.db-journal");
    std::fs::write(&journal, vec![0xd9u8; 512]).unwrap();
    let busy = tracker
        .task_step(PROJECT, "TASK_2002", &source, Presentation::default(), &clock(NOW))
        .unwrap_err();
    assert_eq!(busy.code.as_str(), "ERR_DB_BUSY");
    std::fs::remove_file(&journal).unwrap();

    assert_eq!(tracker.pool().idle(&f.db_path), (1, 0));
    tracker
        .task_step(PROJECT, "TASK_2002", &source, Presentation::default(), &clock(NOW))
        .unwrap();
}

#[test]
fn recording_reuses_one_read_write_connection() {
    let f = fixture();
    let tracker = StepTracker::new();
    for step in ["get_task_info", "assign_worker", "execute_task"] {
        tracker
            .record(PROJECT, "TASK_2002", step, "start", None, &f.source(), &clock(NOW))
            .unwrap();
    }
    let refused = tracker.record(
        PROJECT,
        "TASK_9999",
        "execute_task",
        "start",
        None,
        &f.source(),
        &clock(NOW),
    );
    assert!(refused.is_err());
    assert_eq!(tracker.pool().idle(&f.db_path), (0, 1));
}

#[test]
fn connections_to_a_replaced_file_are_kept_aside_and_the_new_file_is_read() {
    let f = fixture();
    let tracker = StepTracker::new();
    tracker
        .task_step(PROJECT, "TASK_2002", &f.source(), Presentation::default(), &clock(NOW))
        .unwrap();
    let aside = retired();

    let other = Fixture::new();
    other.task(PROJECT, "TASK_4000", "IN_PROGRESS", Some("Worker N"));
    std::fs::rename(&other.db_path, &f.db_path).unwrap();

    let info = tracker
        .task_step(PROJECT, "TASK_4000", &f.source(), Presentation::default(), &clock(NOW))
        .unwrap();
    assert_eq!(info.status.as_deref(), Some("IN_PROGRESS"));
    assert!(retired() > aside, "the old file's connection was closed");
    assert_eq!(tracker.pool().idle(&f.db_path), (1, 0));
}
