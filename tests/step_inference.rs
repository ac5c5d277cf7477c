//! End-to-end inference on databases in the real shape: every row of the
//! status table, the three evidence sources, and the ugly cases.

mod support;

use aipm_execution_steps::error::ErrorCode;
use aipm_execution_steps::locale::Locale;
use aipm_execution_steps::result::Presentation;
use aipm_execution_steps::tracker::{BatchFilter, Source, StatsFilter};
use support::*;

const NOW: &str = "2026-10-24T02:00:00Z";

#[test]
fn running_task_with_only_history_is_at_file_lock_after_assignment() {
    let f = Fixture::new();
    f.task(PROJECT, "TASK_1", "IN_PROGRESS", Some("Worker A"));
    f.history(None, "TASK_1", "status", None, "QUEUED", "2026-10-24 00:00:00");
    f.start("TASK_1", "QUEUED", "Worker A", "2026-10-24 01:51:49");
    let info = f.step(PROJECT, "TASK_1", NOW);
    assert_eq!(info.current_step, Some("file_lock"));
    assert_eq!((info.step_index, info.progress_percent, info.total_steps), (2, 42, 7));
    assert_eq!(info.current_step_display, "ファイルロック取得");
    assert_eq!(info.source, Some("history"));
    assert_eq!(
        info.started_at.as_deref(),
        Some("2026-10-24T10:51:49+09:00"),
        "UTC changed_at shown in Japan time"
    );
    assert_eq!(info.assignee.as_deref(), Some("Worker A"));
    let done: Vec<_> = info.completed_steps.as_ref().unwrap().iter().map(|s| s.step).collect();
    assert_eq!(done, ["get_task_info", "assign_worker"]);
}

#[test]
fn history_rules_take_the_furthest_step_the_evidence_supports() {
    let f = Fixture::new();
    for id in ["LOCKED", "REPORTED", "BARE", "NOHIST"] {
        f.task(PROJECT, id, "IN_PROGRESS", Some("Worker A"));
    }
    f.start("LOCKED", "QUEUED", "Worker A", "2026-10-24 01:51:49");
    f.lock(PROJECT, "LOCKED", "src/main.ts", "2026-10-24 01:51:50");
    f.start("REPORTED", "QUEUED", "Worker A", "2026-10-24 01:51:49");
    f.lock(PROJECT, "REPORTED", "src/a.ts", "2026-10-24 01:51:50");
    f.history(
        None,
        "REPORTED",
        "report_path",
        None,
        "RESULT/ORDER_119/05_REPORT/REPORT_1.md",
        "2026-10-24 01:55:00",
    );
    f.history(
        None,
        "BARE",
        "status",
        Some("QUEUED"),
        "IN_PROGRESS",
        "2026-10-24 01:51:49",
    );

    let step = |id| f.step(PROJECT, id, NOW).current_step;
    assert_eq!(step("LOCKED"), Some("execute_task"));
    assert_eq!(step("REPORTED"), Some("create_report"));
    assert_eq!(step("BARE"), Some("assign_worker"));
    let bare = f.step(PROJECT, "NOHIST", NOW);
    assert_eq!(
        (bare.current_step, bare.source),
        (Some("get_task_info"), Some("status"))
    );
}

