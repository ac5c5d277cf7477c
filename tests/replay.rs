//! Progress never moves backwards within an attempt (docs/behaviour.md,
//! "Which source speaks"), as a property:
//! the backend's real sequences of writes (`sample::script`: the daemon's
//! launch, the worker's lines and rows, reviews, reworks, the app's button,
//! crash recovery, two projects with the same task id) are replayed into a
//! user-data folder one write at a time — a transaction, a new file or one
//! log line — and after every single write the tasks are read through one
//! tracker: single, batch and a watcher. Within each attempt the
//! (step, percent) a user sees never decreases, the three agree, and each
//! scenario ends where it should. In WAL (the app's mode) and rollback mode.

mod support;

use std::collections::HashMap;
use std::path::Path;

use aipm_execution_steps::sample::script::{Backend, Ending, Out, Pace, Script, Task, Verdict, Write};
use aipm_execution_steps::step::Step;
use aipm_execution_steps::time::Zone;
use aipm_execution_steps::{Access, BatchFilter, ExecutionStepInfo, Presentation, StepTracker, Tick, Watch, WatchSpec};
use support::{at, clock};

const P: &str = "ai_pm_manager";
const OTHER: &str = "other_project";
const ORDER: &str = "ORDER_119";

/// What a user sees of a task at one moment.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Seen {
    status: String,
    step: Option<Step>,
    percent: u32,
    source: &'static str,
    started_at: Option<String>,
}

impl Seen {
    fn of(info: &ExecutionStepInfo) -> Seen {
        Seen {
            status: info.status.clone().unwrap_or_default(),
            step: info.current_step,
            percent: info.progress_percent,
            source: info.source.map_or("-", |s| s.name()),
            started_at: info.started_at.clone(),
        }
    }

    /// What a user compares from moment to moment.
    fn shown(&self) -> (Option<&'static str>, u32) {
        (self.step.map(|s| s.name()), self.percent)
    }
}

/// A scenario: its writes and the tasks to watch.
struct Scenario {
    name: &'static str,
    writes: Vec<Write>,
    tasks: Vec<Task>,
}

fn task(project: &str, id: &str, worker: &str) -> Task {
    Task::new(project, ORDER, id, worker)
}

/// A script from T0 on, in Japan time, with `tasks` created QUEUED.
fn script(root: &Path, tasks: &[&Task]) -> Script {
    let mut s = Script::new(root, Zone::japan(), at(0));
    for t in tasks {
        s.add_task(t, "QUEUED");
    }
    s
}

/// Writes of scripts running side by side, in time order.
fn side_by_side(scripts: Vec<Script>) -> Vec<Write> {
    let mut writes: Vec<Write> = scripts.into_iter().flat_map(Script::into_writes).collect();
    writes.sort_by_key(|w| w.at);
    writes
}

fn quick() -> Pace {
    Pace {
        execute_task: 30,
        review: 20,
        ..Pace::default()
    }
}

