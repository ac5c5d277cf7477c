//! A sample AI PM user-data folder for demos and experiments: a database in
//! the real shape (`sample/aipm-schema.sql`) and worker logs in the real
//! format, with tasks in every kind of state, timed relative to "now".
//!
//! It only ever creates a new folder's contents; it refuses to touch an
//! existing database.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, Local, Utc};
use rusqlite::{params, Connection};

use crate::error::{Error, ErrorCode, Result};

/// The DDL of the sample database: the tables and columns of a real one.
pub const SCHEMA: &str = include_str!("../__test__/fixtures/aipm-schema.sql");

pub const PROJECT: &str = "ai_pm_manager";
pub const ORDER: &str = "ORDER_119";

/// How far a sample task has got.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Progress {
    /// The log stops after the line containing this marker.
    LogUntil(&'static str),
    /// The whole run, ending in `[complete] success`.
    Completed,
    /// Fails while writing the report.
    Failed,
}

struct SampleTask {
    id: &'static str,
    title: &'static str,
    status: &'static str,
    worker: Option<&'static str>,
    /// Minutes ago the current attempt began (None: never started).
    started_minutes_ago: Option<i64>,
    log: Option<Progress>,
    locks: &'static [&'static str],
    rework: bool,
}

const TASKS: &[SampleTask] = &[
    SampleTask {
        id: "TASK_1031",
        title: "ログイン画面のバリデーション追加",
        status: "IN_PROGRESS",
        worker: Some("Worker A"),
        started_minutes_ago: Some(6),
        log: Some(Progress::LogUntil("[claude_cli] Executing")),
        locks: &[],
        rework: false,
    },
    SampleTask {
        id: "TASK_1032",
        title: "設定画面のレイアウト修正",
        status: "IN_PROGRESS",
        worker: Some("Worker B"),
        started_minutes_ago: Some(12),
        log: Some(Progress::LogUntil("[convert_report_to_html] start")),
        locks: &[],
        rework: false,
    },
    SampleTask {
        id: "TASK_1033",
        title: "DBマイグレーションの追加",
        status: "IN_PROGRESS",
        worker: Some("Worker C"),
        started_minutes_ago: Some(3),
        log: None,
        locks: &["backend/migrations/042_add_index.sql", "backend/models/task.py"],
        rework: false,
    },
    SampleTask {
        id: "TASK_1034",
        title: "API レスポンスのキャッシュ",
        status: "IN_PROGRESS",
        worker: Some("Worker D"),
        started_minutes_ago: Some(1),
        log: None,
        locks: &[],
        rework: false,
    },
    SampleTask {
        id: "TASK_1035",
        title: "エラーメッセージの多言語化",
        status: "REWORK",
        worker: Some("Worker A"),
        started_minutes_ago: Some(2),
        log: Some(Progress::LogUntil("[assign_worker] success")),
        locks: &[],
        rework: true,
    },
    SampleTask {
        id: "TASK_1036",
        title: "README の更新",
        status: "REWORK",
        worker: Some("Worker B"),
        started_minutes_ago: None,
        log: None,
        locks: &[],
        rework: true,
    },
    SampleTask {
        id: "TASK_1037",
        title: "通知設定の追加",
        status: "QUEUED",
        worker: None,
        started_minutes_ago: None,
        log: None,
        locks: &[],
        rework: false,
    },
    SampleTask {
        id: "TASK_1038",
        title: "ダッシュボードのグラフ改善",
        status: "DONE",
        worker: Some("Worker C"),
        started_minutes_ago: Some(40),
        log: Some(Progress::Completed),
        locks: &[],
        rework: false,
    },
    SampleTask {
        id: "TASK_1039",
        title: "ログ出力の整理",
        status: "COMPLETED",
        worker: Some("Worker D"),
        started_minutes_ago: Some(90),
        log: Some(Progress::Completed),
        locks: &[],
        rework: false,
    },
    SampleTask {
        id: "TASK_1040",
        title: "レポート生成の修正",
        status: "ESCALATED",
        worker: Some("Worker B"),
        started_minutes_ago: Some(25),
        log: Some(Progress::Failed),
        locks: &[],
        rework: false,
    },
    SampleTask {
        id: "TASK_1041",
        title: "検索機能のテスト追加",
        status: "INTERRUPTED",
        worker: Some("Worker A"),
        started_minutes_ago: Some(55),
        log: Some(Progress::LogUntil("[create_snapshot] success")),
        locks: &[],
        rework: false,
    },
    SampleTask {
        id: "TASK_1042",
        title: "外部API連携（依存待ち）",
        status: "BLOCKED",
        worker: None,
        started_minutes_ago: None,
        log: None,
        locks: &[],
        rework: false,
    },
];