#[test]
fn every_row_of_the_status_table() {
    let f = Fixture::new();
    let cases: [(&str, Option<&str>, i32, u32); 13] = [
        ("IN_PROGRESS", Some("file_lock"), 2, 42),
        ("QUEUED", None, -1, 0),
        ("BLOCKED", None, -1, 0),
        ("REWORK", None, -1, 0),
        ("DONE", None, -1, 100),
        ("IN_REVIEW", None, -1, 100),
        ("COMPLETED", None, -1, 100),
        ("INTERRUPTED", None, -1, 42),
        ("ESCALATED", None, -1, 42),
        ("WAITING_INPUT", None, -1, 42),
        ("CANCELLED", None, -1, 0),
        ("SKIPPED", None, -1, 0),
        ("REJECTED", None, -1, 0),
    ];
    for (status, ..) in cases {
        let id = format!("T_{status}");
        f.task(PROJECT, &id, status, Some("Worker A"));
        f.start(&id, "QUEUED", "Worker A", "2026-10-24 01:51:49");
        if status != "IN_PROGRESS" {
            f.history(None, &id, "status", Some("IN_PROGRESS"), status, "2026-10-24 01:58:00");
        }
    }
    for (status, step, index, percent) in cases {
        let info = f.step(PROJECT, &format!("T_{status}"), NOW);
        assert_eq!(
            (info.current_step, info.step_index, info.progress_percent),
            (step, index, percent),
            "{status}"
        );
        if step.is_none() {
            assert_eq!(info.current_step_display, "実行中でない", "{status}");
        }
    }
    // stopped tasks with no evidence of a run report 0
    f.task(PROJECT, "T_BARE_ESCALATED", "ESCALATED", None);
    assert_eq!(f.step(PROJECT, "T_BARE_ESCALATED", NOW).progress_percent, 0);
}

#[test]
fn unknown_status_is_a_result_not_a_crash() {
    let f = Fixture::new();
    f.task(PROJECT, "WEIRD", "ON_HOLD_BY_LEGAL", None);
    f.task(PROJECT, "EMPTY", "", None);
    for id in ["WEIRD", "EMPTY"] {
        let info = f.step(PROJECT, id, NOW);
        assert_eq!(
            (info.current_step, info.step_index, info.progress_percent),
            (None, -1, 0)
        );
    }
    assert_eq!(
        f.step(PROJECT, "WEIRD", NOW).status.as_deref(),
        Some("ON_HOLD_BY_LEGAL")
    );
}

#[test]
fn missing_task_gives_the_seed_shape() {
    let f = Fixture::new();
    let info = f.step(PROJECT, "TASK_999999", NOW);
    assert_eq!(info.error.as_deref(), Some("タスクが見つかりません: TASK_999999"));
    assert_eq!((info.current_step, info.step_index), (None, -1));
    let json = serde_json::to_value(&info).unwrap();
    assert_eq!(json["current_step"], serde_json::Value::Null);
    assert_eq!(json["step_index"], -1);
    let en = f.step_with(
        PROJECT,
        "TASK_999999",
        NOW,
        Presentation {
            locale: Locale::En,
            verbose: false,
        },
    );
    assert_eq!(en.error.as_deref(), Some("Task not found: TASK_999999"));
}

#[test]
fn null_project_history_counts_and_the_same_id_in_another_project_does_not_leak() {
    let f = Fixture::new();
    f.task(PROJECT, "TASK_7", "IN_PROGRESS", Some("Worker A"));
    f.task("other_project", "TASK_7", "QUEUED", None);
    f.start("TASK_7", "QUEUED", "Worker A", "2026-10-24 01:51:49");
    // the other project's task went through a whole run with rows tagged to it
    f.history(
        Some("other_project"),
        "TASK_7",
        "status",
        Some("IN_PROGRESS"),
        "DONE",
        "2026-10-24 01:59:00",
    );
    f.lock("other_project", "TASK_7", "x.ts", "2026-10-24 01:59:00");
    let ours = f.step(PROJECT, "TASK_7", NOW);
    assert_eq!(ours.current_step, Some("file_lock"));
    let theirs = f.step("other_project", "TASK_7", NOW);
    assert_eq!((theirs.current_step, theirs.status.as_deref()), (None, Some("QUEUED")));
}

#[test]
fn shared_task_id_with_untagged_rows_ignores_what_contradicts_this_task() {
    let f = Fixture::new();
    f.task(PROJECT, "TASK_8", "IN_PROGRESS", Some("Worker A"));
    f.task("other_project", "TASK_8", "DONE", Some("Worker B"));
    f.start("TASK_8", "QUEUED", "Worker A", "2026-10-24 01:51:49");
    f.start("TASK_8", "QUEUED", "Worker B", "2026-10-24 01:52:30");
    f.history(
        None,
        "TASK_8",
        "status",
        Some("IN_PROGRESS"),
        "DONE",
        "2026-10-24 01:53:00",
    );
    let ours = f.step(PROJECT, "TASK_8", NOW);
    assert_eq!(
        ours.current_step,
        Some("file_lock"),
        "the other task's DONE must not finish ours"
    );
    assert_eq!(ours.started_at.as_deref(), Some("2026-10-24T10:51:49+09:00"));
}

