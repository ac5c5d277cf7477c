//! The `log` source on worker logs in the real format (SPEC §4).

mod support;

use aipm_execution_steps::result::Presentation;
use aipm_execution_steps::tracker::BatchFilter;
use support::*;

/// A few seconds after the runs in the example logs.
const NOW: &str = "2026-10-24T01:55:00Z";

fn running_2002(f: &Fixture, log: &str) {
    f.task(PROJECT, "TASK_2002", "IN_PROGRESS", Some("Worker B"));
    f.start("TASK_2002", "QUEUED", "Worker B", "2026-10-24 01:51:49");
    f.log(PROJECT, ORDER, "TASK_2002", "20261024_105149", log);
}

#[test]
fn a_run_in_the_ai_step_is_exact_and_its_duration_grows() {
    let f = Fixture::new();
    running_2002(&f, &log_until(LOG_2002, "[claude_cli] Executing"));
    let info = f.step(PROJECT, "TASK_2002", NOW);
    assert_eq!(
        (info.current_step, info.progress_percent, info.source),
        (Some("execute_task"), 57, Some("log"))
    );
    assert_eq!(
        statuses(&info),
        [
            "completed",
            "completed",
            "skipped",
            "in_progress",
            "pending",
            "pending",
            "pending"
        ],
        "file_lock was skipped (対象ファイル未指定)"
    );
    let ai = &info.steps.as_ref().unwrap()[3];
    assert_eq!(ai.started_at.as_deref(), Some("2026-10-24T10:51:49+09:00"));
    assert_eq!(ai.duration_ms, Some(191_000));
    let later = f.step(PROJECT, "TASK_2002", "2026-10-24T02:05:00Z");
    assert_eq!(later.steps.as_ref().unwrap()[3].duration_ms, Some(791_000));
}

#[test]
fn a_failure_keeps_its_step_and_recovery_lines_are_not_progress() {
    let f = Fixture::new();
    running_2002(&f, LOG_2002);
    let info = f.step(PROJECT, "TASK_2002", NOW);
    assert_eq!(info.current_step, Some("create_report"));
    assert_eq!(info.failed_step, Some("create_report"));
    assert_eq!(info.resume_from, Some("create_report"));
    assert!(info
        .error
        .as_deref()
        .unwrap()
        .starts_with("REPORT作成不可: execution_resultが空または短すぎます (14文字)"));
    assert_eq!(statuses(&info)[3..], ["completed", "failed", "pending", "pending"]);
}

#[test]
fn a_completed_run_for_a_done_task() {
    let f = Fixture::new();
    f.task(PROJECT, "TASK_2001", "DONE", Some("Worker C"));
    f.start("TASK_2001", "QUEUED", "Worker C", "2026-10-24 01:52:05");
    f.history(
        None,
        "TASK_2001",
        "status",
        Some("IN_PROGRESS"),
        "DONE",
        "2026-10-24 01:52:09",
    );
    f.log(PROJECT, ORDER, "TASK_2001", "20261024_105205", LOG_2001);
    let info = f.step(PROJECT, "TASK_2001", NOW);
    assert_eq!(
        (info.current_step, info.progress_percent, info.source),
        (None, 100, Some("log"))
    );
    assert_eq!(
        statuses(&info),
        [
            "completed",
            "completed",
            "skipped",
            "completed",
            "completed",
            "completed",
            "skipped"
        ]
    );
    assert_eq!((info.failed_step, info.error.as_deref()), (None, None));
}

#[test]
fn crlf_logs_from_windows_read_the_same() {
    let f = Fixture::new();
    running_2002(&f, &LOG_2002.replace('\n', "\r\n"));
    let crlf = f.step(PROJECT, "TASK_2002", NOW);
    let g = Fixture::new();
    running_2002(&g, LOG_2002);
    let lf = g.step(PROJECT, "TASK_2002", NOW);
    assert_eq!(crlf.steps, lf.steps);
    assert_eq!(crlf.error, lf.error, "no stray carriage return in the message");
}