/// Creates `<user_data_dir>/data/aipm.db` and the worker logs under
/// `<user_data_dir>/PROJECTS`. Returns the database path.
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
    let sqlite = |e| Error::from_sqlite(e, &db_path);
    let mut conn = Connection::open(&db_path).map_err(sqlite)?;
    let tx = conn.transaction().map_err(sqlite)?;
    tx.execute_batch(SCHEMA).map_err(sqlite)?;
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
    let logs_dir = user_data_dir
        .join("PROJECTS")
        .join(PROJECT)
        .join("RESULT")
        .join(ORDER)
        .join("LOGS");
    std::fs::create_dir_all(&logs_dir).map_err(io)?;

    let utc = |t: DateTime<Utc>| t.format("%Y-%m-%d %H:%M:%S").to_string();
    let local = |t: DateTime<Utc>| t.with_timezone(&Local).format("%Y-%m-%dT%H:%M:%S").to_string();
    for task in TASKS {
        let started = task.started_minutes_ago.map(|m| now - Duration::minutes(m));
        let updated = started.map_or(now - Duration::hours(3), |s| s + Duration::seconds(30));
        tx.execute(
            "INSERT INTO tasks (id, project_id, order_id, title, status, assignee, started_at, created_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![task.id, PROJECT, ORDER, task.title, task.status, task.worker, started.map(local), local(now - Duration::hours(4)), local(updated)],
        )
        .map_err(sqlite)?;
        let history = |field: &str, old: Option<&str>, new: &str, at: DateTime<Utc>| {
            // The real writers leave project_id NULL.
            tx.execute(
                "INSERT INTO change_history (entity_type, entity_id, project_id, field_name, old_value, new_value, changed_by, changed_at) \
                 VALUES ('task', ?1, NULL, ?2, ?3, ?4, 'worker', ?5)",
                params![task.id, field, old, new, utc(at)],
            )
        };
        history("status", None, "QUEUED", now - Duration::hours(4)).map_err(sqlite)?;
        if task.rework {
            let first = now - Duration::minutes(80);
            history("assignee", None, task.worker.unwrap_or("Worker A"), first).map_err(sqlite)?;
            history("status", Some("QUEUED"), "IN_PROGRESS", first).map_err(sqlite)?;
            history("status", Some("IN_PROGRESS"), "DONE", first + Duration::minutes(9)).map_err(sqlite)?;
            history("status", Some("DONE"), "REWORK", now - Duration::minutes(30)).map_err(sqlite)?;
        } else if let Some(started) = started {
            history("assignee", None, task.worker.unwrap_or("Worker A"), started).map_err(sqlite)?;
            history("status", Some("QUEUED"), "IN_PROGRESS", started).map_err(sqlite)?;
            if !matches!(task.status, "IN_PROGRESS") {
                let ended = started + Duration::minutes(9);
                let via_done = matches!(task.status, "DONE" | "COMPLETED");
                history(
                    "status",
                    Some("IN_PROGRESS"),
                    if via_done { "DONE" } else { task.status },
                    ended,
                )
                .map_err(sqlite)?;
                if task.status == "COMPLETED" {
                    history("status", Some("DONE"), "COMPLETED", ended + Duration::minutes(5)).map_err(sqlite)?;
                }
            }
        }
        for file in task.locks {
            tx.execute(
                "INSERT INTO file_locks (project_id, task_id, file_path, locked_at) VALUES (?1, ?2, ?3, ?4)",
                params![
                    PROJECT,
                    task.id,
                    file,
                    utc(started.unwrap_or(now) + Duration::seconds(1))
                ],
            )
            .map_err(sqlite)?;
        }
        if let (Some(progress), Some(started)) = (task.log, started) {
            let launched = started - Duration::seconds(2);
            let name = format!(
                "worker_{}_{}.log",
                task.id,
                launched.with_timezone(&Local).format("%Y%m%d_%H%M%S")
            );
            std::fs::write(logs_dir.join(name), worker_log(task, launched, progress)).map_err(io)?;
        }
    }
    tx.execute_batch(crate::db::write::STEP_EVENTS_DDL).map_err(sqlite)?;
    let recorded = [
        ("get_task_info", "start", 60),
        ("assign_worker", "success", 58),
        ("execute_task", "success", 40),
        ("create_report", "success", 20),
        ("update_status_done", "start", 5),
    ];
    for (step, event, seconds_ago) in recorded {
        tx.execute(
            "INSERT INTO task_step_events (project_id, task_id, step, event, detail, recorded_at) VALUES (?1, 'TASK_1034', ?2, ?3, NULL, ?4)",
            params![PROJECT, step, event, (now - Duration::seconds(seconds_ago)).to_rfc3339_opts(chrono::SecondsFormat::Millis, true)],
        )
        .map_err(sqlite)?;
    }
    tx.commit().map_err(sqlite)?;
    Ok(db_path)
}

