//! A sample AI PM user-data folder for demos and experiments, in the shapes
//! the app's launcher daemon, worker and review worker leave (SPEC §3–§4):
//! a WAL database with the real schema (`schema.sql`), worker logs, review
//! logs, file locks and recorded events, with tasks in every kind of state,
//! timed relative to "now". It only ever fills a new folder: it refuses to
//! touch an existing database.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, Local, Utc};
use rusqlite::{params, Connection};

use crate::error::{Error, ErrorCode, Result};

/// The DDL of the sample database: the tables and columns of a real one.
pub const SCHEMA: &str = include_str!("schema.sql");

pub const PROJECT: &str = "ai_pm_manager";
pub const ORDER: &str = "ORDER_119";

/// The banner the worker prints before its first step line.
const BANNER: &str = "============================================================
[WARNING] 本番DB使用中 (execute_task.py)
AIPM_DB_PATH が未設定のため、本番DB（aipm.db）に直接アクセスします。
テスト・開発目的の場合は以下のように環境変数を設定してください:
  export AIPM_DB_PATH=data/test_aipm.db
  または: AIPM_DB_PATH=data/test_aipm.db python backend/worker/...
============================================================
";

/// A whole worker run, line by line, with seconds from its start.
const RUN: &[(i64, &str)] = &[
    (0, "[get_task_info] start: {task}"),
    (0, "[get_task_info] success: order=ORDER_119, model=opus, reject_count=0"),
    (0, "[permission_profile] success: profile=document, tools=6個: ['Read', 'Write', 'Edit', 'Glob', 'Grep', 'TodoWrite']"),
    (0, "[assign_worker] start: mode={mode}"),
    (0, "[file_lock] skip: 対象ファイル未指定"),
    (0, "[assign_worker] success: worker={worker}"),
    (1, "[execute_task] start: model=opus, profile=document, allowed_tools=6個"),
    (1, "[create_checkpoint] success: checkpoint={task}"),
    (1, "[create_snapshot] success: snapshot={task}"),
    (1, "[claude_cli] Executing: claude -p (model=opus, timeout=1800s)"),
    (300, "[execute_task] success: "),
    (300, "[self_verification] skip: 成果物パス取得不可"),
    (300, "[create_report] start: "),
    (302, "[create_report] success: 05_REPORT/REPORT.md (566バイト)"),
    (302, "[static_analysis] start: "),
    (302, "[static_analysis] skip: 成果物ファイルなし"),
    (302, "[convert_report_to_html] start: "),
    (304, "[convert_report_to_html] warning: HTML変換失敗（継続）"),
    (304, "[update_status_done] start: "),
    (305, "[update_status_done] success: status=DONE"),
    (305, "[file_lock_release] success: ロック解放完了"),
    (305, "[record_bug_fix] skip: バグ修正タスクではありません"),
    (305, "[auto_review] skipped: レビューはreview_workerで実行されます"),
    (305, "[complete] success: Worker処理完了"),
];
/// How long a whole run takes.
const RUN_SECONDS: i64 = 305;

/// How far a task's worker log goes.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Run {
    /// Up to and including the first line containing this marker.
    Until(&'static str),
    /// All of it, ending in `[complete] success`.
    Whole,
    /// Failing while writing the report.
    FailsInReport,
}

/// What the review worker has written for a task.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Review {
    /// The model is reviewing.
    Going,
    Approved,
    /// Rejected; no auto-rework (the task waits in REWORK).
    Rejected,
    /// Rejected, and the rework run is going (up to the marker).
    ReworkUntil(&'static str),
    /// Rejected, reworked to DONE: awaiting the next review.
    Reworked,
}

struct SampleTask {
    id: &'static str,
    title: &'static str,
    status: &'static str,
    worker: Option<&'static str>,
    /// Minutes ago the daemon launched the (latest) run; `None`: never launched.
    launched_minutes_ago: Option<i64>,
    run: Option<Run>,
    review: Option<Review>,
    /// Files locked for the run (target_files).
    locks: &'static [&'static str],
    /// An earlier attempt, dead mid-run, recovered by the daemon (minutes ago it was launched).
    crashed_before: Option<i64>,
}

