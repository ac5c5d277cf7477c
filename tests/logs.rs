//! Worker logs and review logs read through the tracker (docs/behaviour.md,
//! "Worker logs", "Review logs", "Evidence", "Attempts"): the
//! example logs, CRLF, several attempts, dead workers, reviews and rework runs,
//! and the duration statistics made from them.

mod support;

use aipm_execution_steps::{BatchFilter, Presentation, StatsFilter};
use support::*;

/// TASK_2002 launched by the daemon a second before its example log (10:51:49 in Japan).
fn example_2002(f: &Fixture, log: &str) {
    f.task("TASK_2002", "IN_PROGRESS", Some("Worker B"));
    f.history(
        "TASK_2002",
        "assignee",
        None,
        "ParallelWorker",
        "Worker (ParallelWorker)",
        "2026-10-24 01:51:48",
        None,
    );
    f.history(
        "TASK_2002",
        "status",
        Some("QUEUED"),
        "IN_PROGRESS",
        "Worker (ParallelWorker)",
        "2026-10-24 01:51:48",
        None,
    );
    f.worker_log_of(PROJECT, "TASK_2002", 3109, log);
}

#[test]
fn the_example_failed_log_keeps_its_step_and_ignores_the_recovery_lines() {
    let f = Fixture::new();
    example_2002(&f, LOG_2002);
    let info = f.step("TASK_2002", 3200);
    assert_eq!(shown(&info), (Some("create_report"), "log", 71));
    assert_eq!(info.failed_step.map(|s| s.name()), Some("create_report"));
    assert!(info.error.as_deref().unwrap().starts_with("REPORT作成不可"));
    assert_eq!(info.resume_from.map(|s| s.name()), Some("create_report"));
    assert_eq!(
        statuses(&info),
        [
            "completed",
            "completed",
            "skipped",
            "completed",
            "failed",
            "pending",
            "pending"
        ]
    );
}

#[test]
fn a_log_in_the_ai_step_is_exact_and_its_duration_grows() {
    let f = Fixture::new();
    let cut = LOG_2002.find("[execute_task] success").unwrap();
    let start_of_line = LOG_2002[..cut].rfind('\n').unwrap() + 1;
    example_2002(&f, &LOG_2002[..start_of_line]);
    let early = f.step("TASK_2002", 3150);
    let later = f.step("TASK_2002", 3210);
    assert_eq!(shown(&early), (Some("execute_task"), "log", 57));
    let duration = |i: &aipm_execution_steps::ExecutionStepInfo| i.steps.as_ref().unwrap()[3].duration_ms.unwrap();
    assert_eq!(duration(&later) - duration(&early), 60_000);
    assert_eq!(
        early.started_at.as_deref(),
        Some("2026-10-24T10:51:48+09:00"),
        "the attempt began with the daemon's transition"
    );
}

#[test]
fn crlf_logs_from_windows_read_the_same() {
    let lf = Fixture::new();
    example_2002(&lf, LOG_2002);
    let crlf = Fixture::new();
    example_2002(&crlf, &LOG_2002.replace('\n', "\r\n"));
    assert_eq!(lf.step("TASK_2002", 3200), crlf.step("TASK_2002", 3200));
}

#[test]
fn a_completed_run_then_done_and_awaiting_review() {
    let f = Fixture::new();
    f.task("TASK_1", "DONE", Some("Worker A"));
    f.launch("TASK_1", "Worker A", 0);
    f.worker_log("TASK_1", 1, &full_run());
    f.status("TASK_1", "IN_PROGRESS", "DONE", "Worker (Worker A)", 64);
    let info = f.step("TASK_1", 100);
    assert_eq!(shown(&info), (None, "log", 100));
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
}

#[test]
fn a_retry_after_crash_recovery_reads_the_new_log_and_the_dead_one_is_history() {
    let f = Fixture::new();
    f.task("TASK_1", "IN_PROGRESS", Some("Worker B"));
    f.exec(&format!(
        "UPDATE tasks SET started_at = '{}' WHERE id = 'TASK_1'",
        python_local(0)
    ));
    f.launch("TASK_1", "Worker A", 0);
    f.worker_log("TASK_1", 1, &run_until(7)); // died in the AI step
    f.history(
        "TASK_1",
        "status",
        Some("IN_PROGRESS"),
        "QUEUED",
        "System(crash_recovery)",
        &sqlite_utc(600),
        Some(PROJECT),
    );
    f.daemon_launch("TASK_1", 660);
    let info = f.step("TASK_1", 661);
    assert_eq!(
        shown(&info),
        (Some("get_task_info"), "history", 14),
        "the new attempt has no log yet: the old one is not its"
    );
    f.worker_log("TASK_1", 661, &run_until(4));
    let info = f.step("TASK_1", 700);
    assert_eq!(shown(&info), (Some("assign_worker"), "log", 28));
    assert_eq!(
        info.started_at.as_deref(),
        Some("2026-10-24T10:11:00+09:00"),
        "the current attempt's own start"
    );
}

