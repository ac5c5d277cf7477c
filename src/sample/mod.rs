//! A sample AI PM user-data folder for demos and experiments: the project
//! `ai_pm_manager`, its order `ORDER_119`, and fourteen tasks in every kind of
//! state, each written by the backend's own processes as `script` replays
//! them — the launcher daemon, the worker, the review worker, a worker started
//! by hand, crash recovery — up to "now"; before them, the thirty tasks of
//! `ORDER_118`, run and reviewed over the day and a half before (their
//! durations skewed as real AI runs are: see `pace`), the history the
//! estimate of the running tasks' end rests on. The database is in WAL mode,
//! as the app keeps it. It only ever fills a new folder: it refuses to touch
//! an existing database.

pub mod pace;
pub mod script;

use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, Utc};
use rusqlite::params;

use self::script::{Backend, Ending, Out, Pace, Script, Task, Verdict};
use crate::error::{Error, Result};
use crate::step::Step;
use crate::time::{Instant, Zone};

pub use self::script::SCHEMA;

pub const PROJECT: &str = "ai_pm_manager";
pub const ORDER: &str = "ORDER_119";
/// The earlier order, run and reviewed: the project's history.
pub const EARLIER_ORDER: &str = "ORDER_118";

/// The task with recorded events (`recordExecutionStep`) as well as history.
const RECORDED_TASK: &str = "TASK_1034";

/// Creates `<user_data_dir>/data/aipm.db` (WAL, as the app keeps it), worker
/// logs under `PROJECTS/` and review logs under `logs/review_workers/`, as
/// they stand at `now`. Returns the database path.
pub fn create_sample(user_data_dir: &Path, now: DateTime<Utc>) -> Result<PathBuf> {
    let backend = Backend::create(user_data_dir, true)?;
    let sqlite = |e| Error::from_sqlite(e, &backend.db_path);
    backend
        .conn()
        .execute_batch(&format!(
            "INSERT INTO projects (id, name) VALUES ('{PROJECT}', 'AI PM Manager'); \
             INSERT INTO orders (id, project_id, title, status) VALUES ('{EARLIER_ORDER}', '{PROJECT}', 'リリース準備', 'IN_PROGRESS'); \
             INSERT INTO orders (id, project_id, title, status) VALUES ('{ORDER}', '{PROJECT}', '設定まわりの改善', 'IN_PROGRESS');"
        ))
        .map_err(sqlite)?;
    let mut writes: Vec<_> = earlier_order(user_data_dir, Zone::Local, now)
        .into_iter()
        .chain(scripts(user_data_dir, Zone::Local, now))
        .flat_map(Script::into_writes)
        .filter(|w| w.at <= now)
        .collect();
    // The processes wrote side by side: in time order.
    writes.sort_by_key(|w| w.at);
    backend.apply_all(&writes)?;
    // A worker that records its steps (recordExecutionStep) as it goes.
    let recorded = [
        ("get_task_info", "start", 58),
        ("assign_worker", "success", 56),
        ("execute_task", "success", 40),
        ("create_report", "success", 20),
        ("update_status_done", "start", 5),
    ];
    for (step, event, seconds_ago) in recorded {
        let at = (now - Duration::seconds(seconds_ago)).to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        backend
            .conn()
            .execute(
                "INSERT INTO task_step_events (project_id, task_id, step, event, detail, recorded_at) VALUES (?1, ?2, ?3, ?4, NULL, ?5)",
                params![PROJECT, RECORDED_TASK, step, event, at],
            )
            .map_err(sqlite)?;
    }
    Ok(backend.db_path)
}

