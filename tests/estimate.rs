//! The estimate of a running run's end (`eta`), read through the tracker from
//! real-shaped worker and review logs: none without enough finished runs of
//! the run's kind; the median of the runs it can still be like, at an absolute
//! time that holds still while the clock runs; later once the step has run
//! longer than some past runs; overdue past the band. A watcher reports it
//! only when it moved. The ORDER's progress on the sample.

mod support;

use aipm_execution_steps::{BatchFilter, Presentation, StepTracker, Tick, Watch, WatchSpec};
use support::*;

/// A finished first run whose AI step took `ai` s: in execute_task from 1 s,
/// DONE at `ai + 4` s.
fn finished_run(ai: i64) -> Vec<(i64, String)> {
    let mut lines: Vec<(i64, String)> = run_until(8).into_iter().map(|(s, l)| (s, l.to_owned())).collect();
    lines.extend([
        (1 + ai, "[execute_task] success: ".to_owned()),
        (1 + ai, "[create_report] start: ".to_owned()),
        (
            3 + ai,
            "[create_report] success: 05_REPORT/REPORT.md (566バイト)".to_owned(),
        ),
        (3 + ai, "[update_status_done] start: ".to_owned()),
        (4 + ai, "[update_status_done] success: status=DONE".to_owned()),
        (4 + ai, "[complete] success: Worker処理完了".to_owned()),
    ]);
    lines
}

fn borrowed(lines: &[(i64, String)]) -> Vec<(i64, &str)> {
    lines.iter().map(|(s, l)| (*s, l.as_str())).collect()
}

/// Finished first runs of `TASK_101`… whose AI steps took `ais`, an hour apart before 0.
fn with_history(f: &Fixture, ais: &[i64]) {
    for (i, &ai) in ais.iter().enumerate() {
        let task = format!("TASK_{}", 101 + i);
        let start = -3600 * (ais.len() - i) as i64;
        f.task(&task, "COMPLETED", Some("Worker B"));
        f.worker_log(&task, start, &borrowed(&finished_run(ai)));
    }
}

/// TASK_1, launched at 1000 s: in execute_task from 1001 s.
fn running(f: &Fixture) {
    f.task("TASK_1", "IN_PROGRESS", Some("Worker A"));
    f.launch("TASK_1", "Worker A", 1000);
    f.worker_log("TASK_1", 1000, &run_until(8));
}

/// Japan time of `sec`, as results show it.
fn shown_at(sec: i64) -> String {
    (at(sec) + chrono::Duration::hours(9))
        .format("%Y-%m-%dT%H:%M:%S+09:00")
        .to_string()
}

/// The ages of 12 past AI steps: 60, 70, …, 170 s. From entering execute_task
/// a run needs its AI step and 3 s more.
const AIS: [i64; 12] = [60, 70, 80, 90, 100, 110, 120, 130, 140, 150, 160, 170];

#[test]
fn a_running_task_gets_the_median_end_of_the_runs_it_can_still_be_like() {
    let f = Fixture::wal();
    with_history(&f, &AIS);
    running(&f);
    // (now, expected end, overdue): 1001 s + the median time to the end of the
    // runs whose AI step outlasted the elapsed time (at least nine of them).
    let table = [
        (1010, 1001 + 118, false), // all 12: median of 63..173
        (1060, 1001 + 118, false), // still all 12: none ended before 60 s
        (1065, 1001 + 123, false), // the 60 s run is not like it any more
        (1150, 1001 + 133, false), // past 9 runs' AI steps: the longest nine (90..170 s) stay
        (1180, 1001 + 133, true),  // past the band's end (1001 + 173 s): overdue
    ];
    for (now, end, overdue) in table {
        let info = f.step("TASK_1", now);
        let eta = info.eta.as_ref().unwrap_or_else(|| panic!("an estimate at {now}"));
        assert_eq!(
            (eta.expected_end_at.as_str(), eta.overdue, eta.basis_runs),
            (shown_at(end).as_str(), overdue, 12),
            "at {now}"
        );
        assert!(eta.low_at <= eta.expected_end_at && eta.expected_end_at <= eta.high_at);
    }
}

