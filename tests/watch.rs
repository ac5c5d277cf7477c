//! The watcher reports what changed, once, and nothing while nothing changes.

mod support;

use aipm_execution_steps::error::ErrorCode;
use aipm_execution_steps::result::Presentation;
use aipm_execution_steps::tracker::BatchFilter;
use aipm_execution_steps::watch::{Tick, Watch, WatchSpec};
use support::*;

const NOW: &str = "2026-10-24T01:55:00Z";

fn watch(f: &Fixture, filter: BatchFilter) -> Watch {
    let spec = WatchSpec {
        project_id: PROJECT.into(),
        filter,
        source: f.source(),
        presentation: Presentation {
            verbose: true,
            ..Presentation::default()
        },
    };
    Watch::new(spec, &f.tracker).unwrap()
}

fn changes(tick: Tick) -> Vec<(String, Option<&'static str>, Option<&'static str>)> {
    match tick {
        Tick::Changes(c) => c
            .into_iter()
            .map(|c| {
                (
                    c.task_id,
                    c.previous.and_then(|p| p.current_step),
                    c.current.current_step,
                )
            })
            .collect(),
        Tick::Quiet => Vec::new(),
        Tick::Failed(e) => panic!("unexpected failure {e}"),
    }
}

#[test]
fn first_tick_reports_everything_then_only_real_changes() {
    let f = Fixture::new();
    f.task(PROJECT, "TASK_2002", "IN_PROGRESS", Some("Worker B"));
    f.start("TASK_2002", "QUEUED", "Worker B", "2026-10-24 01:51:49");
    f.task(PROJECT, "TASK_2003", "IN_PROGRESS", Some("Worker C"));
    f.start("TASK_2003", "QUEUED", "Worker C", "2026-10-24 01:51:50");
    let mut w = watch(&f, BatchFilter::default());
    let first = changes(w.tick(&f.tracker, &clock(NOW)));
    assert_eq!(first.len(), 2);
    assert!(first.iter().all(|(_, previous, _)| previous.is_none()));

    // time passes, nothing changes: nothing is reported, though the in-progress step keeps growing
    assert_eq!(w.tick(&f.tracker, &clock(NOW)), Tick::Quiet);
    assert_eq!(w.tick(&f.tracker, &clock("2026-10-24T02:30:00Z")), Tick::Quiet);

    // a worker's log appears and grows
    let log = f.log(
        PROJECT,
        ORDER,
        "TASK_2002",
        "20261024_105149",
        &log_until(LOG_2002, "[assign_worker] success"),
    );
    assert_eq!(
        changes(w.tick(&f.tracker, &clock(NOW))),
        [("TASK_2002".into(), Some("file_lock"), Some("file_lock"))]
    );
    std::fs::write(&log, log_until(LOG_2002, "[execute_task] start")).unwrap();
    assert_eq!(
        changes(w.tick(&f.tracker, &clock(NOW))),
        [("TASK_2002".into(), Some("file_lock"), Some("execute_task"))]
    );
    assert_eq!(w.tick(&f.tracker, &clock(NOW)), Tick::Quiet);

    // another process commits: TASK_2003 gets locks
    f.lock(PROJECT, "TASK_2003", "src/a.ts", "2026-10-24 01:53:00");
    assert_eq!(
        changes(w.tick(&f.tracker, &clock(NOW))),
        [("TASK_2003".into(), Some("file_lock"), Some("execute_task"))]
    );

    // TASK_2003 finishes and leaves the filter: one last change with its final state
    f.exec("UPDATE tasks SET status = 'DONE' WHERE id = 'TASK_2003'");
    f.history(
        None,
        "TASK_2003",
        "status",
        Some("IN_PROGRESS"),
        "DONE",
        "2026-10-24 01:54:00",
    );
    assert_eq!(
        changes(w.tick(&f.tracker, &clock(NOW))),
        [("TASK_2003".into(), Some("execute_task"), None)]
    );
    assert_eq!(w.tick(&f.tracker, &clock(NOW)), Tick::Quiet);
    // an unrelated commit recomputes but reports nothing
    f.task(PROJECT, "TASK_9", "QUEUED", None);
    assert_eq!(w.tick(&f.tracker, &clock(NOW)), Tick::Quiet);
}

#[test]
fn a_vanished_database_is_reported_once_and_recovery_resumes() {
    let f = Fixture::new();
    f.task(PROJECT, "TASK_1", "IN_PROGRESS", Some("Worker A"));
    let mut w = watch(&f, BatchFilter::default());
    assert_eq!(changes(w.tick(&f.tracker, &clock(NOW))).len(), 1);
    let saved = f.db_path.with_extension("saved");
    std::fs::rename(&f.db_path, &saved).unwrap();
    match w.tick(&f.tracker, &clock(NOW)) {
        Tick::Failed(e) => assert_eq!(e.code, ErrorCode::DbNotFound),
        other => panic!("expected a failure, got {other:?}"),
    }
    assert_eq!(
        w.tick(&f.tracker, &clock(NOW)),
        Tick::Quiet,
        "the same failure is reported once"
    );
    // a different database comes back at the path: the task is now somewhere else
    std::fs::rename(&saved, &f.db_path).unwrap();
    f.start("TASK_1", "QUEUED", "Worker A", "2026-10-24 01:51:49");
    assert_eq!(
        changes(w.tick(&f.tracker, &clock(NOW))),
        [("TASK_1".into(), Some("get_task_info"), Some("file_lock"))]
    );
}

#[test]
fn filters_limit_what_is_watched() {
    let f = Fixture::new();
    f.task(PROJECT, "A", "IN_PROGRESS", None);
    f.task_in(PROJECT, "ORDER_120", "B", "IN_PROGRESS", None, "2026-10-24T10:00:00");
    f.task(PROJECT, "C", "QUEUED", None);
    let order = BatchFilter {
        order_id: Some("ORDER_120".into()),
        ..BatchFilter::default()
    };
    assert_eq!(
        changes(watch(&f, order).tick(&f.tracker, &clock(NOW)))
            .iter()
            .map(|c| c.0.as_str())
            .collect::<Vec<_>>(),
        ["B"]
    );
    let ids = BatchFilter {
        task_ids: Some(vec!["C".into()]),
        ..BatchFilter::default()
    };
    assert_eq!(
        changes(watch(&f, ids).tick(&f.tracker, &clock(NOW)))
            .iter()
            .map(|c| c.0.as_str())
            .collect::<Vec<_>>(),
        ["C"]
    );
}