#[test]
fn a_dead_worker_still_in_progress() {
    let f = Fixture::new();
    f.task("TASK_1", "IN_PROGRESS", Some("Worker A"));
    f.launch("TASK_1", "Worker A", 0);
    f.worker_log("TASK_1", 1, &run_until(7));
    let info = f.step("TASK_1", 4000);
    assert_eq!(
        shown(&info),
        (Some("execute_task"), "log", 57),
        "a log that ends mid-step: still in that step"
    );
    assert_eq!(info.error, None);
}

#[test]
fn junk_bytes_and_a_multi_megabyte_log_are_read_in_bounded_memory() {
    let f = Fixture::new();
    f.task("TASK_1", "IN_PROGRESS", Some("Worker A"));
    f.launch("TASK_1", "Worker A", 0);
    let mut text = worker_log_text(1, &run_until(4), false).into_bytes();
    text.extend_from_slice(b"\xff\xfe garbage \x00\n");
    text.extend(std::iter::repeat_n(b'x', 4 * 1024 * 1024));
    text.extend_from_slice(format!("\n{} [INFO] [execute_task] start: 日本語\n", log_time(30)).as_bytes());
    let dir = f
        .user_data
        .join("PROJECTS")
        .join(PROJECT)
        .join("RESULT")
        .join(ORDER)
        .join("LOGS");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(format!("worker_TASK_1_{}.log", stamp(1))), text).unwrap();
    assert_eq!(shown(&f.step("TASK_1", 60)), (Some("execute_task"), "log", 57));
}

/// A task reviewed after its run: launched at 0, DONE at 64.
fn reviewed(f: &Fixture, status: &str) {
    f.task("TASK_1", status, Some("Worker A"));
    f.launch("TASK_1", "Worker A", 0);
    f.worker_log("TASK_1", 1, &full_run());
    f.status("TASK_1", "IN_PROGRESS", "DONE", "Worker (Worker A)", 64);
}

#[test]
fn a_review_in_progress_is_step_7() {
    let f = Fixture::new();
    reviewed(&f, "DONE");
    f.review_log("TASK_1", &ReviewText::new(PROJECT, "TASK_1", 80));
    let info = f.step("TASK_1", 140);
    assert_eq!(shown(&info), (Some("auto_review"), "log", 100));
    assert_eq!(info.step_index, 6);
    let review = &info.steps.as_ref().unwrap()[6];
    assert_eq!(
        (review.status.name(), review.duration_ms),
        ("in_progress", Some(60_000))
    );
    assert_eq!(
        aipm_execution_steps::format_display(&fields(&info), Default::default()),
        "[7/7] 自動レビュー中 (100%)"
    );
}

#[test]
fn a_review_of_a_task_with_no_history_speaks_from_its_log() {
    // A DONE task the app imported (no change_history rows, no worker log): the review log alone.
    let f = Fixture::new();
    f.task("TASK_1", "DONE", Some("Worker A"));
    f.review_log("TASK_1", &ReviewText::new(PROJECT, "TASK_1", 80));
    assert_eq!(shown(&f.step("TASK_1", 140)), (Some("auto_review"), "log", 100));
}

fn fields(info: &aipm_execution_steps::ExecutionStepInfo) -> aipm_execution_steps::DisplayFields<'_> {
    aipm_execution_steps::DisplayFields {
        current_step: info.current_step.map(|s| s.name()),
        current_step_display: Some(info.current_step_display),
        step_index: Some(info.step_index.into()),
        total_steps: Some(info.total_steps.into()),
        progress_percent: Some(info.progress_percent.into()),
        status: info.status.as_deref(),
        error: info.error.as_deref(),
    }
}

#[test]
fn review_logs_that_are_not_this_attempts() {
    let f = Fixture::new();
    reviewed(&f, "DONE");
    f.review_log("TASK_1", &ReviewText::new("other_project", "TASK_1", 80));
    assert_eq!(
        shown(&f.step("TASK_1", 140)),
        (None, "log", 100),
        "another project's review of the same id"
    );
    f.review_log("TASK_1", &ReviewText::new(PROJECT, "TASK_1", 30));
    assert_eq!(
        shown(&f.step("TASK_1", 140)),
        (None, "log", 100),
        "a review that began before this DONE"
    );
}