#[test]
fn without_enough_finished_runs_there_is_no_estimate_and_not_running_never_has_one() {
    for ais in [&[][..], &[60][..], &AIS[..8]] {
        let f = Fixture::new();
        with_history(&f, ais);
        running(&f);
        assert_eq!(f.step("TASK_1", 1010).eta, None, "{} finished runs", ais.len());
    }
    let f = Fixture::new();
    with_history(&f, &AIS);
    f.task("TASK_2", "QUEUED", None);
    assert_eq!(f.step("TASK_2", 1010).eta, None);
    assert_eq!(f.step("TASK_101", 1010).eta, None, "a finished task");
}

#[test]
fn a_rework_run_is_estimated_from_rework_runs_only() {
    let f = Fixture::wal();
    with_history(&f, &AIS);
    // TASK_1 rejected at 990 s and reworked inside its review log.
    f.task("TASK_1", "REWORK", Some("Worker A"));
    f.status("TASK_1", "DONE", "REWORK", "PM (Worker A)", 990);
    let mut review = ReviewText::new(PROJECT, "TASK_1", 900);
    review.verdict(990, "REJECTED", "REWORK");
    review.rework(1000, &run_until(8));
    f.review_log("TASK_1", &review);
    let info = f.step("TASK_1", 1010);
    assert_eq!(
        (info.current_step.map(|s| s.name()), info.eta.as_ref()),
        (Some("execute_task"), None),
        "first runs say nothing of a rework run"
    );

    // Nine finished rework runs of 20 s AI steps, in other tasks' review logs.
    let f2 = Fixture::wal();
    for i in 0..9 {
        let task = format!("TASK_{}", 201 + i);
        let start = -3600 * (9 - i);
        f2.task(&task, "DONE", Some("Worker C"));
        let mut text = ReviewText::new(PROJECT, &task, start);
        text.verdict(start + 60, "REJECTED", "REWORK");
        text.rework(start + 70, &borrowed(&finished_run(20)));
        text.line(start + 95, "[auto_rework] success: リワーク完了、verdict=None");
        f2.review_log(&task, &text);
    }
    f2.task("TASK_1", "REWORK", Some("Worker A"));
    f2.status("TASK_1", "DONE", "REWORK", "PM (Worker A)", 990);
    f2.review_log("TASK_1", &review);
    let eta = f2.step("TASK_1", 1010).eta.expect("estimated from rework runs");
    assert_eq!((eta.expected_end_at, eta.basis_runs), (shown_at(1001 + 23), 9));
}

#[test]
fn a_watcher_reports_the_estimate_only_when_it_moves() {
    let f = Fixture::wal();
    with_history(&f, &AIS);
    running(&f);
    let mut w = Watch::new(
        WatchSpec {
            project_id: PROJECT.into(),
            filter: BatchFilter::default(),
            source: f.source(),
            presentation: Presentation::default(),
        },
        &f.tracker,
    )
    .unwrap();
    let ends = |tick: Tick| -> Vec<(Option<String>, Option<String>)> {
        match tick {
            Tick::Quiet => Vec::new(),
            Tick::Changes(changes, _) => changes
                .into_iter()
                .map(|c| {
                    let end = |i: Option<&aipm_execution_steps::ExecutionStepInfo>| {
                        i.and_then(|i| i.eta.as_ref()).map(|e| e.expected_end_at.clone())
                    };
                    (end(c.previous.as_ref()), end(Some(&c.current)))
                })
                .collect(),
            Tick::Failed(e) => panic!("{e}"),
        }
    };
    assert_eq!(ends(w.tick(&f.tracker, &clock(1010))), [(None, Some(shown_at(1119)))]);
    for now in [1020, 1040, 1060] {
        assert_eq!(ends(w.tick(&f.tracker, &clock(now))), [], "at {now}: nothing moved");
    }
    assert_eq!(
        ends(w.tick(&f.tracker, &clock(1065))),
        [(Some(shown_at(1119)), Some(shown_at(1124)))]
    );
    assert_eq!(ends(w.tick(&f.tracker, &clock(1068))), []);
}

