//! The paths users really take (issue 18), each on a user-data folder written
//! by the backend's own processes (`sample::script`): two projects with the
//! same task id, the app's "run task" button, a review that escalates, a
//! review log of another project, a relaunch with the seed's metadata left
//! over, a re-review after a rework without target files.

mod support;

use std::path::{Path, PathBuf};

use aipm_execution_steps::sample::script::{Backend, Ending, Out, Pace, Script, Task, Verdict, Write};
use aipm_execution_steps::step::Step;
use aipm_execution_steps::time::{Instant, Zone};
use aipm_execution_steps::{Access, Environment, ExecutionStepInfo, Presentation, StatsFilter, StepTracker};
use support::{at, clock, shown, statuses};

const P: &str = "ai_pm_manager";
const OTHER: &str = "other_project";

/// A user-data folder with the writes made up to `until` (all, for `None`).
struct Folder {
    _dir: tempfile::TempDir,
    root: PathBuf,
    backend: Backend,
    tracker: StepTracker,
}

impl Folder {
    fn new() -> Folder {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        let backend = Backend::create(&root, true).unwrap();
        Folder {
            _dir: dir,
            root,
            backend,
            tracker: StepTracker::new(),
        }
    }

    fn script(&self) -> Script {
        Script::new(&self.root, Zone::japan(), at(0))
    }

    fn play(&self, writes: &[Write], until: Option<Instant>) {
        let mut writes: Vec<&Write> = writes.iter().filter(|w| until.is_none_or(|u| w.at <= u)).collect();
        writes.sort_by_key(|w| w.at);
        self.backend.apply_all(writes).unwrap();
    }

    fn source(&self) -> Access {
        Access {
            db_path: Some(self.backend.db_path.clone()),
            environment: Environment::default(),
            ..Access::default()
        }
    }

    fn step(&self, project: &str, task: &str, now: Instant) -> ExecutionStepInfo {
        let verbose = Presentation {
            verbose: true,
            ..Presentation::default()
        };
        let now = clock((now - at(0)).num_seconds());
        self.tracker
            .task_step(project, task, &self.source(), verbose, &now)
            .unwrap()
    }
}

fn quick() -> Pace {
    Pace {
        execute_task: 120,
        review: 30,
        ..Pace::default()
    }
}

/// Project A's TASK_001 launched by the daemon at 0 s and run to DONE: its
/// script (to go on with) and the task.
fn one_run(f: &Folder) -> (Script, Task) {
    let t = Task::new(P, "ORDER_1", "TASK_001", "Worker A");
    let mut s = f.script();
    s.add_task(&t, "QUEUED");
    s.daemon_run(&t, &Ending::Completes, quick());
    (s, t)
}

/// Project A's TASK_001 launched and run by the daemon from 0 s, and project
/// B's TASK_001 (also `Worker A`: labels are per project) `gap` seconds later:
/// their scripts, then (ours, theirs).
fn both_launched(f: &Folder, gap: i64) -> (Script, Script, Task, Task) {
    let ours = Task::new(P, "ORDER_1", "TASK_001", "Worker A");
    let theirs = Task::new(OTHER, "ORDER_9", "TASK_001", "Worker A");
    let mut a = f.script();
    a.add_task(&ours, "QUEUED");
    a.daemon_run(&ours, &Ending::Completes, quick());
    let mut b = f.script();
    b.add_task(&theirs, "QUEUED");
    b.wait(gap);
    b.daemon_run(&theirs, &Ending::Completes, quick());
    (a, b, ours, theirs)
}

