//! Test databases and logs in the real AI PM shapes (docs/behaviour.md, "The
//! database", "Worker logs", "Review logs"), built from
//! our own DDL and writers: the launcher daemon's launch order, the worker's
//! and the review worker's log lines, UTC `CURRENT_TIMESTAMP` and the Python
//! backend's local times with a `T`.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use aipm_execution_steps::time::{Clock, Zone};
use aipm_execution_steps::{Access, Environment, ExecutionStepInfo, Presentation, StepTracker};
use chrono::{DateTime, Duration, Utc};
use rusqlite::{params, Connection};

pub const SCHEMA: &str = include_str!("../../src/sample/schema.sql");
pub const LEGACY_SCHEMA: &str = include_str!("../../__test__/fixtures/aipm-schema-legacy.sql");
pub const LOG_2001: &str = include_str!("../../__test__/fixtures/worker_TASK_2001_20261024_105205.log");
pub const LOG_2002: &str = include_str!("../../__test__/fixtures/worker_TASK_2002_20261024_105149.log");

pub const PROJECT: &str = "ai_pm_manager";
pub const ORDER: &str = "ORDER_119";
/// 2026-10-24 10:00:00 in Japan.
pub const T0: &str = "2026-10-24T01:00:00Z";

/// A UTC instant `sec` seconds after [`T0`].
pub fn at(sec: i64) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(T0).unwrap().with_timezone(&Utc) + Duration::seconds(sec)
}

/// SQLite's `CURRENT_TIMESTAMP` shape (UTC) of [`at`].
pub fn sqlite_utc(sec: i64) -> String {
    at(sec).format("%Y-%m-%d %H:%M:%S").to_string()
}

/// The Python backend's `datetime.now().isoformat()` shape (Japan time, `T`) of [`at`].
pub fn python_local(sec: i64) -> String {
    (at(sec) + Duration::hours(9))
        .format("%Y-%m-%dT%H:%M:%S%.6f")
        .to_string()
}

/// A log line's time (Japan) of [`at`].
pub fn log_time(sec: i64) -> String {
    (at(sec) + Duration::hours(9)).format("%Y-%m-%d %H:%M:%S").to_string()
}

/// A log file name's stamp (Japan) of [`at`].
pub fn stamp(sec: i64) -> String {
    (at(sec) + Duration::hours(9)).format("%Y%m%d_%H%M%S").to_string()
}

/// Japan time, at `sec` seconds after [`T0`].
pub fn clock(sec: i64) -> Clock {
    Clock {
        zone: Zone::japan(),
        now: at(sec),
    }
}

/// The worker's banner.
pub const BANNER: &str = "============================================================\n[WARNING] 本番DB使用中 (execute_task.py)\nAIPM_DB_PATH が未設定のため、本番DB（aipm.db）に直接アクセスします。\n============================================================\n";

/// A whole successful worker run, seconds from its start: the real line shapes.
pub fn full_run() -> Vec<(i64, &'static str)> {
    vec![
        (0, "[get_task_info] start: TASK_1"),
        (
            0,
            "[get_task_info] success: order=ORDER_119, model=opus, reject_count=0",
        ),
        (0, "[permission_profile] success: profile=document"),
        (0, "[assign_worker] start: mode=通常"),
        (0, "[file_lock] skip: 対象ファイル未指定"),
        (0, "[assign_worker] success: worker=Worker A"),
        (
            1,
            "[execute_task] start: model=opus, profile=document, allowed_tools=6個",
        ),
        (1, "[claude_cli] Executing: claude -p (model=opus, timeout=1800s)"),
        (60, "[execute_task] success: "),
        (60, "[self_verification] skip: 成果物パス取得不可"),
        (60, "[create_report] start: "),
        (62, "[create_report] success: 05_REPORT/REPORT_1.md (566バイト)"),
        (62, "[update_status_done] start: "),
        (63, "[update_status_done] success: status=DONE"),
        (63, "[file_lock_release] success: ロック解放完了"),
        (63, "[auto_review] skipped: レビューはreview_workerで実行されます"),
        (63, "[complete] success: Worker処理完了"),
    ]
}

/// The first `n` lines of a run.
pub fn run_until(n: usize) -> Vec<(i64, &'static str)> {
    full_run().into_iter().take(n).collect()
}

/// Worker-log text: the banner, then `(sec after start, line)` step lines.
pub fn worker_log_text(start: i64, lines: &[(i64, &str)], crlf: bool) -> String {
    let eol = if crlf { "\r\n" } else { "\n" };
    let mut text = BANNER.replace('\n', eol);
    for (sec, line) in lines {
        text.push_str(&format!("{} [INFO] {line}{eol}", log_time(start + sec)));
    }
    text
}