#[test]
fn the_order_progress_of_the_sample() {
    let dir = tempfile::tempdir().unwrap();
    let now = chrono::Utc::now();
    let db = aipm_execution_steps::create_sample(dir.path(), now).unwrap();
    let tracker = StepTracker::new();
    let source = aipm_execution_steps::Access {
        db_path: Some(db),
        ..Default::default()
    };
    let clock = aipm_execution_steps::time::Clock::system();
    let order = tracker.order_progress(PROJECT, "ORDER_119", &source, &clock).unwrap();
    let counts = (
        order.total,
        order.running,
        order.waiting,
        order.finished,
        order.stopped,
        order.inactive,
        order.failed,
    );
    assert_eq!(counts, (14, 7, 3, 2, 2, 0, 1));
    // Reached steps over 7 per task: the running ones 4 + 5 + 4 + 6 + 4 + 7
    // (the review) + 2, the finished 2 × 7, the stopped 5 (failed in the
    // report) + 4 (died in the AI step), the waiting 0.
    assert_eq!(
        order.percent,
        (4 + 5 + 4 + 6 + 4 + 7 + 2 + 2 * 7 + 5 + 4) * 100 / (14 * 7)
    );
    let end = order
        .expected_end_at
        .expect("every running task has an estimate from ORDER_118");
    let running = tracker
        .tasks_steps(
            PROJECT,
            &BatchFilter {
                order_id: Some("ORDER_119".into()),
                statuses: Some(Vec::new()),
                ..BatchFilter::default()
            },
            &source,
            Presentation::default(),
            &clock,
        )
        .unwrap();
    let latest = running
        .iter()
        .filter_map(|i| i.eta.as_ref())
        .map(|e| e.expected_end_at.clone())
        .max();
    assert_eq!(Some(end), latest, "the latest end of its running tasks");

    let earlier = tracker.order_progress(PROJECT, "ORDER_118", &source, &clock).unwrap();
    assert_eq!(
        (
            earlier.total,
            earlier.finished,
            earlier.percent,
            earlier.expected_end_at
        ),
        (30, 30, 100, None)
    );
}

#[test]
fn a_project_with_more_runs_than_the_cache_holds_is_not_read_again_on_every_call() {
    let f = Fixture::new();
    // 1,000 finished runs (their logs only): more than the run histories' share of a 1 MB budget.
    for i in 0..1000 {
        let task = format!("TASK_{}", 101 + i);
        f.worker_log(&task, -60 * (1000 - i), &borrowed(&finished_run(60 + (i * 37) % 240)));
    }
    running(&f);
    f.tracker.set_cache_budget(1 << 20).unwrap();
    let first = f.step("TASK_1", 1010).eta.expect("an estimate");
    let read = f.tracker.log_bytes_read();
    for now in [1011, 1012, 1013] {
        assert_eq!(f.step("TASK_1", now).eta.as_ref(), Some(&first), "at {now}");
    }
    assert_eq!(f.tracker.log_bytes_read(), read, "the logs were not read again");
    assert!(
        f.tracker.cache_bytes() <= 1 << 20,
        "{} bytes held",
        f.tracker.cache_bytes()
    );
    // The calibration needs the runs themselves: it reads them again, and says how the estimate did.
    let clock = clock(1014);
    let calibration = f.tracker.estimate_calibration(PROJECT, &f.source(), &clock).unwrap();
    assert_eq!(calibration.len(), 1);
    assert_eq!(
        calibration[0].runs, 400,
        "the most recent runs, as the estimate takes them"
    );
}