const TASKS: &[SampleTask] = &[
    SampleTask {
        id: "TASK_1031",
        title: "ログイン画面のバリデーション追加",
        status: "IN_PROGRESS",
        worker: Some("Worker A"),
        launched_minutes_ago: Some(6),
        run: Some(Run::Until("[claude_cli] Executing")),
        review: None,
        locks: &[],
        crashed_before: None,
    },
    SampleTask {
        id: "TASK_1032",
        title: "設定画面のレイアウト修正",
        status: "IN_PROGRESS",
        worker: Some("Worker B"),
        launched_minutes_ago: Some(12),
        run: Some(Run::Until("[convert_report_to_html] start")),
        review: None,
        locks: &[],
        crashed_before: None,
    },
    SampleTask {
        id: "TASK_1033",
        title: "DBマイグレーションの追加",
        status: "IN_PROGRESS",
        worker: Some("Worker C"),
        launched_minutes_ago: Some(3),
        run: None,
        review: None,
        locks: &["backend/migrations/042_add_index.sql", "backend/models/task.py"],
        crashed_before: None,
    },
    SampleTask {
        id: "TASK_1034",
        title: "API レスポンスのキャッシュ",
        status: "IN_PROGRESS",
        worker: Some("Worker D"),
        launched_minutes_ago: Some(1),
        run: None,
        review: None,
        locks: &[],
        crashed_before: None,
    },
    SampleTask {
        id: "TASK_1035",
        title: "エラーメッセージの多言語化",
        status: "REWORK",
        worker: Some("Worker A"),
        launched_minutes_ago: Some(20),
        run: Some(Run::Whole),
        review: Some(Review::ReworkUntil("[claude_cli] Executing")),
        locks: &["src/i18n/messages.ts"],
        crashed_before: None,
    },
    SampleTask {
        id: "TASK_1036",
        title: "README の更新",
        status: "REWORK",
        worker: Some("Worker B"),
        launched_minutes_ago: Some(30),
        run: Some(Run::Whole),
        review: Some(Review::Rejected),
        locks: &[],
        crashed_before: None,
    },
    SampleTask {
        id: "TASK_1037",
        title: "通知設定の追加",
        status: "QUEUED",
        worker: None,
        launched_minutes_ago: None,
        run: None,
        review: None,
        locks: &[],
        crashed_before: None,
    },
    SampleTask {
        id: "TASK_1038",
        title: "ダッシュボードのグラフ改善",
        status: "DONE",
        worker: Some("Worker C"),
        launched_minutes_ago: Some(9),
        run: Some(Run::Whole),
        review: Some(Review::Going),
        locks: &[],
        crashed_before: None,
    },
    SampleTask {
        id: "TASK_1039",
        title: "ログ出力の整理",
        status: "COMPLETED",
        worker: Some("Worker D"),
        launched_minutes_ago: Some(90),
        run: Some(Run::Whole),
        review: Some(Review::Approved),
        locks: &[],
        crashed_before: None,
    },
    SampleTask {
        id: "TASK_1040",
        title: "レポート生成の修正",
        status: "ESCALATED",
        worker: Some("Worker B"),
        launched_minutes_ago: Some(25),
        run: Some(Run::FailsInReport),
        review: None,
        locks: &[],
        crashed_before: None,
    },
    SampleTask {
        id: "TASK_1041",
        title: "検索機能のテスト追加",
        status: "INTERRUPTED",
        worker: Some("Worker A"),
        launched_minutes_ago: Some(55),
        run: Some(Run::Until("[create_snapshot] success")),
        review: None,
        locks: &[],
        crashed_before: None,
    },
    SampleTask {
        id: "TASK_1042",
        title: "外部API連携（依存待ち）",
        status: "BLOCKED",
        worker: None,
        launched_minutes_ago: None,
        run: None,
        review: None,
        locks: &[],
        crashed_before: None,
    },
    SampleTask {
        id: "TASK_1043",
        title: "CSV エクスポートの追加",
        status: "DONE",
        worker: Some("Worker C"),
        launched_minutes_ago: Some(40),
        run: Some(Run::Whole),
        review: Some(Review::Reworked),
        locks: &[],
        crashed_before: None,
    },
    SampleTask {
        id: "TASK_1044",
        title: "バックアップ処理の改善",
        status: "IN_PROGRESS",
        worker: Some("Worker D"),
        launched_minutes_ago: Some(2),
        run: Some(Run::Until("[assign_worker] start")),
        review: None,
        locks: &[],
        crashed_before: Some(15),
    },
];