/// A review log being written: the review worker's lines and the processor's.
pub struct ReviewText(pub String);

impl ReviewText {
    /// A review of `project`/`task` that began at `start`.
    pub fn new(project: &str, task: &str, start: i64) -> ReviewText {
        let mut text = ReviewText(String::new());
        text.own(start, &format!("[VALIDATE] start - {project}/{task}"));
        text.own(start, "[VALIDATE] success - バリデーション完了");
        text.own(start, &format!("[CHECK_STATUS] start - task={task}"));
        text.own(start, "[CHECK_STATUS] success - status=DONE");
        text.own(start, "[EXECUTE_REVIEW] start - model=sonnet");
        text.line(start, &format!("[get_task_info] start: {task}"));
        text.line(start, "[execute_review] start: model=sonnet");
        text
    }

    pub fn own(&mut self, sec: i64, what: &str) -> &mut ReviewText {
        let t = log_time(sec);
        self.0.push_str(&format!("{t} [INFO] [{t}] {what}\n"));
        self
    }

    pub fn line(&mut self, sec: i64, what: &str) -> &mut ReviewText {
        self.0.push_str(&format!("{} [INFO] {what}\n", log_time(sec)));
        self
    }

    /// A whole worker run from `start`, as far as `lines` go, in the rework shape.
    pub fn rework(&mut self, start: i64, lines: &[(i64, &str)]) -> &mut ReviewText {
        self.line(start, "[auto_rework] start: task=TASK_1");
        for (sec, line) in lines {
            let line = line.replace("mode=通常", "mode=リワーク");
            self.line(start + sec, &line);
        }
        self
    }

    pub fn verdict(&mut self, sec: i64, verdict: &str, status: &str) -> &mut ReviewText {
        self.line(sec, &format!("[execute_review] success: verdict={verdict}"));
        self.line(sec, &format!("[update_status] success: {status}"))
    }

    /// The review's end: the processor's, then the review worker's own.
    pub fn close(&mut self, sec: i64, verdict: &str) -> &mut ReviewText {
        self.line(sec, &format!("[complete] success: レビュー完了: {verdict}"));
        self.own(sec, &format!("[EXECUTE_REVIEW] success - verdict={verdict}"));
        self.0.push_str(&format!("[OK] レビュー完了: TASK_1 → {verdict}\n"));
        self
    }
}

/// A user-data folder with `data/aipm.db`, `PROJECTS/` and `logs/review_workers/`.
pub struct Fixture {
    pub user_data: PathBuf,
    pub db_path: PathBuf,
    pub tracker: StepTracker,
    /// Last, so it is removed after the tracker has closed its connections: a
    /// file deleted while SQLite holds it open frees its inode, and a new
    /// database given the same inode in this process would share its locks.
    pub dir: tempfile::TempDir,
}

impl Fixture {
    /// A rollback-journal database (a backend database the app never opened).
    pub fn new() -> Fixture {
        Fixture::with_schema(SCHEMA, false)
    }

    /// A WAL database, as the app keeps it.
    pub fn wal() -> Fixture {
        Fixture::with_schema(SCHEMA, true)
    }

    pub fn with_schema(ddl: &str, wal: bool) -> Fixture {
        aipm_execution_steps::install_locking();
        let dir = tempfile::tempdir().unwrap();
        let user_data = dir.path().canonicalize().unwrap();
        std::fs::create_dir_all(user_data.join("data")).unwrap();
        let db_path = user_data.join("data").join("aipm.db");
        let conn = Connection::open(&db_path).unwrap();
        if wal {
            conn.pragma_update(None, "journal_mode", "WAL").unwrap();
        }
        conn.execute_batch(ddl).unwrap();
        Fixture {
            dir,
            user_data,
            db_path,
            tracker: StepTracker::new(),
        }
    }

    pub fn conn(&self) -> Connection {
        let conn = Connection::open(&self.db_path).unwrap();
        conn.busy_timeout(std::time::Duration::from_secs(5)).unwrap();
        conn
    }

    pub fn exec(&self, sql: &str) {
        self.conn().execute_batch(sql).unwrap();
    }

    /// A task of `project` in ORDER_119; `updated_at` as the Python backend writes it.
    pub fn task_of(&self, project: &str, id: &str, status: &str, assignee: Option<&str>) {
        self.conn()
            .execute(
                "INSERT INTO tasks (id, project_id, order_id, title, status, assignee, created_at, updated_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
                params![
                    id,
                    project,
                    ORDER,
                    format!("{id} のタスク"),
                    status,
                    assignee,
                    python_local(-3600)
                ],
            )
            .unwrap();
    }

