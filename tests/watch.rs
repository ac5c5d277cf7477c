//! Watching (`watchExecutionSteps`' core): the first tick reports every
//! watched task, later ticks only real changes; a task leaving the filter gets
//! its final state; a failure is reported once and recovery resumes; a tick on
//! which nothing moved reads nothing.

mod support;

use aipm_execution_steps::{BatchFilter, Presentation, Tick, Watch, WatchSpec};
use support::*;

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

/// (task, previous step, current step) of each change.
fn changes(tick: Tick) -> Vec<(String, Option<&'static str>, Option<&'static str>)> {
    match tick {
        Tick::Quiet => Vec::new(),
        Tick::Changes(changes, _) => changes
            .into_iter()
            .map(|c| {
                (
                    c.task_id,
                    c.previous.and_then(|p| p.current_step).map(|s| s.name()),
                    c.current.current_step.map(|s| s.name()),
                )
            })
            .collect(),
        Tick::Failed(e) => panic!("unexpected failure: {e}"),
    }
}

fn change(
    task: &str,
    before: Option<&'static str>,
    now: Option<&'static str>,
) -> (String, Option<&'static str>, Option<&'static str>) {
    (task.to_owned(), before, now)
}

#[test]
fn the_first_tick_reports_everything_then_only_real_changes() {
    let f = Fixture::wal();
    f.task("TASK_1", "IN_PROGRESS", Some("Worker A"));
    f.task("TASK_2", "IN_PROGRESS", Some("Worker B"));
    f.launch("TASK_1", "Worker A", 0);
    f.launch("TASK_2", "Worker B", 0);
    f.worker_log("TASK_1", 1, &run_until(7));
    let mut w = watch(&f, BatchFilter::default());
    let mut first = changes(w.tick(&f.tracker, &clock(10)));
    first.sort();
    assert_eq!(
        first,
        [
            change("TASK_1", None, Some("execute_task")),
            change("TASK_2", None, Some("file_lock"))
        ]
    );
    assert_eq!(
        changes(w.tick(&f.tracker, &clock(70))),
        [],
        "the AI step's growing duration is not a change"
    );

    f.worker_log("TASK_1", 1, &run_until(12));
    assert_eq!(
        changes(w.tick(&f.tracker, &clock(71))),
        [change("TASK_1", Some("execute_task"), Some("create_report"))]
    );

    // TASK_2 finishes: it leaves the filter with one last change.
    f.status("TASK_2", "IN_PROGRESS", "DONE", "Worker (Worker B)", 80);
    f.exec("UPDATE tasks SET status = 'DONE' WHERE id = 'TASK_2'");
    assert_eq!(
        changes(w.tick(&f.tracker, &clock(81))),
        [change("TASK_2", Some("file_lock"), None)]
    );
    assert_eq!(changes(w.tick(&f.tracker, &clock(82))), [], "and is not reported again");
}

#[test]
fn a_vanished_database_is_reported_once_and_recovery_resumes() {
    let f = Fixture::new();
    f.task("TASK_1", "IN_PROGRESS", Some("Worker A"));
    let mut w = watch(&f, BatchFilter::default());
    assert_eq!(changes(w.tick(&f.tracker, &clock(0))).len(), 1);
    let aside = f.db_path.with_extension("moved");
    std::fs::rename(&f.db_path, &aside).unwrap();
    match w.tick(&f.tracker, &clock(1)) {
        Tick::Failed(e) => assert_eq!(e.code, aipm_execution_steps::error::ErrorCode::DbNotFound),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        w.tick(&f.tracker, &clock(2)),
        Tick::Quiet,
        "the same failure is reported once"
    );
    std::fs::rename(&aside, &f.db_path).unwrap();
    f.launch("TASK_1", "Worker A", 3);
    assert_eq!(
        changes(w.tick(&f.tracker, &clock(4))),
        [change("TASK_1", Some("get_task_info"), Some("file_lock"))]
    );
}

#[test]
fn filters_limit_what_is_watched() {
    let f = Fixture::new();
    f.task("TASK_1", "IN_PROGRESS", Some("Worker A"));
    f.task("TASK_2", "REWORK", Some("Worker A"));
    f.task("TASK_3", "QUEUED", None);
    let mut ids = watch(
        &f,
        BatchFilter {
            task_ids: Some(vec!["TASK_3".into()]),
            ..BatchFilter::default()
        },
    );
    assert_eq!(changes(ids.tick(&f.tracker, &clock(0))), [change("TASK_3", None, None)]);
    let statuses = BatchFilter {
        statuses: Some(vec!["IN_PROGRESS".into(), "REWORK".into()]),
        ..BatchFilter::default()
    };
    let mut by_status = watch(&f, statuses);
    let mut got: Vec<String> = changes(by_status.tick(&f.tracker, &clock(0)))
        .into_iter()
        .map(|c| c.0)
        .collect();
    got.sort();
    assert_eq!(got, ["TASK_1", "TASK_2"]);
}

#[test]
fn a_quiet_tick_reads_no_rows_and_a_change_reads_only_its_rows() {
    let f = Fixture::wal();
    for i in 0..50 {
        let id = format!("TASK_{i}");
        f.task(&id, "IN_PROGRESS", Some("Worker A"));
        f.launch(&id, "Worker A", i);
    }
    let mut w = watch(&f, BatchFilter::default());
    assert_eq!(changes(w.tick(&f.tracker, &clock(100))).len(), 50);
    let held = f.tracker.history_rows_held(&f.db_path);
    for t in 101..105 {
        assert_eq!(w.tick(&f.tracker, &clock(t)), Tick::Quiet);
    }
    f.lock("TASK_7", "src/x.ts", 105);
    assert_eq!(
        changes(w.tick(&f.tracker, &clock(106))),
        [change("TASK_7", Some("file_lock"), Some("execute_task"))]
    );
    assert_eq!(
        f.tracker.history_rows_held(&f.db_path),
        held,
        "no history re-read for a lock"
    );
}