#[test]
fn older_schemas_without_file_locks_or_history_project_id() {
    let f = Fixture::with_schema(LEGACY_SCHEMA);
    f.exec(
        "INSERT INTO tasks (id, project_id, order_id, title, status, assignee, updated_at) \
         VALUES ('TASK_1', 'ai_pm_manager', 'ORDER_119', 't', 'IN_PROGRESS', 'Worker A', '2026-10-24T10:51:49');
         INSERT INTO change_history (entity_type, entity_id, field_name, old_value, new_value, changed_at) VALUES
           ('task', 'TASK_1', 'assignee', NULL, 'Worker A', '2026-10-24 01:51:49'),
           ('task', 'TASK_1', 'status', 'QUEUED', 'IN_PROGRESS', '2026-10-24 01:51:49');",
    );
    let info = f.step(PROJECT, "TASK_1", NOW);
    assert_eq!((info.current_step, info.source), (Some("file_lock"), Some("history")));

    let f = Fixture::with_schema(
        "CREATE TABLE tasks (id TEXT, project_id TEXT, status TEXT, PRIMARY KEY (id, project_id));",
    );
    f.exec("INSERT INTO tasks VALUES ('TASK_1', 'ai_pm_manager', 'IN_PROGRESS')");
    let info = f.step(PROJECT, "TASK_1", NOW);
    assert_eq!(
        (info.current_step, info.source, info.order_id),
        (Some("get_task_info"), Some("status"), None)
    );
}

#[test]
fn metadata_column_is_read_when_present() {
    let f = Fixture::new();
    f.exec("ALTER TABLE tasks ADD COLUMN metadata TEXT");
    f.task(PROJECT, "LOCKED", "IN_PROGRESS", Some("Worker A"));
    f.task(PROJECT, "STEPPED", "IN_PROGRESS", Some("Worker A"));
    f.task(PROJECT, "BROKEN", "IN_PROGRESS", Some("Worker A"));
    for id in ["LOCKED", "STEPPED", "BROKEN"] {
        f.start(id, "QUEUED", "Worker A", "2026-10-24 01:51:49");
    }
    f.exec(
        r#"UPDATE tasks SET metadata = '{"file_locked": true}' WHERE id = 'LOCKED';
           UPDATE tasks SET metadata = '{"current_step": "create_report"}' WHERE id = 'STEPPED';
           UPDATE tasks SET metadata = '{"current_step": ' WHERE id = 'BROKEN';"#,
    );
    assert_eq!(f.step(PROJECT, "LOCKED", NOW).current_step, Some("execute_task"));
    let stepped = f.step(PROJECT, "STEPPED", NOW);
    assert_eq!(
        (stepped.current_step, stepped.source),
        (Some("create_report"), Some("recorded"))
    );
    assert_eq!(f.step(PROJECT, "BROKEN", NOW).current_step, Some("file_lock"));
}

#[test]
fn missing_database_is_an_error_and_no_file_is_created() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data").join("aipm.db");
    let f = Fixture::new();
    let source = Source {
        db_path: Some(path.clone()),
        ..Source::default()
    };
    let err = f
        .tracker
        .task_step(PROJECT, "T", &source, Presentation::default(), &clock(NOW))
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::DbNotFound);
    assert!(err.message.contains(&path.display().to_string()), "{}", err.message);
    assert!(!path.exists() && !path.parent().unwrap().exists());
}

