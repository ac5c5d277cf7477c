//! Reading real-shaped databases end to end through the tracker: the status
//! table, the history rules, the database's ugly cases, errors, and what a
//! read leaves on disk.

mod support;

use aipm_execution_steps::error::ErrorCode;
use aipm_execution_steps::locale::Locale;
use aipm_execution_steps::{Access, BatchFilter, Environment, Presentation, StepTracker};
use support::*;

#[test]
fn a_running_task_with_only_history_is_where_its_rows_say() {
    let f = Fixture::new();
    f.task("TASK_1", "IN_PROGRESS", Some("Worker A"));
    f.launch("TASK_1", "Worker A", 0);
    let info = f.step("TASK_1", 600);
    assert_eq!(
        shown(&info),
        (Some("file_lock"), "history", 42),
        "the launcher's assignee row"
    );
    assert_eq!(
        (info.step_index, info.total_steps, info.current_step_display),
        (2, 7, "ファイルロック取得")
    );
    assert_eq!(
        info.started_at.as_deref(),
        Some("2026-10-24T10:00:00+09:00"),
        "UTC changed_at shown in Japan time"
    );
    let done: Vec<_> = info
        .completed_steps
        .as_ref()
        .unwrap()
        .iter()
        .map(|s| s.step.name())
        .collect();
    assert_eq!(done, ["get_task_info", "assign_worker"]);

    f.lock("TASK_1", "src/main.ts", 1);
    assert_eq!(
        shown(&f.step("TASK_1", 600)),
        (Some("execute_task"), "history", 57),
        "locks held"
    );
    f.history(
        "TASK_1",
        "report_path",
        None,
        "RESULT/ORDER_119/05_REPORT/REPORT_1.md",
        "Worker (Worker A)",
        &sqlite_utc(300),
        None,
    );
    assert_eq!(
        shown(&f.step("TASK_1", 600)),
        (Some("create_report"), "history", 71),
        "a report mentioned"
    );
    f.task("NOHIST", "IN_PROGRESS", None);
    assert_eq!(shown(&f.step("NOHIST", 600)), (Some("get_task_info"), "status", 14));
}

#[test]
fn every_row_of_the_status_table() {
    let f = Fixture::new();
    let cases = [
        ("IN_PROGRESS", Some("file_lock"), -1i32, 42),
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
        ("ON_HOLD_BY_LEGAL", None, -1, 0),
    ];
    for (status, ..) in cases {
        let id = format!("T_{status}");
        f.task(&id, status, Some("Worker A"));
        f.launch(&id, "Worker A", 0);
        if status != "IN_PROGRESS" {
            f.status(&id, "IN_PROGRESS", status, "Worker (Worker A)", 400);
        }
    }
    for (status, step, _, percent) in cases {
        let info = f.step(&format!("T_{status}"), 600);
        assert_eq!(
            (info.current_step.map(|s| s.name()), info.progress_percent),
            (step, percent),
            "{status}"
        );
        if step.is_none() {
            assert_eq!(
                (info.step_index, info.current_step_display),
                (-1, "実行中でない"),
                "{status}"
            );
        } else {
            assert_eq!(info.step_index, 2);
        }
    }
    f.task("T_BARE_ESCALATED", "ESCALATED", None);
    assert_eq!(
        f.step("T_BARE_ESCALATED", 600).progress_percent,
        0,
        "stopped with no run: 0"
    );
}

#[test]
fn a_missing_task_gives_the_seed_shape_in_both_locales() {
    let f = Fixture::new();
    let info = f.step("TASK_999999", 0);
    assert_eq!(
        (info.error.as_deref(), info.current_step, info.step_index, info.status),
        (Some("タスクが見つかりません: TASK_999999"), None, -1, None)
    );
    let en = Presentation {
        locale: Locale::En,
        verbose: false,
    };
    let info = f
        .tracker
        .task_step(PROJECT, "TASK_999999", &f.source(), en, &clock(0))
        .unwrap();
    assert_eq!(
        (info.error.as_deref(), info.current_step_display),
        (Some("Task not found: TASK_999999"), "Not running")
    );
}

#[test]
fn null_project_rows_count_and_another_projects_tagged_rows_never_do() {
    let f = Fixture::new();
    f.task("TASK_7", "IN_PROGRESS", Some("Worker A"));
    f.task_of("other_project", "TASK_7", "QUEUED", None);
    f.launch("TASK_7", "Worker A", 0);
    f.history(
        "TASK_7",
        "status",
        Some("IN_PROGRESS"),
        "DONE",
        "DaemonHealthCheck",
        &python_local(60),
        Some("other_project"),
    );
    assert_eq!(shown(&f.step("TASK_7", 600)), (Some("file_lock"), "history", 42));
    let theirs = f.step_of("other_project", "TASK_7", 600);
    assert_eq!((theirs.current_step, theirs.status.as_deref()), (None, Some("QUEUED")));
}