/// The task with recorded events (`recordExecutionStep`) instead of a log.
const RECORDED_TASK: &str = "TASK_1034";

/// Local wall-clock time as the workers write it: `YYYY-MM-DD HH:MM:SS`.
fn log_time(t: DateTime<Utc>) -> String {
    t.with_timezone(&Local).format("%Y-%m-%d %H:%M:%S").to_string()
}

/// SQLite's `CURRENT_TIMESTAMP` (UTC), as most writers leave `changed_at`.
fn sqlite_utc(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

/// The Python backend's `datetime.now().isoformat()`: local, with a `T`.
fn python_local(t: DateTime<Utc>) -> String {
    t.with_timezone(&Local).format("%Y-%m-%dT%H:%M:%S%.6f").to_string()
}

/// Creates `<user_data_dir>/data/aipm.db` (WAL, as the app keeps it), worker
/// logs under `PROJECTS/` and review logs under `logs/review_workers/`.
/// Returns the database path.
pub fn create_sample(user_data_dir: &Path, now: DateTime<Utc>) -> Result<PathBuf> {
    let io = |e: std::io::Error| {
        Error::new(
            ErrorCode::DbIo,
            format!("cannot write the sample in {}: {e}", user_data_dir.display()),
        )
    };
    let data = user_data_dir.join("data");
    std::fs::create_dir_all(&data).map_err(io)?;
    let db_path = data.join("aipm.db");
    if db_path.exists() {
        return Err(Error::invalid_arg(format!(
            "refusing to overwrite an existing database: {}",
            db_path.display()
        )));
    }
    let logs_dir = user_data_dir
        .join("PROJECTS")
        .join(PROJECT)
        .join("RESULT")
        .join(ORDER)
        .join("LOGS");
    let reviews_dir = user_data_dir.join("logs").join("review_workers");
    std::fs::create_dir_all(&logs_dir).map_err(io)?;
    std::fs::create_dir_all(&reviews_dir).map_err(io)?;

    crate::io::db::locking::install();
    let sqlite = |e| Error::from_sqlite(e, &db_path);
    let mut conn = Connection::open(&db_path).map_err(sqlite)?;
    conn.pragma_update(None, "journal_mode", "WAL").map_err(sqlite)?;
    let tx = conn.transaction().map_err(sqlite)?;
    tx.execute_batch(SCHEMA).map_err(sqlite)?;
    tx.execute_batch(crate::io::db::write::STEP_EVENTS_DDL)
        .map_err(sqlite)?;
    tx.execute(
        "INSERT INTO projects (id, name) VALUES (?1, 'AI PM Manager')",
        [PROJECT],
    )
    .map_err(sqlite)?;
    tx.execute(
        "INSERT INTO orders (id, project_id, title, status) VALUES (?1, ?2, '設定まわりの改善', 'IN_PROGRESS')",
        [ORDER, PROJECT],
    )
    .map_err(sqlite)?;

    for task in TASKS {
        let mut writer = Writer {
            tx: &tx,
            task,
            rows: Vec::new(),
        };
        let created = now - Duration::hours(4);
        let launched = task.launched_minutes_ago.map(|m| now - Duration::minutes(m));
        let worker = task.worker.unwrap_or("Worker A");
        if let Some(crashed) = task.crashed_before.map(|m| now - Duration::minutes(m)) {
            writer.launch(crashed, worker);
            write_worker_log(&logs_dir, task, crashed, Run::Until("[execute_task] start"), "通常").map_err(io)?;
            // The daemon's crash recovery: project_id set, Python local time.
            writer.row(
                "status",
                Some("IN_PROGRESS"),
                "QUEUED",
                "System(crash_recovery)",
                Some("孤立タスク回復"),
                python_local(launched.unwrap_or(now) - Duration::seconds(5)),
                Some(PROJECT),
            );
        }
        let mut updated = launched.unwrap_or(created);
        if let Some(launched) = launched {
            writer.launch(launched, worker);
            let run = task.run.filter(|_| task.id != RECORDED_TASK);
            if let Some(run) = run {
                write_worker_log(&logs_dir, task, launched + Duration::seconds(1), run, "通常").map_err(io)?;
            }
            let ran_to = launched + Duration::seconds(1 + RUN_SECONDS);
            match task.status {
                "IN_PROGRESS" => {}
                "ESCALATED" | "INTERRUPTED" => {
                    let by = if task.status == "ESCALATED" {
                        "DaemonHealthCheck"
                    } else {
                        "Worker (ParallelWorker)"
                    };
                    writer.row(
                        "status",
                        Some("IN_PROGRESS"),
                        task.status,
                        by,
                        None,
                        python_local(ran_to),
                        Some(PROJECT),
                    );
                    updated = ran_to;
                }
                _ => {
                    writer.row(
                        "status",
                        Some("IN_PROGRESS"),
                        "DONE",
                        &format!("Worker ({worker})"),
                        None,
                        sqlite_utc(ran_to),
                        None,
                    );
                    updated = ran_to;
                }
            }
            if let Some(review) = task.review {
                updated = writer
                    .review(&reviews_dir, review, ran_to + Duration::seconds(20), now)
                    .map_err(io)?;
            }
        }
        let reviewed_at = task
            .review
            .filter(|r| *r != Review::Going && *r != Review::Reworked)
            .map(|_| python_local(updated));
        tx.execute(
            "INSERT INTO tasks (id, project_id, order_id, title, status, assignee, started_at, created_at, updated_at, reviewed_at, reject_count, target_files) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            params![
                task.id,
                PROJECT,
                ORDER,
                task.title,
                task.status,
                task.worker,
                task.crashed_before.or(task.launched_minutes_ago).map(|m| python_local(now - Duration::minutes(m))),
                python_local(created),
                python_local(updated),
                reviewed_at,
                i64::from(task.review.is_some_and(|r| r != Review::Going && r != Review::Approved)),
                (!task.locks.is_empty()).then(|| serde_json::to_string(task.locks).unwrap_or_default()),
            ],
        )
        .map_err(sqlite)?;
        writer.flush().map_err(sqlite)?;
        let lock_time = launched.unwrap_or(now);
        let holds_locks = match task.review {
            Some(Review::ReworkUntil(_)) => true,
            Some(_) => false,
            None => task.status == "IN_PROGRESS",
        };
        for file in task.locks.iter().filter(|_| holds_locks) {
            tx.execute(
                "INSERT INTO file_locks (project_id, task_id, file_path, locked_at) VALUES (?1, ?2, ?3, ?4)",
                params![PROJECT, task.id, file, python_local(lock_time)],
            )
            .map_err(sqlite)?;
        }
    }
    let recorded = [
        ("get_task_info", "start", 58),
        ("assign_worker", "success", 56),
        ("execute_task", "success", 40),
        ("create_report", "success", 20),
        ("update_status_done", "start", 5),
    ];
    for (step, event, seconds_ago) in recorded {
        tx.execute(
            "INSERT INTO task_step_events (project_id, task_id, step, event, detail, recorded_at) VALUES (?1, ?2, ?3, ?4, NULL, ?5)",
            params![PROJECT, RECORDED_TASK, step, event, (now - Duration::seconds(seconds_ago)).to_rfc3339_opts(chrono::SecondsFormat::Millis, true)],
        )
        .map_err(sqlite)?;
    }
    tx.commit().map_err(sqlite)?;
    Ok(db_path)
}