#[test]
fn other_sqlite_files_and_garbage_get_clear_codes() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&str, &[u8], ErrorCode); 3] = [
        ("empty.db", b"", ErrorCode::NotAipmDb),
        ("random.db", &[0x5a; 4096], ErrorCode::DbCorrupt),
        ("other.db", b"", ErrorCode::NotAipmDb),
    ];
    for (name, bytes, code) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        if name == "other.db" {
            rusqlite::Connection::open(&path)
                .unwrap()
                .execute_batch("CREATE TABLE notes (id INTEGER, body TEXT)")
                .unwrap();
        }
        let before = std::fs::read(&path).unwrap();
        let f = Fixture::new();
        let source = Source {
            db_path: Some(path.clone()),
            ..Source::default()
        };
        let err = f
            .tracker
            .task_step(PROJECT, "T", &source, Presentation::default(), &clock(NOW))
            .unwrap_err();
        assert_eq!(err.code, code, "{name}: {}", err.message);
        assert_eq!(std::fs::read(&path).unwrap(), before, "{name} changed");
    }
    let f = Fixture::new();
    let source = Source {
        db_path: Some(dir.path().to_path_buf()),
        ..Source::default()
    };
    let err = f
        .tracker
        .task_step(PROJECT, "T", &source, Presentation::default(), &clock(NOW))
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::DbNotFound, "a directory is not a database");
}

#[test]
fn reading_leaves_the_database_byte_identical() {
    let f = Fixture::new();
    f.task(PROJECT, "TASK_1", "IN_PROGRESS", Some("Worker A"));
    f.start("TASK_1", "QUEUED", "Worker A", "2026-10-24 01:51:49");
    let before = file_bytes(&f.db_path);
    let modified = std::fs::metadata(&f.db_path).unwrap().modified().unwrap();
    for _ in 0..3 {
        f.step(PROJECT, "TASK_1", NOW);
        f.tracker
            .tasks_steps(
                PROJECT,
                &BatchFilter::default(),
                &f.source(),
                Presentation::default(),
                &clock(NOW),
            )
            .unwrap();
    }
    assert_eq!(file_bytes(&f.db_path), before);
    assert_eq!(std::fs::metadata(&f.db_path).unwrap().modified().unwrap(), modified);
    let names: Vec<_> = std::fs::read_dir(f.db_path.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["aipm.db"], "no journal or side files left behind");
}

#[test]
fn invalid_ids_are_refused() {
    let f = Fixture::new();
    for (project, task) in [
        ("", "T"),
        (PROJECT, ""),
        ("a\0b", "T"),
        (PROJECT, &"x".repeat(10_000)[..]),
    ] {
        let err = f
            .tracker
            .task_step(project, task, &f.source(), Presentation::default(), &clock(NOW))
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidArg);
    }
    // ids that could leave the LOGS folder are fine to look up, and never reach the file system
    f.task("../..", "../../etc/passwd", "IN_PROGRESS", None);
    let info = f.step("../..", "../../etc/passwd", NOW);
    assert_eq!(info.current_step, Some("get_task_info"));
}