#[test]
fn a_worker_that_died_mid_step() {
    let f = Fixture::new();
    f.task(PROJECT, "TASK_2002", "INTERRUPTED", Some("Worker B"));
    f.start("TASK_2002", "QUEUED", "Worker B", "2026-10-24 01:51:49");
    f.history(
        None,
        "TASK_2002",
        "status",
        Some("IN_PROGRESS"),
        "INTERRUPTED",
        "2026-10-24 01:54:00",
    );
    f.log(
        PROJECT,
        ORDER,
        "TASK_2002",
        "20261024_105149",
        &log_until(LOG_2002, "[create_report] start"),
    );
    let info = f.step(PROJECT, "TASK_2002", NOW);
    assert_eq!(
        (info.current_step, info.progress_percent),
        (None, 71),
        "progress of the last step reached"
    );
    assert_eq!(info.resume_from, Some("create_report"));
    assert_eq!(statuses(&info)[4], "failed");
}

#[test]
fn the_current_attempts_log_is_chosen_among_several() {
    let f = Fixture::new();
    f.task(PROJECT, "TASK_2002", "IN_PROGRESS", Some("Worker B"));
    // first attempt at 10:30 JST failed; the task was queued again and restarted at 10:51:49 JST
    f.start("TASK_2002", "QUEUED", "Worker A", "2026-10-24 01:30:00");
    f.history(
        None,
        "TASK_2002",
        "status",
        Some("IN_PROGRESS"),
        "QUEUED",
        "2026-10-24 01:31:00",
    );
    f.start("TASK_2002", "QUEUED", "Worker B", "2026-10-24 01:51:52");
    let first = LOG_2002.replace("10:51:", "10:30:");
    f.log(PROJECT, ORDER, "TASK_2002", "20261024_103000", &first);
    // the new log starts three seconds before the transition
    f.log(
        PROJECT,
        ORDER,
        "TASK_2002",
        "20261024_105149",
        &log_until(LOG_2002, "[execute_task] start"),
    );
    let info = f.step(PROJECT, "TASK_2002", NOW);
    assert_eq!(
        (info.current_step, info.failed_step, info.source),
        (Some("execute_task"), None, Some("log"))
    );
    assert_eq!(info.started_at.as_deref(), Some("2026-10-24T10:51:52+09:00"));

    // before the new attempt's log exists, the old attempt's log must not speak for it
    let g = Fixture::new();
    g.task(PROJECT, "TASK_2002", "IN_PROGRESS", Some("Worker B"));
    g.start("TASK_2002", "QUEUED", "Worker A", "2026-10-24 01:30:00");
    g.history(
        None,
        "TASK_2002",
        "status",
        Some("IN_PROGRESS"),
        "QUEUED",
        "2026-10-24 01:31:00",
    );
    g.start("TASK_2002", "QUEUED", "Worker B", "2026-10-24 01:51:52");
    g.log(PROJECT, ORDER, "TASK_2002", "20261024_103000", &first);
    let info = g.step(PROJECT, "TASK_2002", NOW);
    assert_eq!(
        (info.current_step, info.source, info.failed_step),
        (Some("file_lock"), Some("history"), None)
    );
}

#[test]
fn rework_running_versus_rework_waiting() {
    let f = Fixture::new();
    for id in ["TASK_RUN", "TASK_WAIT"] {
        f.task(PROJECT, id, "REWORK", Some("Worker B"));
        f.start(id, "QUEUED", "Worker B", "2026-10-24 01:00:00");
        f.history(None, id, "status", Some("IN_PROGRESS"), "DONE", "2026-10-24 01:10:00");
        f.history(None, id, "status", Some("DONE"), "REWORK", "2026-10-24 01:40:00");
        // the first run's log, before the review
        f.log(
            PROJECT,
            ORDER,
            id,
            "20261024_100000",
            &LOG_2001.replace("10:52:", "10:00:"),
        );
    }
    // the rework run started at 10:51:49 JST, after the REWORK transition, and writes no history row
    f.log(
        PROJECT,
        ORDER,
        "TASK_RUN",
        "20261024_105149",
        &log_until(LOG_2002, "[claude_cli] Executing"),
    );
    let run = f.step(PROJECT, "TASK_RUN", NOW);
    assert_eq!(
        (run.current_step, run.progress_percent, run.source),
        (Some("execute_task"), 57, Some("log"))
    );
    assert_eq!(run.started_at.as_deref(), Some("2026-10-24T10:51:49+09:00"));
    let wait = f.step(PROJECT, "TASK_WAIT", NOW);
    assert_eq!(
        (wait.current_step, wait.progress_percent, wait.step_index),
        (None, 0, -1)
    );
}