#[test]
fn a_shared_task_id_takes_only_the_rows_its_own_history_allows() {
    let f = Fixture::new();
    f.task("TASK_8", "IN_PROGRESS", Some("Worker A"));
    f.task_of("other_project", "TASK_8", "DONE", Some("Worker B"));
    f.launch("TASK_8", "Worker A", 0);
    f.launch("TASK_8", "Worker B", 30);
    f.status("TASK_8", "IN_PROGRESS", "DONE", "Worker (Worker B)", 90);
    let ours = f.step("TASK_8", 600);
    assert_eq!(
        shown(&ours),
        (Some("file_lock"), "history", 42),
        "the other task's DONE does not finish ours"
    );
    assert_eq!(ours.started_at.as_deref(), Some("2026-10-24T10:00:00+09:00"));
    // Our rework waits: the other project's later launch does not make it run.
    let f = Fixture::new();
    f.task("TASK_9", "REWORK", Some("Worker A"));
    f.task_of("other_project", "TASK_9", "IN_PROGRESS", Some("Worker A"));
    f.launch("TASK_9", "Worker A", 0);
    f.status("TASK_9", "IN_PROGRESS", "DONE", "Worker (Worker A)", 60);
    f.status("TASK_9", "DONE", "REWORK", "PM (Worker A)", 80);
    f.launch("TASK_9", "Worker A", 200);
    assert_eq!(shown(&f.step("TASK_9", 600)), (None, "status", 0));
}

#[test]
fn older_and_smaller_schemas() {
    let f = Fixture::with_schema(LEGACY_SCHEMA, false);
    f.exec(&format!(
        "INSERT INTO tasks (id, project_id, order_id, title, status, assignee, updated_at) \
         VALUES ('TASK_1', 'ai_pm_manager', 'ORDER_119', 't', 'IN_PROGRESS', 'Worker A', '2026-10-24T10:51:49');
         INSERT INTO change_history (entity_type, entity_id, field_name, old_value, new_value, changed_at) VALUES
           ('task', 'TASK_1', 'assignee', NULL, 'Worker A', '{0}'),
           ('task', 'TASK_1', 'status', 'QUEUED', 'IN_PROGRESS', '{0}');",
        sqlite_utc(0)
    ));
    assert_eq!(
        shown(&f.step("TASK_1", 600)),
        (Some("file_lock"), "history", 42),
        "no file_locks, no project_id"
    );

    let f = Fixture::with_schema(
        "CREATE TABLE tasks (id TEXT, project_id TEXT, status TEXT, PRIMARY KEY (id, project_id));",
        false,
    );
    f.exec("INSERT INTO tasks VALUES ('TASK_1', 'ai_pm_manager', 'IN_PROGRESS')");
    let info = f.step("TASK_1", 600);
    assert_eq!(
        (shown(&info), info.order_id),
        ((Some("get_task_info"), "status", 14), None),
        "no history table at all"
    );
}

#[test]
fn the_seeds_metadata_column_is_read_when_present() {
    let f = Fixture::new();
    f.exec("ALTER TABLE tasks ADD COLUMN metadata TEXT");
    for id in ["LOCKED", "STEPPED", "BROKEN"] {
        f.task(id, "IN_PROGRESS", Some("Worker A"));
        f.launch(id, "Worker A", 0);
    }
    f.exec(
        r#"UPDATE tasks SET metadata = '{"file_locked": true}' WHERE id = 'LOCKED';
           UPDATE tasks SET metadata = '{"current_step": "create_report"}' WHERE id = 'STEPPED';
           UPDATE tasks SET metadata = '{"current_step": ' WHERE id = 'BROKEN';"#,
    );
    assert_eq!(shown(&f.step("LOCKED", 600)).0, Some("execute_task"));
    assert_eq!(shown(&f.step("STEPPED", 600)), (Some("create_report"), "history", 71));
    assert_eq!(
        shown(&f.step("BROKEN", 600)).0,
        Some("file_lock"),
        "malformed JSON is ignored"
    );
}

fn error_of(path: &std::path::Path) -> aipm_execution_steps::error::Error {
    let source = Access {
        db_path: Some(path.to_path_buf()),
        environment: Environment::default(),
        ..Access::default()
    };
    StepTracker::new()
        .task_step(PROJECT, "T", &source, Presentation::default(), &clock(0))
        .unwrap_err()
}