#[test]
fn batch_returns_running_tasks_most_recently_updated_first_and_agrees_with_single_calls() {
    let f = Fixture::new();
    f.task_in(
        PROJECT,
        ORDER,
        "OLD",
        "IN_PROGRESS",
        Some("Worker A"),
        "2026-10-24T09:00:00",
    );
    f.task_in(
        PROJECT,
        ORDER,
        "NEW",
        "IN_PROGRESS",
        Some("Worker B"),
        "2026-10-24T10:30:00",
    );
    f.task_in(
        PROJECT,
        "ORDER_120",
        "OTHER_ORDER",
        "IN_PROGRESS",
        None,
        "2026-10-24T10:00:00",
    );
    f.task_in(PROJECT, ORDER, "WAITING", "QUEUED", None, "2026-10-24T11:00:00");
    f.task_in(
        "other_project",
        ORDER,
        "ELSEWHERE",
        "IN_PROGRESS",
        None,
        "2026-10-24T11:00:00",
    );
    f.start("OLD", "QUEUED", "Worker A", "2026-10-24 00:00:00");
    f.lock(PROJECT, "OLD", "a.ts", "2026-10-24 00:00:01");
    f.start("NEW", "QUEUED", "Worker B", "2026-10-24 01:30:00");
    let presentation = Presentation {
        verbose: true,
        ..Presentation::default()
    };
    let batch = |filter: BatchFilter| {
        f.tracker
            .tasks_steps(PROJECT, &filter, &f.source(), presentation, &clock(NOW))
            .unwrap()
    };
    let running = batch(BatchFilter::default());
    let ids: Vec<_> = running.iter().map(|i| i.task_id.as_str()).collect();
    assert_eq!(ids, ["NEW", "OTHER_ORDER", "OLD"]);
    for info in &running {
        assert_eq!(
            info,
            &f.step(PROJECT, &info.task_id, NOW),
            "batch and single disagree for {}",
            info.task_id
        );
    }
    let order = batch(BatchFilter {
        order_id: Some(ORDER.into()),
        ..BatchFilter::default()
    });
    assert_eq!(
        order.iter().map(|i| i.task_id.as_str()).collect::<Vec<_>>(),
        ["NEW", "OLD"]
    );
    let chosen = batch(BatchFilter {
        task_ids: Some(vec!["WAITING".into(), "OLD".into(), "NOPE".into()]),
        ..BatchFilter::default()
    });
    assert_eq!(
        chosen.iter().map(|i| i.task_id.as_str()).collect::<Vec<_>>(),
        ["WAITING", "OLD"]
    );
    let statuses = batch(BatchFilter {
        statuses: Some(vec!["QUEUED".into()]),
        ..BatchFilter::default()
    });
    assert_eq!(
        statuses.iter().map(|i| i.task_id.as_str()).collect::<Vec<_>>(),
        ["WAITING"]
    );
}

#[test]
fn recorded_events_are_the_strongest_source_and_stay_within_their_attempt() {
    let f = Fixture::new();
    f.task(PROJECT, "TASK_2002", "IN_PROGRESS", Some("Worker B"));
    f.task("other_project", "TASK_2002", "IN_PROGRESS", Some("Worker Z"));
    f.start("TASK_2002", "QUEUED", "Worker B", "2026-10-24 01:51:49");
    f.log(
        PROJECT,
        ORDER,
        "TASK_2002",
        "20261024_105149",
        &log_until(LOG_2002, "[execute_task] start"),
    );
    assert_eq!(f.step(PROJECT, "TASK_2002", NOW).source, Some("log"));

    let record = |step: &str, event: &str, now: &str| {
        f.tracker
            .record(
                PROJECT,
                "TASK_2002",
                step,
                event,
                Some("detail"),
                &f.source(),
                &clock(now),
            )
            .unwrap();
    };
    record("get_task_info", "start", "2026-10-24T01:51:49Z");
    record("create_report", "start", "2026-10-24T01:53:00Z");
    let info = f.step(PROJECT, "TASK_2002", NOW);
    assert_eq!(
        (info.current_step, info.source),
        (Some("create_report"), Some("recorded"))
    );
    let other = f.step("other_project", "TASK_2002", NOW);
    assert_eq!(
        (other.current_step, other.source),
        (Some("get_task_info"), Some("status")),
        "the same id in another project is unaffected (and Worker B's rows are not its own)"
    );

    // a new attempt starts: the previous attempt's recorded events must not leak into it
    f.history(
        None,
        "TASK_2002",
        "status",
        Some("IN_PROGRESS"),
        "QUEUED",
        "2026-10-24 01:54:00",
    );
    f.start("TASK_2002", "QUEUED", "Worker B", "2026-10-24 01:57:00");
    let info = f.step(PROJECT, "TASK_2002", NOW);
    assert_eq!((info.current_step, info.source), (Some("file_lock"), Some("history")));
    record("get_task_info", "start", "2026-10-24T01:57:00Z");
    record("execute_task", "start", "2026-10-24T01:57:02Z");
    let info = f.step(PROJECT, "TASK_2002", NOW);
    assert_eq!(
        (info.current_step, info.source),
        (Some("execute_task"), Some("recorded"))
    );
    assert_eq!(
        info.steps.as_ref().unwrap()[3].duration_ms,
        Some(178_000),
        "running step grows until now"
    );
}