/// `ORDER_118`: thirty tasks launched an hour apart from 36 hours before
/// `now`, each run by a worker and reviewed; twelve were rejected and
/// reworked by the review worker, and wait for their next review.
fn earlier_order(root: &Path, zone: Zone, now: Instant) -> Vec<Script> {
    let mut dice = pace::Dice::new(118);
    (0..30)
        .map(|i| {
            let task = Task::new(
                PROJECT,
                EARLIER_ORDER,
                &format!("TASK_{}", 1001 + i),
                WORKERS[i % WORKERS.len()],
            );
            let launch = now - Duration::hours(36) + Duration::hours(i as i64);
            let mut script = Script::new(root, zone, launch - Duration::minutes(30));
            script.add_task(&task, "QUEUED");
            script.wait(30 * 60);
            script.daemon_run(&task, &Ending::Completes, dice.pace());
            script.wait(dice.between(10, 120));
            let verdict = if i % 5 == 1 || i % 5 == 3 {
                Verdict::Rejected(Some(Ending::Completes))
            } else {
                Verdict::Approved
            };
            script.review(&task, &verdict, dice.pace());
            script
        })
        .collect()
}

const WORKERS: [&str; 4] = ["Worker A", "Worker B", "Worker C", "Worker D"];

/// One script per sample task, each from its creation four hours before `now`.
fn scripts(root: &Path, zone: Zone, now: Instant) -> Vec<Script> {
    let ago = |minutes: i64| now - Duration::minutes(minutes);
    let task = |id: &str, title: &str, worker: &str| Task {
        title: title.into(),
        ..Task::new(PROJECT, ORDER, id, worker)
    };
    let long = |pace: Pace| Pace {
        execute_task: 3 * 3600,
        ..pace
    };
    let new = |t: &Task, status: &str| {
        let mut script = Script::new(root, zone, ago(240));
        script.add_task(t, status);
        script
    };
    let launched = |t: &Task, at: Instant, ending: Ending, pace: Pace| {
        let mut script = new(t, "QUEUED");
        script.wait((at - script.now()).num_seconds());
        script.daemon_run(t, &ending, pace);
        script
    };
    let by_hand = |t: &Task, at: Instant, pace: Pace| {
        let mut script = new(t, "QUEUED");
        script.wait((at - script.now()).num_seconds());
        script.worker_run(t, &Out::Nowhere, &Ending::Completes, pace);
        script
    };
    let until = |script: &mut Script, at: Instant| {
        let wait = (at - script.now()).num_seconds().max(0);
        script.wait(wait);
    };
    let pace = Pace::default();
    let mut scripts = Vec::new();

    // Running, by their logs: the model working; writing the report.
    let t = task("TASK_1031", "ログイン画面のバリデーション追加", "Worker A");
    scripts.push(launched(&t, ago(6), Ending::Completes, long(pace)));
    let t = task("TASK_1032", "設定画面のレイアウト修正", "Worker B");
    let report = Pace {
        execute_task: 480,
        create_report: 3600,
        ..pace
    };
    scripts.push(launched(&t, ago(12), Ending::Completes, report));
    // Started by hand (no log): its own move to IN_PROGRESS and the locks it holds.
    let t = task("TASK_1033", "DBマイグレーションの追加", "Worker C")
        .with_targets(&["backend/migrations/042_add_index.sql", "backend/models/task.py"]);
    scripts.push(by_hand(&t, ago(3), long(pace)));
    // Started by hand, recording its steps.
    let t = task("TASK_1034", "API レスポンスのキャッシュ", "Worker D");
    let recording = Pace {
        execute_task: 20,
        create_report: 20,
        update_status_done: 3600,
        ..pace
    };
    scripts.push(by_hand(&t, ago(1), recording));

    // Rejected by the review and reworked by the review worker: the rework run executing.
    let t = task("TASK_1035", "エラーメッセージの多言語化", "Worker A").with_targets(&["src/i18n/messages.ts"]);
    let mut script = launched(&t, ago(20), Ending::Completes, pace);
    script.wait(20);
    script.review(&t, &Verdict::Rejected(Some(Ending::Completes)), long(pace));
    scripts.push(script);
    // Rejected, no auto-rework: waiting in REWORK.
    let t = task("TASK_1036", "README の更新", "Worker B");
    let mut script = launched(&t, ago(30), Ending::Completes, pace);
    script.wait(20);
    script.review(&t, &Verdict::Rejected(None), pace);
    scripts.push(script);

    scripts.push(new(&task("TASK_1037", "通知設定の追加", "Worker A"), "QUEUED"));
    // DONE, the review going.
    let t = task("TASK_1038", "ダッシュボードのグラフ改善", "Worker C");
    let mut script = launched(&t, ago(9), Ending::Completes, pace);
    until(&mut script, now - Duration::seconds(40));
    script.review(&t, &Verdict::Approved, Pace { review: 3600, ..pace });
    scripts.push(script);
    // Reviewed and approved.
    let t = task("TASK_1039", "ログ出力の整理", "Worker D");
    let mut script = launched(&t, ago(90), Ending::Completes, pace);
    script.wait(20);
    script.review(&t, &Verdict::Approved, pace);
    scripts.push(script);
    // Failed writing the report; escalated by the daemon's health check.
    let t = task("TASK_1040", "レポート生成の修正", "Worker B");
    let failure = Ending::Fails(
        Step::CreateReport,
        "REPORT作成不可: execution_resultが空または短すぎます (14文字). Worker実行が正常に完了していない可能性があります。".into(),
    );
    let mut script = launched(&t, ago(25), failure, pace);
    script.wait(30);
    script.daemon_status(&t, "ESCALATED", "DaemonHealthCheck", "連続失敗上限到達");
    scripts.push(script);
    // The worker died while the model ran; interrupted.
    let t = task("TASK_1041", "検索機能のテスト追加", "Worker A");
    let mut script = launched(
        &t,
        ago(55),
        Ending::Dies(Step::ExecuteTask),
        Pace {
            execute_task: 60,
            ..pace
        },
    );
    script.daemon_status(&t, "INTERRUPTED", "Worker (ParallelWorker)", "ワーカープロセス停止");
    scripts.push(script);

    scripts.push(new(
        &task("TASK_1042", "外部API連携（依存待ち）", "Worker A"),
        "BLOCKED",
    ));
    // Reworked to DONE by the review worker: awaiting the next review.
    let t = task("TASK_1043", "CSV エクスポートの追加", "Worker C");
    let mut script = launched(&t, ago(40), Ending::Completes, pace);
    script.wait(20);
    script.review(&t, &Verdict::Rejected(Some(Ending::Completes)), pace);
    scripts.push(script);
    // A worker that died; the daemon's crash recovery; the relaunch, being assigned.
    let t = task("TASK_1044", "バックアップ処理の改善", "Worker D");
    let mut script = launched(&t, ago(15), Ending::Dies(Step::ExecuteTask), pace);
    until(&mut script, ago(2) - Duration::seconds(5));
    script.crash_recovery(&t);
    script.wait(5);
    let log = script.daemon_launch(&t);
    script.worker_run(
        &t,
        &Out::Log(log),
        &Ending::Completes,
        Pace {
            assign_worker: 3600,
            ..pace
        },
    );
    scripts.push(script);
    scripts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decision::Source as From;
    use crate::present::result::Presentation;
    use crate::step::Step;
    use crate::time::Clock;
    use crate::tracker::{Access, BatchFilter, StepTracker};

    #[test]
    fn the_sample_shows_every_source_and_kind_of_state() {
        let dir = tempfile::tempdir().unwrap();
        let now = Utc::now();
        let db = create_sample(dir.path(), now).unwrap();
        assert!(create_sample(dir.path(), now).is_err(), "never overwrites");
        let tracker = StepTracker::new();
        let source = Access {
            db_path: Some(db),
            ..Access::default()
        };
        let all: Vec<String> = (1031..=1044).map(|n| format!("TASK_{n}")).collect();
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