#[test]
fn a_missing_database_is_an_error_and_nothing_is_created() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data").join("aipm.db");
    let err = error_of(&path);
    assert_eq!(err.code, ErrorCode::DbNotFound);
    assert!(err.message.contains(&path.display().to_string()), "{}", err.message);
    assert!(!path.parent().unwrap().exists());
    assert_eq!(
        error_of(dir.path()).code,
        ErrorCode::DbNotFound,
        "a folder is not a database"
    );
    // No default at all: the error says how to name one.
    let source = Access {
        environment: Environment::default(),
        ..Access::default()
    };
    let err = StepTracker::new()
        .task_step(PROJECT, "T", &source, Presentation::default(), &clock(0))
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::DbNotFound);
}

#[test]
fn other_files_get_clear_codes_and_stay_as_they_were() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&str, &[u8], ErrorCode); 4] = [
        ("empty.db", b"", ErrorCode::NotAipmDb),
        ("random.db", &[0x5a; 4096], ErrorCode::DbCorrupt),
        ("other.db", b"", ErrorCode::NotAipmDb),
        (
            "truncated.db",
            b"SQLite format 3\0\x10\0\x01\x01\0\x40\x20\x20",
            ErrorCode::DbCorrupt,
        ),
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
        let err = error_of(&path);
        assert_eq!(err.code, code, "{name}: {}", err.message);
        assert_eq!(std::fs::read(&path).unwrap(), before, "{name} changed");
    }
}

#[test]
fn a_rollback_read_leaves_the_database_byte_identical_and_nothing_beside_it() {
    let f = Fixture::new();
    f.task("TASK_1", "IN_PROGRESS", Some("Worker A"));
    f.launch("TASK_1", "Worker A", 0);
    let before = file_bytes(&f.db_path);
    let modified = std::fs::metadata(&f.db_path).unwrap().modified().unwrap();
    for _ in 0..3 {
        f.step("TASK_1", 600);
        f.tracker
            .tasks_steps(
                PROJECT,
                &BatchFilter::default(),
                &f.source(),
                Presentation::default(),
                &clock(600),
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
fn invalid_ids_are_refused_and_unsafe_ones_never_reach_the_file_system() {
    let f = Fixture::new();
    let long = "x".repeat(10_000);
    for (project, task) in [("", "T"), (PROJECT, ""), ("a\0b", "T"), (PROJECT, long.as_str())] {
        let err = f
            .tracker
            .task_step(project, task, &f.source(), Presentation::default(), &clock(0))
            .unwrap_err();
        assert_eq!(
            (err.code, err.code.as_str()),
            (ErrorCode::InvalidValue, "ERR_INVALID_ARG"),
            "a string that cannot be an id: a RangeError in JS"
        );
    }
    f.task_of("../..", "../../etc/passwd", "IN_PROGRESS", None);
    assert_eq!(
        shown(&f.step_of("../..", "../../etc/passwd", 0)).0,
        Some("get_task_info")
    );
}

#[test]
fn a_batch_is_most_recently_updated_first_and_agrees_with_single_calls() {
    let f = Fixture::new();
    for (id, status, updated) in [
        ("OLD", "IN_PROGRESS", -7200),
        ("NEW", "IN_PROGRESS", -60),
        ("WAITING", "QUEUED", 0),
        ("MID", "IN_PROGRESS", -600),
    ] {
        f.task(id, status, Some("Worker A"));
        f.exec(&format!(
            "UPDATE tasks SET updated_at = '{}' WHERE id = '{id}'",
            python_local(updated)
        ));
        if status == "IN_PROGRESS" {
            f.launch(id, "Worker A", updated);
        }
    }
    f.worker_log("MID", -599, &run_until(8));
    let verbose = Presentation {
        verbose: true,
        ..Presentation::default()
    };
    let batch = f
        .tracker
        .tasks_steps(PROJECT, &BatchFilter::default(), &f.source(), verbose, &clock(0))
        .unwrap();
    let ids: Vec<&str> = batch.iter().map(|i| i.task_id.as_str()).collect();
    assert_eq!(ids, ["NEW", "MID", "OLD"], "IN_PROGRESS by default, newest first");
    for info in &batch {
        assert_eq!(
            info,
            &f.step(&info.task_id, 0),
            "batch and single agree on {}",
            info.task_id
        );
    }
    let filter = BatchFilter {
        task_ids: Some(vec!["WAITING".into(), "OLD".into(), "NOPE".into()]),
        ..BatchFilter::default()
    };
    let named = f
        .tracker
        .tasks_steps(PROJECT, &filter, &f.source(), verbose, &clock(0))
        .unwrap();
    let ids: Vec<&str> = named.iter().map(|i| i.task_id.as_str()).collect();
    assert_eq!(ids, ["WAITING", "OLD"], "task ids in any status; unknown ids left out");
    let filter = BatchFilter {
        order_id: Some("ORDER_404".into()),
        ..BatchFilter::default()
    };
    assert!(f
        .tracker
        .tasks_steps(PROJECT, &filter, &f.source(), verbose, &clock(0))
        .unwrap()
        .is_empty());
}
