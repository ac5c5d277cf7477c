//! The decision, situation by situation, on evidence in the shapes the real
//! launcher, worker and review worker leave (docs/behaviour.md). No database, no files.

use std::sync::Arc;

use super::*;
use crate::decision::ownership::tests::{launch, row};
use crate::decision::timeline::StepStatus;
use crate::evidence::recorded::{split_runs, RecordedEvent, RecordedRun};
use crate::evidence::review_log::ReviewLogParser;
use crate::evidence::worker_log::WorkerLogParser;
use crate::evidence::{HeldLocks, OtherTask, TaskRow, WorkerLogRun};
use crate::time::{parse_db_timestamp, Zone};

const PROJECT: &str = "ai_pm_manager";
const T0: &str = "2026-10-24 01:00:00"; // UTC; 10:00:00 in Japan

/// A UTC instant `sec` seconds after T0.
fn at(sec: i64) -> Instant {
    parse_db_timestamp(T0, Zone::japan()).unwrap() + chrono::Duration::seconds(sec)
}

/// A log line's local (Japan) time, `sec` seconds after T0.
fn local(sec: i64) -> String {
    Zone::japan().format(at(sec))[..19].replace('T', " ")
}

/// Worker-log text: `(sec, "[sub] event: detail")` lines in the real shape, banner first.
fn log_text(lines: &[(i64, &str)]) -> String {
    let mut text = String::from("============================================================\n[WARNING] 本番DB使用中 (execute_task.py)\n============================================================\n");
    for (sec, line) in lines {
        text.push_str(&format!("{} [INFO] {line}\r\n", local(*sec)));
    }
    text
}

fn worker_log(launched: i64, lines: &[(i64, &str)]) -> WorkerLogRun {
    let mut parser = WorkerLogParser::new(Zone::japan());
    log_text(lines).lines().for_each(|l| parser.feed(l));
    WorkerLogRun {
        launched_at: at(launched),
        run: parser.runs()[0].run.clone(),
    }
}

/// A whole successful worker run from `start`, ending at `start + 9`.
fn full_run(start: i64) -> Vec<(i64, &'static str)> {
    vec![
        (start, "[get_task_info] start: TASK_1"),
        (start, "[assign_worker] start: mode=通常"),
        (start, "[file_lock] skip: 対象ファイル未指定"),
        (start + 1, "[assign_worker] success: worker=Worker A"),
        (start + 1, "[execute_task] start: model=opus"),
        (start + 6, "[execute_task] success: "),
        (start + 6, "[create_report] start: "),
        (start + 7, "[create_report] success: REPORT.md"),
        (start + 8, "[update_status_done] start: "),
        (start + 8, "[update_status_done] success: status=DONE"),
        (
            start + 9,
            "[auto_review] skipped: レビューはreview_workerで実行されます",
        ),
        (start + 9, "[complete] success: Worker処理完了"),
    ]
}

/// Review-log text: the review worker's own lines and the processor's.
fn review_text(project: &str, start: i64, body: &[(i64, &str)], closed: Option<&str>) -> String {
    let own = |sec: i64, what: &str| format!("{t} [INFO] [{t}] {what}\n", t = local(sec));
    let mut text = own(start, &format!("[VALIDATE] start - {project}/TASK_1"));
    text.push_str(&own(start, "[EXECUTE_REVIEW] start - model=sonnet"));
    for (sec, line) in body {
        text.push_str(&format!("{} [INFO] {line}\n", local(*sec)));
    }
    if let Some(verdict) = closed {
        text.push_str(&own(
            body.last().map_or(start, |b| b.0),
            &format!("[EXECUTE_REVIEW] success - verdict={verdict}"),
        ));
        text.push_str(&format!("[OK] レビュー完了: TASK_1 → {verdict}\n"));
    }
    text
}

fn review_log(text: &str) -> ReviewLog {
    let mut parser = ReviewLogParser::new(Zone::japan());
    text.lines().for_each(|l| parser.feed(l));
    parser.log().clone()
}

/// A review of `start`, in progress (the processor has started the model).
fn review_going(project: &str, start: i64) -> ReviewLog {
    review_log(&review_text(
        project,
        start,
        &[
            (start, "[get_task_info] start: TASK_1"),
            (start, "[execute_review] start: model=sonnet"),
        ],
        None,
    ))
}