#[test]
fn a_task_keeps_its_own_log_and_start_when_another_projects_same_id_is_launched() {
    // Project A's TASK_001 writes its report; project B's TASK_001 is launched meanwhile.
    let f = Folder::new();
    let (a, b, _, _) = both_launched(&f, 122);
    let writes: Vec<Write> = [a.into_writes(), b.into_writes()].concat();
    f.play(&writes, Some(at(123)));
    let info = f.step(P, "TASK_001", at(123));
    assert_eq!(shown(&info), (Some("create_report"), "log", 71));
    assert_eq!(info.started_at.as_deref(), Some("2026-10-24T10:00:00+09:00"));
    let info = f.step(OTHER, "TASK_001", at(123));
    assert_eq!(shown(&info), (Some("get_task_info"), "log", 14));
    assert_eq!(info.started_at.as_deref(), Some("2026-10-24T10:02:02+09:00"));
    // To the end: ours DONE with its own start, theirs too.
    f.play(&writes.into_iter().filter(|w| w.at > at(123)).collect::<Vec<_>>(), None);
    let info = f.step(P, "TASK_001", at(1000));
    assert_eq!(
        (info.status.as_deref(), info.started_at.as_deref()),
        (Some("DONE"), Some("2026-10-24T10:00:00+09:00"))
    );
}

/// A task rejected by review, its rework run by the app's button.
fn rework_by_button(f: &Folder, targets: &[&str], out: impl Fn(&Script, &Task) -> Out) -> (Vec<Write>, Instant) {
    let t = Task::new(P, "ORDER_1", "TASK_001", "Worker B").with_targets(targets);
    let mut s = f.script();
    s.add_task(&t, "QUEUED");
    s.daemon_run(&t, &Ending::Completes, quick());
    s.review(&t, &Verdict::Rejected(None), quick());
    s.wait(600);
    let pressed = s.now();
    // Worker B is busy elsewhere now: the button's worker is Worker A.
    let button = Task {
        worker: "Worker A".into(),
        ..t.clone()
    };
    let out = out(&s, &t);
    s.button_run(&button, &out, &Ending::Completes, None, quick());
    (s.into_writes(), pressed)
}

#[test]
fn a_rework_started_by_the_apps_button_is_running() {
    // No output kept, no target files: the worker's `REWORK維持` row says it runs.
    let f = Folder::new();
    let (writes, pressed) = rework_by_button(&f, &[], |_, _| Out::Nowhere);
    f.play(&writes, Some(pressed + chrono::Duration::seconds(30)));
    let info = f.step(P, "TASK_001", pressed + chrono::Duration::seconds(30));
    assert_eq!(info.status.as_deref(), Some("REWORK"));
    assert_eq!(shown(&info), (Some("file_lock"), "history", 42));
    assert_eq!(info.resume_from, None, "no invented failure");
    assert!(!statuses(&info).contains(&"failed"), "{:?}", statuses(&info));
    let rejected = pressed - chrono::Duration::seconds(600);
    assert_eq!(
        info.started_at,
        Some(Zone::japan().format(rejected)),
        "the attempt began with the move into REWORK"
    );

    // With target files: its locks say the model is running.
    let f = Folder::new();
    let (writes, pressed) = rework_by_button(&f, &["src/app.ts"], |_, _| Out::Nowhere);
    f.play(&writes, Some(pressed + chrono::Duration::seconds(30)));
    assert_eq!(
        shown(&f.step(P, "TASK_001", pressed + chrono::Duration::seconds(30))),
        (Some("execute_task"), "history", 57)
    );

    // Its output kept where the addon reads it (`workerLogPath`): every step.
    let f = Folder::new();
    let (writes, pressed) = rework_by_button(&f, &[], |s, t| Out::Log(s.worker_log_path(t)));
    f.play(&writes, Some(pressed + chrono::Duration::seconds(60)));
    let info = f.step(P, "TASK_001", pressed + chrono::Duration::seconds(60));
    assert_eq!(shown(&info), (Some("execute_task"), "log", 57));
    f.play(
        &writes
            .into_iter()
            .filter(|w| w.at > pressed + chrono::Duration::seconds(60))
            .collect::<Vec<_>>(),
        None,
    );
    let info = f.step(P, "TASK_001", pressed + chrono::Duration::seconds(600));
    assert_eq!(
        (info.status.as_deref(), shown(&info)),
        (Some("DONE"), (None, "log", 100))
    );
}