/// A `change_history` row to write: field, old, new, changed_by, reason, changed_at, project.
type HistoryRow = (
    String,
    Option<String>,
    String,
    String,
    Option<String>,
    String,
    Option<String>,
);

/// One task's history rows, written in order.
struct Writer<'a> {
    tx: &'a rusqlite::Transaction<'a>,
    task: &'a SampleTask,
    rows: Vec<HistoryRow>,
}

impl Writer<'_> {
    #[allow(clippy::too_many_arguments)]
    fn row(
        &mut self,
        field: &str,
        old: Option<&str>,
        new: &str,
        by: &str,
        reason: Option<&str>,
        at: String,
        project: Option<&str>,
    ) {
        self.rows.push((
            field.into(),
            old.map(Into::into),
            new.into(),
            by.into(),
            reason.map(Into::into),
            at,
            project.map(Into::into),
        ));
    }

    /// The daemon's launch: assignee → ParallelWorker and QUEUED → IN_PROGRESS
    /// (written by `Worker (ParallelWorker)`, project NULL, UTC), then the
    /// worker's own assignee row.
    fn launch(&mut self, at: DateTime<Utc>, worker: &str) {
        let previous = self.rows.iter().rev().find(|r| r.0 == "assignee").map(|r| r.2.clone());
        self.row(
            "assignee",
            previous.as_deref(),
            "ParallelWorker",
            "Worker (ParallelWorker)",
            None,
            sqlite_utc(at),
            None,
        );
        self.row(
            "status",
            Some("QUEUED"),
            "IN_PROGRESS",
            "Worker (ParallelWorker)",
            None,
            sqlite_utc(at),
            None,
        );
        let by = format!("Worker ({worker})");
        self.row(
            "assignee",
            Some("ParallelWorker"),
            worker,
            &by,
            Some("IN_PROGRESS維持 - Worker割当更新"),
            sqlite_utc(at + Duration::seconds(1)),
            None,
        );
    }

    /// The review worker's review (and rework) of the run that ended at `ran_to`.
    /// Returns when the task was last updated.
    fn review(
        &mut self,
        dir: &Path,
        review: Review,
        started: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> std::io::Result<DateTime<Utc>> {
        let task = self.task;
        let worker = task.worker.unwrap_or("Worker A");
        // A review that is going began a moment ago; the others ran when they ran.
        let started = if review == Review::Going {
            now - Duration::seconds(40)
        } else {
            started
        };
        let mut log = ReviewLog::new(task.id, started);
        log.line(
            started + Duration::seconds(1),
            &format!("[get_task_info] start: {}", task.id),
        );
        log.line(
            started + Duration::seconds(1),
            "[read_report] success: 05_REPORT/REPORT.md (270文字)",
        );
        log.line(
            started + Duration::seconds(1),
            "[start_review] success: レビュー開始（tasks.status=DONE, reviewed_at=NULL）",
        );
        log.line(started + Duration::seconds(1), "[execute_review] start: model=sonnet");
        log.line(
            started + Duration::seconds(1),
            "[claude_cli] Executing: claude -p (model=sonnet, timeout=1800s)",
        );
        let verdict_at = started + Duration::seconds(60);
        let by = format!("PM ({worker})");
        let updated = match review {
            Review::Going => now,
            Review::Approved => {
                log.line(verdict_at, "[execute_review] success: verdict=APPROVED");
                log.line(verdict_at, "[update_status] success: COMPLETED");
                log.line(verdict_at, "[release_locks] success: ロック解放完了");
                self.row(
                    "status",
                    Some("DONE"),
                    "COMPLETED",
                    &by,
                    Some("レビュー承認"),
                    sqlite_utc(verdict_at),
                    None,
                );
                log.line(
                    verdict_at + Duration::seconds(2),
                    "[complete] success: レビュー完了: APPROVED",
                );
                log.close(verdict_at + Duration::seconds(2), "APPROVED");
                verdict_at
            }
            Review::Rejected | Review::ReworkUntil(_) | Review::Reworked => {
                log.line(verdict_at, "[execute_review] success: verdict=REJECTED");
                log.line(verdict_at, "[update_status] success: REWORK (reject_count=1)");
                log.line(verdict_at, "[release_locks] success: ロック解放完了");
                self.row(
                    "status",
                    Some("DONE"),
                    "REWORK",
                    &by,
                    Some("レビュー差し戻し"),
                    sqlite_utc(verdict_at),
                    None,
                );
                if review == Review::Rejected {
                    log.line(
                        verdict_at + Duration::seconds(1),
                        "[complete] success: レビュー完了: REJECTED",
                    );
                    log.close(verdict_at + Duration::seconds(1), "REJECTED");
                    verdict_at
                } else {
                    let rework_at = if matches!(review, Review::ReworkUntil(_)) {
                        now - Duration::seconds(90)
                    } else {
                        verdict_at
                    };
                    log.line(rework_at, &format!("[auto_rework] start: task={}", task.id));
                    let run = match review {
                        Review::ReworkUntil(marker) => Run::Until(marker),
                        _ => Run::Whole,
                    };
                    log.text.push_str(&run_lines(task, rework_at, run, "リワーク"));
                    if review == Review::Reworked {
                        let done_at = rework_at + Duration::seconds(RUN_SECONDS);
                        self.row(
                            "status",
                            Some("REWORK"),
                            "DONE",
                            &format!("Worker ({worker})"),
                            None,
                            sqlite_utc(done_at),
                            None,
                        );
                        log.line(done_at, "[auto_rework] success: リワーク完了、verdict=None");
                        log.line(done_at, "[complete] success: レビュー完了: REJECTED");
                        log.close(done_at, "REJECTED");
                        done_at
                    } else {
                        now
                    }
                }
            }
        };
        std::fs::write(dir.join(format!("{}_review.log", task.id)), log.text)?;
        Ok(updated)
    }

    fn flush(self) -> rusqlite::Result<()> {
        for (field, old, new, by, reason, at, project) in self.rows {
            self.tx.execute(
                "INSERT INTO change_history (entity_type, entity_id, project_id, field_name, old_value, new_value, changed_by, change_reason, changed_at) \
                 VALUES ('task', ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![self.task.id, project, field, old, new, by, reason, at],
            )?;
        }
        Ok(())
    }
}