/// Everything known about `TASK_1`, owned.
struct Case {
    task: TaskRow,
    others: Vec<OtherTask>,
    history: Vec<HistoryRow>,
    locks: Option<HeldLocks>,
    recorded: Vec<RecordedRun>,
    logs: Vec<WorkerLogRun>,
    review: Option<ReviewLog>,
}

fn case(status: &str, assignee: &str, history: Vec<HistoryRow>) -> Case {
    Case {
        task: TaskRow {
            id: "TASK_1".into(),
            project_id: PROJECT.into(),
            status: status.into(),
            order_id: Some("ORDER_119".into()),
            assignee: Some(assignee.into()),
            ..TaskRow::default()
        },
        others: Vec::new(),
        history,
        locks: None,
        recorded: Vec::new(),
        logs: Vec::new(),
        review: None,
    }
}

impl Case {
    fn decide(&self) -> Decision {
        let launches: Vec<Instant> = self.logs.iter().map(|l| l.launched_at).collect();
        let plan = plan(&self.task, &self.others, &self.history, &launches);
        decide(
            &plan,
            &TaskEvidence {
                task: &self.task,
                history: &self.history,
                locks: self.locks,
                recorded: &self.recorded,
                worker_logs: &self.logs,
                review_log: self.review.as_ref(),
            },
        )
    }
    fn log(mut self, log: WorkerLogRun) -> Case {
        self.logs.push(log);
        self
    }
    fn review(mut self, log: ReviewLog) -> Case {
        self.review = Some(log);
        self
    }
}

/// History of a run that finished: launched at 0, DONE at 9.
fn ran_to_done() -> Vec<HistoryRow> {
    let mut rows = launch(None, "Worker A", 0);
    rows.push(row(None, "status", Some("IN_PROGRESS"), "DONE", 9, "Worker A"));
    rows
}

/// The decision's headline: (running, step, source, progress).
type Headline = (bool, Option<Step>, Source, u32);

fn headline(d: &Decision) -> Headline {
    (d.running, d.current_step, d.source, d.progress_percent)
}

fn statuses(d: &Decision) -> Vec<StepStatus> {
    d.timeline.iter().map(|s| s.status).collect()
}

use StepStatus::{Completed as C, Failed as F, InProgress as I, Pending as P, Skipped as S};

#[test]
fn worker_attempts() {
    let lines = full_run(1);
    let upto = |n: usize| worker_log(1, &lines[..n]);
    let cases: Vec<(&str, Case, Headline)> = vec![
        (
            "daemon launch, the log a moment later, in the AI step",
            case("IN_PROGRESS", "Worker A", launch(None, "Worker A", 0)).log(upto(5)),
            (true, Some(Step::ExecuteTask), Source::Log, 57),
        ),
        (
            "a worker started by hand: its log a moment before its own transition",
            case("IN_PROGRESS", "Worker A", launch(None, "Worker A", 4)).log(upto(5)),
            (true, Some(Step::ExecuteTask), Source::Log, 57),
        ),
        (
            "launched, no log yet: the launcher's rows say the worker is starting",
            case(
                "IN_PROGRESS",
                "ParallelWorker",
                launch(None, "Worker A", 0)[..2].to_vec(),
            ),
            (true, Some(Step::GetTaskInfo), Source::History, 14),
        ),
        (
            "launched, the launcher's locks held, no log yet: still starting",
            Case {
                locks: Some(HeldLocks {
                    count: 2,
                    first_locked_at: Some(at(0)),
                }),
                ..case(
                    "IN_PROGRESS",
                    "ParallelWorker",
                    launch(None, "Worker A", 0)[..2].to_vec(),
                )
            },
            (true, Some(Step::GetTaskInfo), Source::History, 14),
        ),
        (
            "the log created, no step line yet: the log speaks",
            case(
                "IN_PROGRESS",
                "ParallelWorker",
                launch(None, "Worker A", 0)[..2].to_vec(),
            )
            .log(worker_log(0, &[])),
            (true, Some(Step::GetTaskInfo), Source::Log, 14),
        ),
        (
            "a worker started by hand, no log: its own move came after its locks",
            case(
                "IN_PROGRESS",
                "Worker A",
                vec![
                    row(None, "assignee", None, "Worker A", 0, "Worker (Worker A)"),
                    row(None, "status", Some("QUEUED"), "IN_PROGRESS", 0, "Worker (Worker A)"),
                ],
            ),
            (true, Some(Step::FileLock), Source::History, 42),
        ),
        (
            "moved to IN_PROGRESS by a person: being assigned",
            case(
                "IN_PROGRESS",
                "",
                vec![row(None, "status", Some("QUEUED"), "IN_PROGRESS", 0, "PM")],
            ),
            (true, Some(Step::AssignWorker), Source::History, 28),
        ),
        (
            "no log, locks held",
            Case {
                locks: Some(HeldLocks {
                    count: 2,
                    first_locked_at: Some(at(0)),
                }),
                ..case("IN_PROGRESS", "Worker A", launch(None, "Worker A", 0))
            },
            (true, Some(Step::ExecuteTask), Source::History, 57),
        ),
        (
            "running, no history at all",
            case("IN_PROGRESS", "Worker A", Vec::new()),
            (true, Some(Step::GetTaskInfo), Source::Status, 14),
        ),
        (
            "the log ended in [auto_review] skipped: not a reached step",
            case("IN_PROGRESS", "Worker A", launch(None, "Worker A", 0)).log(upto(11)),
            (true, Some(Step::UpdateStatusDone), Source::Log, 85),
        ),
    ];
    for (what, c, want) in cases {
        assert_eq!(headline(&c.decide()), want, "{what}");
    }
}