/// A worker log in the real format (see `__test__/fixtures/`), one line per second.
fn worker_log(task: &SampleTask, launched: DateTime<Utc>, progress: Progress) -> String {
    let id = task.id;
    let worker = task.worker.unwrap_or("Worker A");
    let lines = [
        format!("[INFO] [get_task_info] start: {id}"),
        format!(
            "[INFO] [get_task_info] success: order={ORDER}, model=opus, reject_count={}",
            u8::from(task.rework)
        ),
        "[INFO] [permission_profile] success: profile=document, tools=6個".to_owned(),
        "[INFO] [assign_worker] start: mode=通常".to_owned(),
        "[INFO] [file_lock] skip: 対象ファイル未指定".to_owned(),
        format!("[INFO] [assign_worker] success: worker={worker}"),
        "[INFO] [execute_task] start: model=opus, profile=document, allowed_tools=6個".to_owned(),
        format!("[INFO] [create_checkpoint] success: checkpoint={id}"),
        format!("[INFO] [create_snapshot] success: snapshot={id}"),
        "[INFO] [claude_cli] Executing: claude -p (model=opus, timeout=1800s)".to_owned(),
        "[INFO] [execute_task] success: ".to_owned(),
        "[INFO] [self_verification] skip: 成果物パス取得不可".to_owned(),
        "[INFO] [create_report] start: ".to_owned(),
        "[INFO] [create_report] success: 05_REPORT/REPORT.md (566バイト)".to_owned(),
        "[INFO] [convert_report_to_html] start: ".to_owned(),
        "[INFO] [update_status_done] start: ".to_owned(),
        "[INFO] [update_status_done] success: status=DONE".to_owned(),
        "[INFO] [file_lock_release] success: ロック解放完了".to_owned(),
        "[INFO] [complete] success: Worker処理完了".to_owned(),
    ];
    let mut text = String::from("============================================================\n[WARNING] 本番DB使用中 (execute_task.py)\n============================================================\n");
    let mut at = launched;
    for line in lines {
        let failing = progress == Progress::Failed && line.contains("[create_report] success");
        let line = if failing {
            "[INFO] [error] failed: REPORT作成不可: execution_resultが空または短すぎます (14文字). Worker実行が正常に完了していない可能性があります。".to_owned()
        } else {
            line
        };
        let _ = writeln!(text, "{} {line}", at.with_timezone(&Local).format("%Y-%m-%d %H:%M:%S"));
        // the AI step takes most of a run
        at += if line.contains("claude_cli") {
            Duration::minutes(5)
        } else {
            Duration::seconds(2)
        };
        let stop = match progress {
            Progress::LogUntil(marker) => line.contains(marker),
            Progress::Failed => failing,
            Progress::Completed => false,
        };
        if stop {
            if failing {
                let _ = writeln!(
                    text,
                    "{} [INFO] [self_healing] start: Handling execution failure",
                    at.with_timezone(&Local).format("%Y-%m-%d %H:%M:%S")
                );
                let _ = writeln!(
                    text,
                    "{} [INFO] [file_lock_release] success: エラー時ロック解放",
                    at.with_timezone(&Local).format("%Y-%m-%d %H:%M:%S")
                );
            }
            break;
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::result::Presentation;
    use crate::time::Clock;
    use crate::tracker::{BatchFilter, Source, StepTracker};

    #[test]
    fn the_sample_shows_every_source_and_kind_of_state() {
        let dir = tempfile::tempdir().unwrap();
        let now = Utc::now();
        let db = create_sample(dir.path(), now).unwrap();
        assert!(create_sample(dir.path(), now).is_err(), "never overwrites");
        let tracker = StepTracker::with_env(|_| None);
        let source = Source {
            db_path: Some(db),
            ..Source::default()
        };
        let clock = Clock::system();
        let all: Vec<String> = TASKS.iter().map(|t| t.id.to_owned()).collect();
        let filter = BatchFilter {
            task_ids: Some(all),
            ..BatchFilter::default()
        };
        let infos = tracker
            .tasks_steps(PROJECT, &filter, &source, Presentation::default(), &clock)
            .unwrap();
        let got = |id: &str| infos.iter().find(|i| i.task_id == id).unwrap();
        let cases = [
            ("TASK_1031", Some("execute_task"), "log"),
            ("TASK_1032", Some("create_report"), "log"),
            ("TASK_1033", Some("execute_task"), "history"),
            ("TASK_1034", Some("update_status_done"), "recorded"),
            ("TASK_1035", Some("file_lock"), "log"),
            ("TASK_1036", None, "status"),
            ("TASK_1040", None, "log"),
        ];
        for (id, step, source) in cases {
            assert_eq!((got(id).current_step, got(id).source), (step, Some(source)), "{id}");
        }
        assert_eq!(got("TASK_1040").failed_step, Some("create_report"));
        assert_eq!(got("TASK_1041").progress_percent, 57);
        assert_eq!(got("TASK_1038").progress_percent, 100);
    }
}