/// A review log being written.
struct ReviewLog {
    task: &'static str,
    text: String,
}

impl ReviewLog {
    fn new(task: &'static str, started: DateTime<Utc>) -> ReviewLog {
        let mut log = ReviewLog {
            task,
            text: String::new(),
        };
        log.own(started, &format!("[VALIDATE] start - {PROJECT}/{task}"));
        log.own(started, "[VALIDATE] success - バリデーション完了");
        log.own(started, &format!("[CHECK_STATUS] start - task={task}"));
        log.own(started, "[CHECK_STATUS] success - status=DONE");
        log.own(started, "[EXECUTE_REVIEW] start - model=sonnet");
        log
    }

    /// The review worker's own line shape.
    fn own(&mut self, at: DateTime<Utc>, what: &str) {
        let t = log_time(at);
        let _ = writeln!(self.text, "{t} [INFO] [{t}] {what}");
    }

    /// The review processor's lines (the worker shape).
    fn line(&mut self, at: DateTime<Utc>, what: &str) {
        let _ = writeln!(self.text, "{} [INFO] {what}", log_time(at));
    }

    fn close(&mut self, at: DateTime<Utc>, verdict: &str) {
        self.own(at, &format!("[EXECUTE_REVIEW] success - verdict={verdict}"));
        let _ = writeln!(self.text, "[OK] レビュー完了: {} → {verdict}", self.task);
    }
}