#[test]
fn a_dead_worker_still_in_progress_shows_where_it_died() {
    let failed = worker_log(
        1,
        &[
            (1, "[get_task_info] start: TASK_1"),
            (2, "[create_report] start: "),
            (3, "[error] failed: REPORT作成不可"),
            (3, "[self_healing] start: recovery"),
            (4, "[file_lock_release] success: ロック解放"),
        ],
    );
    let d = case("IN_PROGRESS", "Worker A", launch(None, "Worker A", 0))
        .log(failed)
        .decide();
    assert_eq!(headline(&d), (true, Some(Step::CreateReport), Source::Log, 71));
    assert_eq!(
        d.failure.as_ref().map(|f| (f.step, f.message.as_str())),
        Some((Step::CreateReport, "REPORT作成不可"))
    );
    assert!(d.failure_is_error);
    assert_eq!(d.resume_from, Some(Step::CreateReport));
    assert_eq!(statuses(&d)[4], F);

    let mid = worker_log(1, &full_run(1)[..5]);
    let d = case("IN_PROGRESS", "Worker A", launch(None, "Worker A", 0))
        .log(mid)
        .decide();
    assert_eq!(
        statuses(&d),
        [C, C, S, I, P, P, P],
        "a log that stops mid-step: the step is still in progress"
    );
}

#[test]
fn a_retry_after_crash_recovery_reads_its_own_log_and_starts_with_its_own_launch() {
    let mut rows = launch(None, "Worker A", 0);
    rows.push(row(
        Some(PROJECT),
        "status",
        Some("IN_PROGRESS"),
        "QUEUED",
        300,
        "System(crash_recovery)",
    ));
    rows.extend(launch(None, "Worker B", 360));
    let mut c = case("IN_PROGRESS", "Worker B", rows)
        .log(worker_log(1, &full_run(1)[..6])) // died in execute_task
        .log(worker_log(361, &full_run(361)[..3])); // the retry, assigning
    c.task.started_at = Some(at(0)); // kept from the first attempt
    let d = c.decide();
    assert_eq!(headline(&d), (true, Some(Step::FileLock), Source::Log, 42));
    assert_eq!(
        d.started_at,
        Some(at(360)),
        "the current attempt's start, not tasks.started_at"
    );
    // Before the retry's log exists, the dead attempt's log is not the retry's.
    let mut rows = launch(None, "Worker A", 0);
    rows.push(row(
        Some(PROJECT),
        "status",
        Some("IN_PROGRESS"),
        "QUEUED",
        300,
        "System(crash_recovery)",
    ));
    rows.extend(launch(None, "Worker B", 360)[..2].to_vec());
    let d = case("IN_PROGRESS", "ParallelWorker", rows.clone())
        .log(worker_log(1, &full_run(1)[..6]))
        .decide();
    assert_eq!(headline(&d), (true, Some(Step::GetTaskInfo), Source::History, 14));
    // Relaunched a few seconds after the recovery: the dead worker's log, launched
    // before the recovery, is still not the new attempt's.
    let mut quick = launch(None, "Worker A", 0);
    quick.push(row(
        Some(PROJECT),
        "status",
        Some("IN_PROGRESS"),
        "QUEUED",
        8,
        "System(crash_recovery)",
    ));
    quick.extend(launch(None, "Worker B", 9)[..2].to_vec());
    let d = case("IN_PROGRESS", "ParallelWorker", quick.clone())
        .log(worker_log(3, &full_run(3)[..6]))
        .decide();
    assert_eq!(headline(&d), (true, Some(Step::GetTaskInfo), Source::History, 14));
    // Once the relaunch's log exists (empty), it speaks; when it goes on, the newest speaks.
    let d = case("IN_PROGRESS", "ParallelWorker", quick.clone())
        .log(worker_log(3, &full_run(3)[..6]))
        .log(worker_log(9, &[]))
        .decide();
    assert_eq!(headline(&d), (true, Some(Step::GetTaskInfo), Source::Log, 14));
    assert_eq!(d.started_at, Some(at(9)));
}