#[test]
fn a_rework_that_failed_from_the_button_with_its_output_kept_stops() {
    let f = Folder::new();
    let t = Task::new(P, "ORDER_1", "TASK_001", "Worker B");
    let mut s = f.script();
    s.add_task(&t, "QUEUED");
    s.daemon_run(&t, &Ending::Completes, quick());
    s.review(&t, &Verdict::Rejected(None), quick());
    s.wait(600);
    let button = Task {
        worker: "Worker A".into(),
        ..t.clone()
    };
    let kept = Out::Log(s.worker_log_path(&t));
    s.button_run(
        &button,
        &kept,
        &Ending::Fails(Step::ExecuteTask, "claude timeout".into()),
        None,
        quick(),
    );
    f.play(s.writes(), None);
    let info = f.step(P, "TASK_001", s.now());
    assert_eq!(
        (info.status.as_deref(), shown(&info)),
        (Some("REWORK"), (None, "log", 0))
    );
    assert_eq!(
        (info.failed_step, info.resume_from),
        (Some(Step::ExecuteTask), Some(Step::ExecuteTask))
    );
}

#[test]
fn a_loop_worker_s_next_task_is_read_from_the_first_task_s_log() {
    let f = Folder::new();
    let first = Task::new(P, "ORDER_1", "TASK_001", "Worker A");
    let next = Task::new(P, "ORDER_1", "TASK_002", "Worker A");
    let mut s = f.script();
    s.add_task(&first, "QUEUED");
    s.add_task(&next, "QUEUED");
    s.daemon_run(&first, &Ending::Completes, quick());
    s.review(&first, &Verdict::Rejected(None), quick());
    s.wait(60);
    let kept = s.worker_log_path(&first);
    s.button_run(
        &first,
        &Out::Log(kept.clone()),
        &Ending::Completes,
        Some(&next),
        quick(),
    );
    let writes = s.into_writes();
    // TASK_002's run has just begun executing, in TASK_001's output.
    let executing = writes
        .iter()
        .rfind(|w| matches!(&w.what, aipm_execution_steps::sample::script::What::Append(_, t) if t.contains("[claude_cli]")))
        .unwrap()
        .at;
    f.play(&writes, Some(executing));
    let info = f.step(P, "TASK_002", executing);
    assert_eq!(
        (info.status.as_deref(), shown(&info)),
        (Some("IN_PROGRESS"), (Some("execute_task"), "log", 57))
    );
    let info = f.step(P, "TASK_001", executing);
    assert_eq!(
        (info.status.as_deref(), shown(&info)),
        (Some("DONE"), (None, "log", 100))
    );
    assert!(kept
        .file_name()
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with("worker_TASK_001_"));
}

#[test]
fn a_review_that_escalates_reached_the_review_and_stopped_there() {
    let f = Folder::new();
    let (mut s, t) = one_run(&f);
    s.wait(10);
    s.review(&t, &Verdict::Escalated, quick());
    f.play(s.writes(), None);
    let info = f.step(P, "TASK_001", s.now());
    assert_eq!(
        (info.status.as_deref(), shown(&info)),
        (Some("ESCALATED"), (None, "log", 100))
    );
    assert_eq!(statuses(&info)[6], "failed", "the review is where it stopped");
    assert_eq!(
        (info.failed_step, info.resume_from),
        (Some(Step::AutoReview), Some(Step::AutoReview))
    );
    assert_eq!(info.error.as_deref(), Some("AI実行失敗: Timeout after 600 seconds"));
}