#[test]
fn recording_refuses_bad_input_and_writes_nothing() {
    let f = Fixture::new();
    f.task(PROJECT, "TASK_1", "IN_PROGRESS", None);
    let before = file_bytes(&f.db_path);
    let cases = [
        (PROJECT, "TASK_1", "warp_drive", "start", ErrorCode::InvalidArg),
        (PROJECT, "TASK_1", "execute_task", "exploded", ErrorCode::InvalidArg),
        (
            PROJECT,
            "NO_SUCH_TASK",
            "execute_task",
            "start",
            ErrorCode::TaskNotFound,
        ),
        (
            "other_project",
            "TASK_1",
            "execute_task",
            "start",
            ErrorCode::TaskNotFound,
        ),
    ];
    for (project, task, step, event, code) in cases {
        let err = f
            .tracker
            .record(project, task, step, event, None, &f.source(), &clock(NOW))
            .unwrap_err();
        assert_eq!(err.code, code, "{step} {event}");
    }
    assert_eq!(file_bytes(&f.db_path), before, "a refused record changed the database");
    f.tracker
        .record(
            PROJECT,
            "TASK_1",
            "self_verification",
            "start",
            None,
            &f.source(),
            &clock(NOW),
        )
        .unwrap();
    let count: i64 = f
        .conn()
        .query_row("SELECT COUNT(*) FROM task_step_events", [], |r| r.get(0))
        .unwrap();
    assert_eq!(count, 1);
    let info = f.step(PROJECT, "TASK_1", NOW);
    assert_eq!(
        (info.current_step, info.source),
        (Some("execute_task"), Some("recorded"))
    );
}

#[test]
fn duration_stats_cover_finished_steps_of_all_runs() {
    let f = Fixture::new();
    f.task(PROJECT, "TASK_2001", "DONE", Some("Worker C"));
    f.task(PROJECT, "TASK_2002", "ESCALATED", Some("Worker B"));
    f.task_in(PROJECT, "ORDER_120", "TASK_3000", "DONE", None, "2026-10-24T10:00:00");
    f.log(PROJECT, ORDER, "TASK_2001", "20261024_105205", LOG_2001);
    f.log(PROJECT, ORDER, "TASK_2002", "20261024_105149", LOG_2002);
    let slow = LOG_2001.replace("10:52:05", "10:40:00").replace("10:52:09", "10:50:04");
    f.log(PROJECT, "ORDER_120", "TASK_3000", "20261024_104000", &slow);
    let stats = f
        .tracker
        .duration_stats(
            PROJECT,
            &StatsFilter::default(),
            &f.source(),
            Presentation::default(),
            &clock(NOW),
        )
        .unwrap();
    let ai = stats.iter().find(|s| s.step == "execute_task").unwrap();
    assert_eq!(ai.count, 3, "the failed run finished its AI step too");
    assert_eq!(ai.max_ms, 604_000);
    assert_eq!(ai.slowest[0].task_id, "TASK_3000");
    let report = stats.iter().find(|s| s.step == "create_report").unwrap();
    assert_eq!(report.count, 2, "the failed create_report does not count");
    let order_only = f
        .tracker
        .duration_stats(
            PROJECT,
            &StatsFilter {
                order_id: Some(ORDER.into()),
                since: None,
            },
            &f.source(),
            Presentation::default(),
            &clock(NOW),
        )
        .unwrap();
    assert_eq!(
        order_only.iter().find(|s| s.step == "execute_task").unwrap().max_ms,
        4000
    );
    let since = f
        .tracker
        .duration_stats(
            PROJECT,
            &StatsFilter {
                order_id: None,
                since: Some(utc("2026-10-24T01:52:00Z")),
            },
            &f.source(),
            Presentation::default(),
            &clock(NOW),
        )
        .unwrap();
    assert_eq!(since.iter().find(|s| s.step == "execute_task").unwrap().count, 1);
}