#[test]
fn approved_rejected_and_reworked() {
    // APPROVED → COMPLETED: the review's span in the timeline.
    let f = Fixture::new();
    reviewed(&f, "COMPLETED");
    f.status("TASK_1", "DONE", "COMPLETED", "PM (Worker A)", 140);
    let mut text = ReviewText::new(PROJECT, "TASK_1", 80);
    text.verdict(140, "APPROVED", "COMPLETED").close(141, "APPROVED");
    f.review_log("TASK_1", &text);
    let info = f.step("TASK_1", 200);
    assert_eq!(shown(&info), (None, "log", 100));
    let review = &info.steps.as_ref().unwrap()[6];
    assert_eq!((review.status.name(), review.duration_ms), ("completed", Some(61_000)));

    // REJECTED without auto-rework: REWORK, waiting.
    let f = Fixture::new();
    reviewed(&f, "REWORK");
    f.status("TASK_1", "DONE", "REWORK", "PM (Worker A)", 140);
    let mut text = ReviewText::new(PROJECT, "TASK_1", 80);
    text.verdict(140, "REJECTED", "REWORK (reject_count=1)")
        .close(141, "REJECTED");
    f.review_log("TASK_1", &text);
    assert_eq!(
        shown(&f.step("TASK_1", 200)),
        (None, "status", 0),
        "the finished worker log is not the rework run"
    );

    // REJECTED, the rework run going in the review log.
    let mut text = ReviewText::new(PROJECT, "TASK_1", 80);
    text.verdict(140, "REJECTED", "REWORK (reject_count=1)")
        .rework(141, &run_until(7));
    f.review_log("TASK_1", &text);
    f.lock("TASK_1", "src/a.ts", 141);
    let info = f.step("TASK_1", 200);
    assert_eq!(shown(&info), (Some("execute_task"), "log", 57));
    assert_eq!(
        info.started_at.as_deref(),
        Some("2026-10-24T10:02:20+09:00"),
        "the attempt began with the move into REWORK (docs/behaviour.md#attempts)"
    );

    // The rework finished (REWORK → DONE): awaiting the next review.
    let mut text = ReviewText::new(PROJECT, "TASK_1", 80);
    text.verdict(140, "REJECTED", "REWORK (reject_count=1)")
        .rework(141, &full_run());
    text.line(204, "[auto_rework] success: リワーク完了、verdict=None")
        .close(204, "REJECTED");
    f.review_log("TASK_1", &text);
    f.exec("DELETE FROM file_locks");
    f.status("TASK_1", "REWORK", "DONE", "Worker (Worker A)", 204);
    f.exec("UPDATE tasks SET status = 'DONE'");
    let info = f.step("TASK_1", 300);
    assert_eq!(shown(&info), (None, "log", 100));
    assert_eq!(
        info.steps.as_ref().unwrap()[3].started_at.as_deref(),
        Some("2026-10-24T10:02:22+09:00"),
        "the rework run's timeline"
    );
}

#[test]
fn single_batch_and_stats_agree_on_logs() {
    let f = Fixture::new();
    reviewed(&f, "COMPLETED");
    f.status("TASK_1", "DONE", "COMPLETED", "PM (Worker A)", 140);
    let mut text = ReviewText::new(PROJECT, "TASK_1", 80);
    text.verdict(140, "APPROVED", "COMPLETED").close(141, "APPROVED");
    f.review_log("TASK_1", &text);
    f.task("TASK_2", "IN_PROGRESS", Some("Worker B"));
    f.launch("TASK_2", "Worker B", 100);
    f.worker_log("TASK_2", 101, &run_until(12));
    let verbose = Presentation {
        verbose: true,
        ..Presentation::default()
    };
    let filter = BatchFilter {
        task_ids: Some(vec!["TASK_1".into(), "TASK_2".into()]),
        ..BatchFilter::default()
    };
    let batch = f
        .tracker
        .tasks_steps(PROJECT, &filter, &f.source(), verbose, &clock(300))
        .unwrap();
    for info in &batch {
        assert_eq!(info, &f.step(&info.task_id, 300));
    }
    let stats = f
        .tracker
        .duration_stats(PROJECT, &StatsFilter::default(), &f.source(), verbose, &clock(300))
        .unwrap();
    let count = |step: &str| stats.iter().find(|s| s.step.name() == step).unwrap().count;
    assert_eq!(count("execute_task"), 2, "both runs finished the AI step");
    assert_eq!(count("create_report"), 1);
    assert_eq!(count("auto_review"), 1, "the review counts for auto_review");
    let review = stats.iter().find(|s| s.step.name() == "auto_review").unwrap();
    assert_eq!((review.mean_ms, review.slowest[0].task_id.as_str()), (61_000, "TASK_1"));
}