    pub fn task(&self, id: &str, status: &str, assignee: Option<&str>) {
        self.task_of(PROJECT, id, status, assignee);
    }

    /// A change_history row. `project` NULL, like most real writers.
    #[allow(clippy::too_many_arguments)]
    pub fn history(
        &self,
        task: &str,
        field: &str,
        old: Option<&str>,
        new: &str,
        by: &str,
        changed_at: &str,
        project: Option<&str>,
    ) {
        self.conn()
            .execute(
                "INSERT INTO change_history (entity_type, entity_id, project_id, field_name, old_value, new_value, changed_by, changed_at) \
                 VALUES ('task', ?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![task, project, field, old, new, by, changed_at],
            )
            .unwrap();
    }

    /// A status change at `sec`, UTC `CURRENT_TIMESTAMP`.
    pub fn status(&self, task: &str, from: &str, to: &str, by: &str, sec: i64) {
        self.history(task, "status", Some(from), to, by, &sqlite_utc(sec), None);
    }

    /// The daemon's launch at `sec`: assignee → ParallelWorker and QUEUED →
    /// IN_PROGRESS in one second (the worker has not said anything yet).
    pub fn daemon_launch(&self, task: &str, sec: i64) {
        let daemon = "Worker (ParallelWorker)";
        self.history(task, "assignee", None, "ParallelWorker", daemon, &sqlite_utc(sec), None);
        self.status(task, "QUEUED", "IN_PROGRESS", daemon, sec);
    }

    /// The daemon's launch at `sec` ([`Fixture::daemon_launch`]), and the
    /// worker's own assignee row a second later (after its file locks).
    pub fn launch(&self, task: &str, worker: &str, sec: i64) {
        self.daemon_launch(task, sec);
        self.history(
            task,
            "assignee",
            Some("ParallelWorker"),
            worker,
            &format!("Worker ({worker})"),
            &sqlite_utc(sec + 1),
            None,
        );
    }

    pub fn lock(&self, task: &str, file: &str, sec: i64) {
        self.conn()
            .execute(
                "INSERT INTO file_locks (project_id, task_id, file_path, locked_at) VALUES (?1, ?2, ?3, ?4)",
                params![PROJECT, task, file, python_local(sec)],
            )
            .unwrap();
    }

    /// A worker log of `task` in `project`, launched at `launched` (its name's stamp).
    pub fn worker_log_of(&self, project: &str, task: &str, launched: i64, text: &str) -> PathBuf {
        let dir = self
            .user_data
            .join("PROJECTS")
            .join(project)
            .join("RESULT")
            .join(ORDER)
            .join("LOGS");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("worker_{task}_{}.log", stamp(launched)));
        std::fs::write(&path, text).unwrap();
        path
    }

    /// A worker log of `task`: the run's `lines` from `launched`.
    pub fn worker_log(&self, task: &str, launched: i64, lines: &[(i64, &str)]) -> PathBuf {
        self.worker_log_of(PROJECT, task, launched, &worker_log_text(launched, lines, false))
    }

    /// The review log of `task` (written over whatever was there).
    pub fn review_log(&self, task: &str, text: &ReviewText) -> PathBuf {
        let dir = self.user_data.join("logs").join("review_workers");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{task}_review.log"));
        std::fs::write(&path, &text.0).unwrap();
        path
    }

    /// Reads only this fixture's database; no default from the environment.
    pub fn source(&self) -> Access {
        Access {
            db_path: Some(self.db_path.clone()),
            environment: Environment::default(),
            ..Access::default()
        }
    }

    pub fn step(&self, task: &str, now: i64) -> ExecutionStepInfo {
        self.step_of(PROJECT, task, now)
    }

    pub fn step_of(&self, project: &str, task: &str, now: i64) -> ExecutionStepInfo {
        let verbose = Presentation {
            verbose: true,
            ..Presentation::default()
        };
        self.tracker
            .task_step(project, task, &self.source(), verbose, &clock(now))
            .unwrap()
    }
}

/// What a result shows, as strings: (current step, source, progress).
pub fn shown(info: &ExecutionStepInfo) -> (Option<&'static str>, &'static str, u32) {
    (
        info.current_step.map(|s| s.name()),
        info.source.map_or("-", |s| s.name()),
        info.progress_percent,
    )
}

pub fn statuses(info: &ExecutionStepInfo) -> Vec<&'static str> {
    info.steps.as_ref().unwrap().iter().map(|s| s.status.name()).collect()
}

pub fn file_bytes(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap()
}