/// Plays `scenario` write by write, reading its tasks after each; returns
/// every task's observations.
fn replay(root: &Path, wal: bool, scenario: &Scenario) -> HashMap<(String, String), Vec<Seen>> {
    let backend = Backend::create(root, wal).unwrap();
    let tracker = StepTracker::new();
    let source = Access {
        db_path: Some(backend.db_path.clone()),
        environment: aipm_execution_steps::Environment::default(),
        ..Access::default()
    };
    let verbose = Presentation {
        verbose: true,
        ..Presentation::default()
    };
    let projects: Vec<String> = {
        let mut p: Vec<String> = scenario.tasks.iter().map(|t| t.project.clone()).collect();
        p.dedup();
        p
    };
    let mut watches: Vec<Watch> = projects
        .iter()
        .map(|project| {
            let ids = scenario
                .tasks
                .iter()
                .filter(|t| &t.project == project)
                .map(|t| t.id.clone());
            let spec = WatchSpec {
                project_id: project.clone(),
                filter: BatchFilter {
                    task_ids: Some(ids.collect()),
                    ..BatchFilter::default()
                },
                source: source.clone(),
                presentation: verbose,
            };
            Watch::new(spec, &tracker).unwrap()
        })
        .collect();
    let mut watched: HashMap<(String, String), Seen> = HashMap::new();
    let mut seen: HashMap<(String, String), Vec<Seen>> = HashMap::new();
    for (n, write) in scenario.writes.iter().enumerate() {
        backend.apply(write).unwrap();
        let now = clock((write.at - at(0)).num_seconds());
        for watch in &mut watches {
            match watch.tick(&tracker, &now) {
                Tick::Changes(changes, _) => {
                    for c in changes {
                        watched.insert((c.project_id, c.task_id), Seen::of(&c.current));
                    }
                }
                Tick::Quiet => {}
                Tick::Failed(e) => panic!("{}: write {n}: watcher failed: {e}", scenario.name),
            }
        }
        for t in &scenario.tasks {
            let single = tracker.task_step(&t.project, &t.id, &source, verbose, &now).unwrap();
            if single.status.is_none() {
                continue; // not created yet
            }
            let filter = BatchFilter {
                task_ids: Some(vec![t.id.clone()]),
                ..BatchFilter::default()
            };
            let batch = tracker
                .tasks_steps(&t.project, &filter, &source, verbose, &now)
                .unwrap();
            let key = (t.project.clone(), t.id.clone());
            let one = Seen::of(&single);
            assert_eq!(
                Seen::of(&batch[0]),
                one,
                "{}: write {n}: batch vs single {key:?}",
                scenario.name
            );
            assert_eq!(
                watched.get(&key),
                Some(&one),
                "{}: write {n}: watcher vs single {key:?}",
                scenario.name
            );
            seen.entry(key).or_default().push(one);
        }
    }
    seen
}

/// Within each attempt (a stretch of one status; a review's verdict continues
/// its attempt) the step and percent never decrease.
fn assert_never_backwards(name: &str, key: &(String, String), seen: &[Seen]) {
    let continues = |a: &str, b: &str| a == b || (a == "DONE" && matches!(b, "COMPLETED" | "ESCALATED"));
    for pair in seen.windows(2) {
        let (before, after) = (&pair[0], &pair[1]);
        if !continues(&before.status, &after.status) {
            continue;
        }
        assert!(
            after.percent >= before.percent
                && after.step.unwrap_or(Step::GetTaskInfo) >= before.step.unwrap_or(Step::GetTaskInfo)
                || after.step.is_none(),
            "{name}: {key:?} went backwards: {before:?} → {after:?}\nall: {:#?}",
            seen.iter()
                .map(|s| (s.status.as_str(), s.shown(), s.source))
                .collect::<Vec<_>>()
        );
    }
}

/// Every scenario, in both journal modes: never backwards, and ends as `end` says.
fn check(scenario: impl Fn(&Path) -> Scenario, end: &[(&str, &str, &str, Option<Step>, u32)]) {
    for wal in [true, false] {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        let s = scenario(&root);
        let seen = replay(&root, wal, &s);
        for (key, seq) in &seen {
            assert_never_backwards(s.name, key, seq);
        }
        for &(project, id, status, step, percent) in end {
            let last = seen[&(project.to_owned(), id.to_owned())].last().unwrap();
            assert_eq!(
                (last.status.as_str(), last.step, last.percent),
                (status, step, percent),
                "{} (wal: {wal}): {project}/{id} ends",
                s.name
            );
        }
    }
}

/// The steps a task was seen in while running, in order, without repeats.
fn running_steps(seen: &[Seen]) -> Vec<&'static str> {
    let mut steps: Vec<&'static str> = seen.iter().filter_map(|s| s.step).map(|s| s.name()).collect();
    steps.dedup();
    steps
}

#[test]
fn the_daemons_launch_run_and_review_with_and_without_target_files() {
    for targets in [&["src/app.ts", "src/lib.ts"][..], &[]] {
        let scenario = |root: &Path| {
            let t = task(P, "TASK_001", "Worker A").with_targets(targets);
            let mut s = script(root, &[&t]);
            s.wait(5);
            s.daemon_run(&t, &Ending::Completes, quick());
            s.wait(30);
            s.review(&t, &Verdict::Approved, quick());
            Scenario {
                name: "daemon launch → review approved",
                writes: s.into_writes(),
                tasks: vec![t],
            }
        };
        check(scenario, &[(P, "TASK_001", "COMPLETED", None, 100)]);
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        let s = scenario(&root);
        let seen = &replay(&root, true, &s)[&(P.to_owned(), "TASK_001".to_owned())];
        assert_eq!(
            running_steps(seen),
            [
                "get_task_info",
                "assign_worker",
                "file_lock",
                "execute_task",
                "create_report",
                "update_status_done",
                "auto_review"
            ],
            "every step in order, from the first second of the launch"
        );
    }
}