#[test]
fn metadata_current_step_never_outranks_a_live_log() {
    let mut c = case("IN_PROGRESS", "Worker A", launch(None, "Worker A", 0)).log(worker_log(1, &full_run(1)[..5]));
    c.task.metadata = Some(r#"{"current_step": "update_status_done", "file_locked": true}"#.into());
    assert_eq!(headline(&c.decide()), (true, Some(Step::ExecuteTask), Source::Log, 57));
    c.logs.clear();
    assert_eq!(
        headline(&c.decide()),
        (true, Some(Step::UpdateStatusDone), Source::History, 85),
        "without a log it is history"
    );
}

#[test]
fn recorded_events_outrank_the_log() {
    let events: Vec<RecordedEvent> = [("get_task_info", "start", 2), ("create_report", "start", 5)]
        .into_iter()
        .filter_map(|(s, e, sec)| RecordedEvent::from_row(s, e, None, Some(at(sec))))
        .collect();
    let mut c = case("IN_PROGRESS", "Worker A", launch(None, "Worker A", 0)).log(worker_log(1, &full_run(1)[..5]));
    c.recorded = split_runs(&events);
    assert_eq!(
        headline(&c.decide()),
        (true, Some(Step::CreateReport), Source::Recorded, 71)
    );
    // An earlier attempt's recorded run does not count.
    let mut rows = launch(None, "Worker A", 0);
    rows.push(row(
        None,
        "status",
        Some("IN_PROGRESS"),
        "QUEUED",
        100,
        "System(crash_recovery)",
    ));
    rows.extend(launch(None, "Worker A", 200));
    c.history = rows;
    c.logs.clear();
    assert_eq!(headline(&c.decide()), (true, Some(Step::FileLock), Source::History, 42));
}

#[test]
fn rework() {
    let mut rejected = ran_to_done();
    rejected.push(row(None, "status", Some("DONE"), "REWORK", 31, "ReviewWorker"));
    let finished = worker_log(1, &full_run(1));
    let rework_going = review_log(&review_text(
        PROJECT,
        20,
        &[
            (30, "[execute_review] success: verdict=REJECTED"),
            (31, "[update_status] success: REWORK (reject_count=1)"),
            (31, "[auto_rework] start: task=TASK_1"),
            (31, "[get_task_info] start: TASK_1"),
            (31, "[assign_worker] start: mode=リワーク"),
            (32, "[file_lock] success: ロック取得: 2ファイル"),
            (32, "[assign_worker] success: worker=Worker A"),
            (33, "[execute_task] start: model=sonnet"),
        ],
        None,
    ));
    let rejected_only = review_log(&review_text(
        PROJECT,
        20,
        &[
            (30, "[execute_review] success: verdict=REJECTED"),
            (31, "[update_status] success: REWORK (reject_count=1)"),
            (31, "[complete] success: レビュー完了: REJECTED"),
        ],
        Some("REJECTED"),
    ));

    // DONE→REWORK a second after the worker's [complete] success: that log is not the rework run.
    let d = case("REWORK", "Worker A", rejected.clone())
        .log(finished.clone())
        .decide();
    assert_eq!(
        headline(&d),
        (false, None, Source::Status, 0),
        "a rejected task is not running"
    );

    let d = case("REWORK", "Worker A", rejected.clone())
        .log(finished.clone())
        .review(rework_going.clone())
        .decide();
    assert_eq!(
        headline(&d),
        (true, Some(Step::ExecuteTask), Source::Log, 57),
        "the rework run in the review log"
    );
    assert_eq!(d.started_at, Some(at(31)));
    assert_eq!(statuses(&d), [C, C, C, I, P, P, P]);

    let d = case("REWORK", "Worker A", rejected.clone())
        .review(rejected_only)
        .decide();
    assert!(!headline(&d).0, "rejected without auto-rework: waiting");

    // Without a history row for REWORK (the review worker may write none), only a run still going counts.
    let d = case("REWORK", "Worker A", ran_to_done())
        .log(finished)
        .review(rework_going.clone())
        .decide();
    assert!(headline(&d).0);

    // A failed rework run: not running, failed where it failed.
    let mut failed_text = review_text(
        PROJECT,
        20,
        &[
            (31, "[auto_rework] start: task=TASK_1"),
            (31, "[get_task_info] start: TASK_1"),
            (33, "[execute_task] start: x"),
            (40, "[error] failed: claude timeout"),
            (40, "[auto_rework] warning: リワーク失敗"),
        ],
        None,
    );
    failed_text.push_str("[OK] レビュー完了: TASK_1 → REJECTED\n");
    let d = case("REWORK", "Worker A", rejected)
        .review(review_log(&failed_text))
        .decide();
    assert_eq!(
        (d.running, d.failure.as_ref().map(|f| f.step), d.resume_from),
        (false, Some(Step::ExecuteTask), Some(Step::ExecuteTask))
    );
}

#[test]
fn review() {
    let done = ran_to_done();
    let finished = worker_log(1, &full_run(1));
    let cases: Vec<(&str, Case, Headline)> = vec![
        (
            "a review in progress",
            case("DONE", "Worker A", done.clone())
                .log(finished.clone())
                .review(review_going(PROJECT, 12)),
            (true, Some(Step::AutoReview), Source::Log, 100),
        ),
        (
            "a review log of another project with the same task id",
            case("DONE", "Worker A", done.clone())
                .log(finished.clone())
                .review(review_going("other_project", 12)),
            (false, None, Source::Log, 100),
        ),
        (
            "a stale review log of an earlier review",
            case("DONE", "Worker A", done.clone())
                .log(finished.clone())
                .review(review_going(PROJECT, -100)),
            (false, None, Source::Log, 100),
        ),
        (
            "awaiting review",
            case("DONE", "Worker A", done.clone()).log(finished.clone()),
            (false, None, Source::Log, 100),
        ),
    ];
    for (what, c, want) in cases {
        assert_eq!(headline(&c.decide()), want, "{what}");
    }
    let d = case("DONE", "Worker A", done.clone())
        .log(finished.clone())
        .review(review_going(PROJECT, 12))
        .decide();
    assert_eq!(statuses(&d), [C, C, S, C, C, C, I]);
    assert_eq!(
        (d.timeline[6].started_at, d.started_at),
        (Some(at(12)), Some(at(9))),
        "the attempt began with the move to DONE"
    );
    assert_eq!(d.failure, None);

    // A finished review (APPROVED → COMPLETED): the run and the review, all done.
    let mut completed = done.clone();
    completed.push(row(None, "status", Some("DONE"), "COMPLETED", 20, "ReviewWorker"));
    let approved = review_log(&review_text(
        PROJECT,
        12,
        &[
            (19, "[execute_review] success: verdict=APPROVED"),
            (20, "[update_status] success: COMPLETED"),
            (21, "[complete] success: レビュー完了: APPROVED"),
        ],
        Some("APPROVED"),
    ));
    let d = case("COMPLETED", "Worker A", completed)
        .log(finished.clone())
        .review(approved)
        .decide();
    assert_eq!(headline(&d), (false, None, Source::Log, 100));
    assert_eq!(statuses(&d), [C, C, S, C, C, C, C]);
    assert_eq!(d.timeline[6].duration_ms, Some(9_000));

    // A finished rework (REWORK→DONE at the end of the rework run): awaiting the next review.
    let mut reworked = done;
    reworked.push(row(None, "status", Some("DONE"), "REWORK", 31, "ReviewWorker"));
    reworked.push(row(None, "status", Some("REWORK"), "DONE", 45, "Worker A"));
    let mut text = review_text(PROJECT, 20, &[(31, "[auto_rework] start: task=TASK_1")], None);
    for (sec, line) in full_run(36) {
        text.push_str(&format!("{} [INFO] {line}\n", local(sec)));
    }
    text.push_str(&format!("{} [INFO] [auto_rework] success: リワーク完了\n", local(45)));
    let d = case("DONE", "Worker A", reworked)
        .log(finished)
        .review(review_log(&text))
        .decide();
    assert_eq!(headline(&d), (false, None, Source::Log, 100));
    assert_eq!(
        d.timeline[3].started_at,
        Some(at(37)),
        "the timeline is the rework run's"
    );
}

#[test]
fn two_projects_sharing_a_task_id() {
    // Ours was rejected (REWORK); the other project's TASK_1 was launched afterwards.
    let mut rows = ran_to_done();
    rows.push(row(None, "status", Some("DONE"), "REWORK", 31, "ReviewWorker"));
    rows.extend(launch(None, "Worker A", 100));
    let mut c = case("REWORK", "Worker A", rows);
    c.others = vec![OtherTask {
        project_id: Arc::from("other"),
        status: "IN_PROGRESS".into(),
        assignee: Some("Worker A".into()),
        started_at: None,
        reject_count: None,
    }];
    assert_eq!(
        headline(&c.decide()),
        (false, None, Source::Status, 0),
        "the other project's launch does not make ours run"
    );
    // And ours, running, is not moved by the other's rows.
    let mut rows = launch(None, "Worker A", 0);
    rows.extend(launch(None, "Worker B", 3));
    rows.sort_by_key(|r| r.id);
    rows.push(row(None, "status", Some("IN_PROGRESS"), "DONE", 9, "Worker B"));
    let mut c = case("IN_PROGRESS", "Worker A", rows);
    c.others = vec![OtherTask {
        project_id: Arc::from("other"),
        status: "DONE".into(),
        assignee: Some("Worker B".into()),
        started_at: None,
        reject_count: None,
    }];
    let d = c.decide();
    assert_eq!(headline(&d), (true, Some(Step::FileLock), Source::History, 42));
    assert_eq!(d.started_at, Some(at(0)));
}

#[test]
fn stopped_and_waiting_tasks_show_their_latest_attempt() {
    let failed = worker_log(
        1,
        &[
            (1, "[get_task_info] start: TASK_1"),
            (2, "[execute_task] start: "),
            (3, "[create_report] start: "),
            (4, "[error] failed: REPORT作成不可"),
        ],
    );
    let mut rows = launch(None, "Worker A", 0);
    rows.push(row(
        Some(PROJECT),
        "status",
        Some("IN_PROGRESS"),
        "ESCALATED",
        5,
        "DaemonHealthCheck",
    ));
    let d = case("ESCALATED", "Worker A", rows).log(failed).decide();
    assert_eq!(headline(&d), (false, None, Source::Log, 71));
    assert!(d.failure_is_error, "a stopped task shows its error");
    assert_eq!(d.resume_from, Some(Step::CreateReport));

    let mut rows = launch(None, "Worker A", 0);
    rows.push(row(
        Some(PROJECT),
        "status",
        Some("IN_PROGRESS"),
        "QUEUED",
        300,
        "System(crash_recovery)",
    ));
    let d = case("QUEUED", "Worker A", rows)
        .log(worker_log(1, &full_run(1)[..5]))
        .decide();
    assert_eq!(headline(&d), (false, None, Source::Log, 0));
    assert_eq!((d.resume_from, d.failure_is_error), (Some(Step::ExecuteTask), false));
    assert_eq!(statuses(&d)[3], F, "the dead attempt stopped in its step");

    let d = case("QUEUED", "", Vec::new()).decide();
    assert_eq!(
        (headline(&d), statuses(&d)),
        ((false, None, Source::Status, 0), vec![P; 7])
    );
    let d = case("SOMETHING_NEW", "", ran_to_done()).decide();
    assert_eq!(
        headline(&d),
        (false, None, Source::History, 0),
        "an unknown status is a result, not a crash"
    );
}

#[test]
fn changed_at_in_both_shapes_places_the_transition_at_the_same_instant() {
    // The daemon's rows: Python local time with a T; the others: UTC CURRENT_TIMESTAMP.
    let utc = parse_db_timestamp("2026-10-24 01:00:00", Zone::japan());
    let local = parse_db_timestamp("2026-10-24T10:00:00.123456", Zone::japan());
    assert_eq!(utc.map(|t| t.timestamp()), local.map(|t| t.timestamp()));
    let mut rows = launch(None, "Worker A", 0);
    rows[1].changed_at = local;
    let d = case("IN_PROGRESS", "Worker A", rows)
        .log(worker_log(1, &full_run(1)[..5]))
        .decide();
    assert_eq!(
        (d.source, d.started_at.map(|t| t.timestamp())),
        (Source::Log, utc.map(|t| t.timestamp()))
    );
}