/// The lines of a worker run from `started`, as far as `run` goes.
fn run_lines(task: &SampleTask, started: DateTime<Utc>, run: Run, mode: &str) -> String {
    let worker = task.worker.unwrap_or("Worker A");
    let mut text = String::new();
    for &(offset, line) in RUN {
        let at = started + Duration::seconds(offset);
        let line = line
            .replace("{task}", task.id)
            .replace("{worker}", worker)
            .replace("{mode}", mode);
        let fails = run == Run::FailsInReport && line.contains("[create_report] success");
        if fails {
            let _ = writeln!(text, "{} [INFO] [error] failed: REPORT作成不可: execution_resultが空または短すぎます (14文字). Worker実行が正常に完了していない可能性があります。", log_time(at));
            let _ = writeln!(
                text,
                "{} [INFO] [self_healing] start: Handling execution failure",
                log_time(at)
            );
            let _ = writeln!(
                text,
                "{} [INFO] [file_lock_release] success: エラー時ロック解放",
                log_time(at)
            );
            break;
        }
        let _ = writeln!(text, "{} [INFO] {line}", log_time(at));
        if matches!(run, Run::Until(marker) if line.contains(marker)) {
            break;
        }
    }
    text
}

/// A worker log launched at `launched` (its name's stamp), banner first.
fn write_worker_log(
    dir: &Path,
    task: &SampleTask,
    launched: DateTime<Utc>,
    run: Run,
    mode: &str,
) -> std::io::Result<()> {
    let name = format!(
        "worker_{}_{}.log",
        task.id,
        launched.with_timezone(&Local).format("%Y%m%d_%H%M%S")
    );
    std::fs::write(
        dir.join(name),
        format!("{BANNER}{}", run_lines(task, launched, run, mode)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decision::Source as From;
    use crate::present::result::Presentation;
    use crate::step::Step;
    use crate::time::Clock;
    use crate::tracker::{BatchFilter, Source, StepTracker};

    #[test]
    fn the_sample_shows_every_source_and_kind_of_state() {
        let dir = tempfile::tempdir().unwrap();
        let now = Utc::now();
        let db = create_sample(dir.path(), now).unwrap();
        assert!(create_sample(dir.path(), now).is_err(), "never overwrites");
        let tracker = StepTracker::new();
        let source = Source {
            db_path: Some(db),
            ..Source::default()
        };
        let all: Vec<String> = TASKS.iter().map(|t| t.id.to_owned()).collect();
        let filter = BatchFilter {
            task_ids: Some(all),
            ..BatchFilter::default()
        };
        let infos = tracker
            .tasks_steps(PROJECT, &filter, &source, Presentation::default(), &Clock::system())
            .unwrap();
        let got = |id: &str| infos.iter().find(|i| i.task_id == id).unwrap();
        let cases = [
            ("TASK_1031", Some(Step::ExecuteTask), From::Log, 57),
            ("TASK_1032", Some(Step::CreateReport), From::Log, 71),
            ("TASK_1033", Some(Step::ExecuteTask), From::History, 57),
            ("TASK_1034", Some(Step::UpdateStatusDone), From::Recorded, 85),
            ("TASK_1035", Some(Step::ExecuteTask), From::Log, 57),
            ("TASK_1036", None, From::Status, 0),
            ("TASK_1037", None, From::Status, 0),
            ("TASK_1038", Some(Step::AutoReview), From::Log, 100),
            ("TASK_1039", None, From::Log, 100),
            ("TASK_1040", None, From::Log, 71),
            ("TASK_1041", None, From::Log, 57),
            ("TASK_1042", None, From::Status, 0),
            ("TASK_1043", None, From::Log, 100),
            ("TASK_1044", Some(Step::AssignWorker), From::Log, 28),
        ];
        for (id, step, source, progress) in cases {
            let info = got(id);
            assert_eq!(
                (info.current_step, info.source, info.progress_percent),
                (step, Some(source), progress),
                "{id}"
            );
        }
        assert_eq!(got("TASK_1040").failed_step, Some(Step::CreateReport));
    }
}