#[test]
fn statistics_and_steps_never_use_another_projects_review_of_the_same_id() {
    let f = Folder::new();
    let (a, mut b, _, theirs) = both_launched(&f, 500);
    b.review(&theirs, &Verdict::Rejected(Some(Ending::Completes)), quick());
    f.play(&[a.into_writes(), b.into_writes()].concat(), None);
    let stats = f
        .tracker
        .duration_stats(
            P,
            &StatsFilter::default(),
            &f.source(),
            Presentation::default(),
            &clock(3000),
        )
        .unwrap();
    assert_eq!(stats[6].count, 0, "B's review is not A's");
    assert_eq!(stats[3].count, 1, "A's run only, not B's rework run");
    let info = f.step(P, "TASK_001", at(3000));
    assert_eq!(
        (info.status.as_deref(), shown(&info)),
        (Some("DONE"), (None, "log", 100))
    );
    let theirs_stats = f
        .tracker
        .duration_stats(
            OTHER,
            &StatsFilter::default(),
            &f.source(),
            Presentation::default(),
            &clock(3000),
        )
        .unwrap();
    assert_eq!(
        (theirs_stats[3].count, theirs_stats[6].count),
        (2, 1),
        "B's run, rework run and review"
    );
}

#[test]
fn a_re_review_after_a_rework_shows_file_lock_skipped_for_a_task_without_target_files() {
    let f = Folder::new();
    let (mut s, t) = one_run(&f);
    s.review(&t, &Verdict::Rejected(Some(Ending::Completes)), quick());
    s.wait(30);
    s.review(
        &t,
        &Verdict::Approved,
        Pace {
            review: 3600,
            ..quick()
        },
    );
    f.play(s.writes(), Some(s.now() - chrono::Duration::seconds(3000)));
    let info = f.step(P, "TASK_001", s.now() - chrono::Duration::seconds(3000));
    assert_eq!(
        shown(&info),
        (Some("auto_review"), "log", 100),
        "the re-review is going"
    );
    assert_eq!(statuses(&info)[2], "skipped", "{:?}", statuses(&info));
    assert!(info.started_at.is_some());
}

#[test]
fn metadata_left_by_an_earlier_attempt_says_nothing_after_a_relaunch() {
    let f = Folder::new();
    f.backend
        .conn()
        .execute_batch("ALTER TABLE tasks ADD COLUMN metadata TEXT")
        .unwrap();
    let t = Task::new(P, "ORDER_1", "TASK_001", "Worker A");
    let mut s = f.script();
    s.add_task(&t, "QUEUED");
    s.daemon_run(&t, &Ending::Dies(Step::UpdateStatusDone), quick());
    s.wait(60);
    s.crash_recovery(&t);
    s.wait(5);
    s.daemon_launch(&t);
    // The daemon has moved the task; its log is not there yet.
    let writes = s.writes();
    f.play(&writes[..writes.len() - 1], None);
    f.backend
        .conn()
        .execute_batch(r#"UPDATE tasks SET metadata = '{"current_step": "update_status_done"}'"#)
        .unwrap();
    assert_eq!(
        shown(&f.step(P, "TASK_001", s.now())),
        (Some("get_task_info"), "history", 14),
        "relaunched a moment ago: its worker is starting"
    );
}

#[test]
fn a_review_log_with_a_bom_is_read() {
    let f = Folder::new();
    let (mut s, t) = one_run(&f);
    s.wait(10);
    let review = s.review(
        &t,
        &Verdict::Approved,
        Pace {
            review: 3600,
            ..quick()
        },
    );
    f.play(s.writes(), Some(s.now() - chrono::Duration::seconds(3000)));
    let text = std::fs::read(&review).unwrap();
    std::fs::write(&review, [&b"\xef\xbb\xbf"[..], &text].concat()).unwrap();
    assert_eq!(
        shown(&f.step(P, "TASK_001", s.now() - chrono::Duration::seconds(3000))),
        (Some("auto_review"), "log", 100)
    );
    assert!(Path::new(&review).exists());
}
