//! Reads take no file lock on rollback-journal databases (src/db/snapshot.rs)
//! and must still see each commit whole: a writer moves every task to the
//! next worker in one transaction while batches are read; every batch must
//! show one worker for all tasks, and no read may fail.
#![cfg(unix)]

mod support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use aipm_execution_steps::result::Presentation;
use aipm_execution_steps::tracker::{BatchFilter, StepTracker};
use support::*;

const NOW: &str = "2026-10-24T01:55:00Z";
const TASKS: usize = 60;

#[test]
fn every_batch_sees_a_whole_commit_while_a_writer_commits_nonstop() {
    let f = Fixture::new();
    for i in 0..TASKS {
        f.task(PROJECT, &format!("TASK_{i:04}"), "IN_PROGRESS", Some("Worker 0"));
    }
    // Fatter rows, so a commit spans many pages.
    f.exec("UPDATE tasks SET description = hex(randomblob(600))");
    let tracker = StepTracker::new();
    let done = AtomicBool::new(false);
    let (commits, batches) = std::thread::scope(|s| {
        let writer = s.spawn(|| {
            let conn = f.conn();
            conn.busy_timeout(Duration::from_secs(30)).unwrap();
            let mut n = 0;
            let until = Instant::now() + Duration::from_millis(1500);
            while Instant::now() < until {
                n += 1;
                conn.execute_batch(&format!(
                    "BEGIN IMMEDIATE; UPDATE tasks SET assignee = 'Worker {n}', description = hex(randomblob(600)); COMMIT;"
                ))
                .unwrap();
                // Hundreds of commits a second: more than the real workers make.
                std::thread::sleep(Duration::from_millis(2));
            }
            done.store(true, Ordering::SeqCst);
            n
        });
        let mut batches = 0;
        while !done.load(Ordering::SeqCst) {
            let infos = tracker
                .tasks_steps(
                    PROJECT,
                    &BatchFilter::default(),
                    &f.source(),
                    Presentation::default(),
                    &clock(NOW),
                )
                .expect("a read while the writer commits");
            assert_eq!(infos.len(), TASKS);
            let first = infos[0].assignee.clone();
            assert!(
                infos.iter().all(|i| i.assignee == first),
                "a batch mixed two commits: {first:?}"
            );
            batches += 1;
        }
        (writer.join().unwrap(), batches)
    });
    eprintln!("{commits} commits, {batches} batches");
    assert!(commits > 10 && batches > 10, "{commits} commits, {batches} batches");
}

#[test]
fn a_journal_left_behind_is_a_busy_error_within_the_timeout_not_a_hang() {
    let f = Fixture::new();
    f.task(PROJECT, "TASK_0001", "IN_PROGRESS", Some("Worker 0"));
    let tracker = StepTracker::new();
    let mut source = f.source();
    source.busy_timeout = Duration::from_millis(200);
    let journal = f.db_path.with_file_name("aipm.db-journal");
    std::fs::write(&journal, vec![0xd9u8; 512]).unwrap();
    let started = Instant::now();
    let err = tracker
        .task_step(PROJECT, "TASK_0001", &source, Presentation::default(), &clock(NOW))
        .unwrap_err();
    assert_eq!(err.code.as_str(), "ERR_DB_BUSY");
    assert!(started.elapsed() < Duration::from_secs(2));
    std::fs::remove_file(&journal).unwrap();
    let info = tracker
        .task_step(PROJECT, "TASK_0001", &source, Presentation::default(), &clock(NOW))
        .unwrap();
    assert_eq!(info.assignee.as_deref(), Some("Worker 0"));
}