#[test]
fn junk_bytes_and_a_multi_megabyte_log() {
    let f = Fixture::new();
    f.task(PROJECT, "TASK_2002", "IN_PROGRESS", Some("Worker B"));
    f.start("TASK_2002", "QUEUED", "Worker B", "2026-10-24 01:51:49");
    let mut bytes = log_until(LOG_2002, "[execute_task] start").into_bytes();
    bytes.extend_from_slice(b"\xff\xfe\xfd not utf-8 \x00\x01\n");
    let noise = "2026-10-24 10:51:50 [INFO] [claude_cli] streaming output line that is not a step\n";
    for _ in 0..(8 * 1024 * 1024 / noise.len()) {
        bytes.extend_from_slice(noise.as_bytes());
    }
    bytes.extend_from_slice(&vec![b'x'; 2 * 1024 * 1024]);
    bytes.extend_from_slice(b"\n2026-10-24 10:54:00 [INFO] [create_report] start: \n");
    let dir = f
        .user_data
        .join("PROJECTS")
        .join(PROJECT)
        .join("RESULT")
        .join(ORDER)
        .join("LOGS");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("worker_TASK_2002_20261024_105149.log");
    std::fs::write(&path, &bytes).unwrap();
    let info = f.step(PROJECT, "TASK_2002", NOW);
    assert_eq!(info.current_step, Some("create_report"));
    let parsed = f.tracker.log_cache().bytes_parsed();
    for _ in 0..5 {
        f.step(PROJECT, "TASK_2002", NOW);
    }
    assert_eq!(
        f.tracker.log_cache().bytes_parsed(),
        parsed,
        "polling an unchanged log re-reads nothing"
    );
}

#[test]
fn japan_time_logs_line_up_with_utc_history() {
    // The log starts at 10:51:49 JST; the transition is 01:51:49 UTC. Read in
    // the wrong zone the log would be nine hours off and not chosen.
    let f = Fixture::new();
    running_2002(&f, &log_until(LOG_2002, "[create_snapshot] success"));
    let info = f.step(PROJECT, "TASK_2002", NOW);
    assert_eq!(info.source, Some("log"));
    assert_eq!(
        info.steps.as_ref().unwrap()[0].started_at.as_deref(),
        Some("2026-10-24T10:51:49+09:00")
    );
}

#[test]
fn single_and_batch_calls_agree_on_logs() {
    let f = Fixture::new();
    running_2002(&f, LOG_2002);
    f.task(PROJECT, "TASK_2001", "IN_PROGRESS", Some("Worker C"));
    f.start("TASK_2001", "QUEUED", "Worker C", "2026-10-24 01:52:05");
    f.log(
        PROJECT,
        ORDER,
        "TASK_2001",
        "20261024_105205",
        &log_until(LOG_2001, "[static_analysis] start"),
    );
    let presentation = Presentation {
        verbose: true,
        ..Presentation::default()
    };
    let batch = f
        .tracker
        .tasks_steps(PROJECT, &BatchFilter::default(), &f.source(), presentation, &clock(NOW))
        .unwrap();
    assert_eq!(batch.len(), 2);
    for info in batch {
        assert_eq!(info, f.step(PROJECT, &info.task_id, NOW));
    }
}