#[test]
fn a_crash_recovered_relaunch_beside_the_dead_workers_log() {
    check(
        |root| {
            let t = task(P, "TASK_001", "Worker A");
            let mut s = script(root, &[&t]);
            s.daemon_run(&t, &Ending::Dies(Step::ExecuteTask), quick());
            // Recovered and relaunched within seconds of the dead worker's log.
            s.wait(2);
            s.crash_recovery(&t);
            s.wait(1);
            s.daemon_run(&t, &Ending::Completes, quick());
            Scenario {
                name: "crash-recovered relaunch",
                writes: s.into_writes(),
                tasks: vec![t],
            }
        },
        &[(P, "TASK_001", "DONE", None, 100)],
    );
}

#[test]
fn review_rework_in_the_review_log_then_a_re_review() {
    check(
        |root| {
            let t = task(P, "TASK_001", "Worker A").with_targets(&["src/app.ts"]);
            let mut s = script(root, &[&t]);
            s.daemon_run(&t, &Ending::Completes, quick());
            s.wait(10);
            s.review(&t, &Verdict::Rejected(Some(Ending::Completes)), quick());
            s.wait(10);
            s.review(&t, &Verdict::Approved, quick());
            Scenario {
                name: "review → rework → re-review",
                writes: s.into_writes(),
                tasks: vec![t],
            }
        },
        &[(P, "TASK_001", "COMPLETED", None, 100)],
    );
}

#[test]
fn a_review_that_escalates_reached_the_review() {
    check(
        |root| {
            let t = task(P, "TASK_001", "Worker A");
            let mut s = script(root, &[&t]);
            s.daemon_run(&t, &Ending::Completes, quick());
            s.wait(10);
            s.review(&t, &Verdict::Escalated, quick());
            Scenario {
                name: "review escalates",
                writes: s.into_writes(),
                tasks: vec![t],
            }
        },
        &[(P, "TASK_001", "ESCALATED", None, 100)],
    );
}

#[test]
fn the_apps_button_reworks_with_and_without_target_files_and_kept_output() {
    for (targets, keep) in [(&["src/app.ts"][..], false), (&[][..], false), (&[][..], true)] {
        check(
            |root| {
                // The task's assignee is another label when the button is pressed, so
                // the worker writes its `REWORK維持` row; a second task holds Worker A.
                let t = task(P, "TASK_001", "Worker B").with_targets(targets);
                let mut s = script(root, &[&t]);
                s.daemon_run(&t, &Ending::Completes, quick());
                s.wait(10);
                s.review(&t, &Verdict::Rejected(None), quick());
                s.wait(60);
                let mut rework = t.clone();
                rework.worker = "Worker A".into();
                let out = if keep {
                    Out::Log(s.worker_log_path(&t))
                } else {
                    Out::Nowhere
                };
                s.button_run(&rework, &out, &Ending::Completes, None, quick());
                Scenario {
                    name: "the app's button on a REWORK task",
                    writes: s.into_writes(),
                    tasks: vec![t],
                }
            },
            &[(P, "TASK_001", "DONE", None, 100)],
        );
    }
    // While it runs, it is running: with the output kept, step by step.
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    let t = task(P, "TASK_001", "Worker B");
    let mut s = script(&root, &[&t]);
    s.daemon_run(&t, &Ending::Completes, quick());
    s.review(&t, &Verdict::Rejected(None), quick());
    s.wait(60);
    let mut rework = t.clone();
    rework.worker = "Worker A".into();
    let kept = s.worker_log_path(&t);
    s.button_run(&rework, &Out::Log(kept), &Ending::Completes, None, quick());
    let scenario = Scenario {
        name: "kept output",
        writes: s.into_writes(),
        tasks: vec![t],
    };
    let seen = &replay(&root, true, &scenario)[&(P.to_owned(), "TASK_001".to_owned())];
    let rework: Vec<&Seen> = seen.iter().filter(|s| s.status == "REWORK").collect();
    assert_eq!(rework[0].step, None, "rejected: waiting");
    let steps = running_steps(&rework.iter().map(|s| (*s).clone()).collect::<Vec<_>>());
    assert_eq!(
        steps,
        [
            "get_task_info",
            "assign_worker",
            "file_lock",
            "execute_task",
            "create_report",
            "update_status_done"
        ],
        "the button's run, step by step from its kept output"
    );
}

#[test]
fn a_loop_run_goes_on_with_the_next_task_in_the_same_output() {
    check(
        |root| {
            let first = task(P, "TASK_001", "Worker A");
            let next = task(P, "TASK_002", "Worker A");
            let mut s = script(root, &[&first, &next]);
            s.daemon_run(&first, &Ending::Completes, quick());
            s.review(&first, &Verdict::Rejected(None), quick());
            s.wait(60);
            let kept = s.worker_log_path(&first);
            s.button_run(&first, &Out::Log(kept), &Ending::Completes, Some(&next), quick());
            Scenario {
                name: "--loop",
                writes: s.into_writes(),
                tasks: vec![first, next],
            }
        },
        &[(P, "TASK_001", "DONE", None, 100), (P, "TASK_002", "DONE", None, 100)],
    );
}

#[test]
fn two_projects_launch_the_same_task_id_a_second_apart() {
    for apart in [1, 40] {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        let ours = task(P, "TASK_001", "Worker A");
        let theirs = task(OTHER, "TASK_001", "Worker A");
        let mut a = script(&root, &[&ours]);
        let mut b = script(&root, &[&theirs]);
        a.wait(10);
        a.daemon_run(&ours, &Ending::Completes, quick());
        b.wait(10 + apart);
        let log = b.daemon_launch(&theirs);
        b.worker_run(
            &theirs,
            &Out::Log(log),
            &Ending::Completes,
            Pace {
                execute_task: 200,
                ..quick()
            },
        );
        let scenario = Scenario {
            name: "two projects, one task id",
            writes: side_by_side(vec![a, b]),
            tasks: vec![ours, theirs],
        };
        for wal in [true, false] {
            let dir = tempfile::tempdir().unwrap();
            let root2 = dir.path().canonicalize().unwrap();
            // The same writes, into a folder of their own.
            let moved = Scenario {
                name: scenario.name,
                writes: scenario.writes.iter().map(|w| relocate(w, &root, &root2)).collect(),
                tasks: scenario.tasks.clone(),
            };
            let seen = replay(&root2, wal, &moved);
            for (key, seq) in &seen {
                assert_never_backwards(moved.name, key, seq);
            }
            let our_start = "2026-10-24T10:00:10+09:00";
            let ours_seen = &seen[&(P.to_owned(), "TASK_001".to_owned())];
            assert!(
                ours_seen
                    .iter()
                    .filter(|s| s.status != "QUEUED")
                    .all(|s| s.started_at.as_deref() == Some(our_start)),
                "apart {apart}s (wal {wal}): ours always starts at its own launch: {:?}",
                ours_seen.iter().map(|s| s.started_at.clone()).collect::<Vec<_>>()
            );
            assert!(
                ours_seen.iter().all(|s| s.status == "QUEUED" || s.source != "status"),
                "apart {apart}s: ours never loses its evidence"
            );
            let last = |p: &str| seen[&(p.to_owned(), "TASK_001".to_owned())].last().unwrap().clone();
            assert_eq!((last(P).status.as_str(), last(P).percent), ("DONE", 100));
            assert_eq!((last(OTHER).status.as_str(), last(OTHER).percent), ("DONE", 100));
        }
    }
}

/// A write moved from one user-data folder to another.
fn relocate(w: &Write, from: &Path, to: &Path) -> Write {
    use aipm_execution_steps::sample::script::What;
    let moved = |p: &Path| to.join(p.strip_prefix(from).unwrap());
    let what = match &w.what {
        What::Db(statements) => What::Db(statements.clone()),
        What::Create(p) => What::Create(moved(p)),
        What::Append(p, text) => What::Append(moved(p), text.clone()),
    };
    Write { at: w.at, what }
}
