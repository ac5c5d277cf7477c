//! The checks of `fuzz_targets/worker_log.rs` (its module doc lists them).

use aipm_execution_steps::fuzzing::{self, LineMeaning, RunState, StepSpan, WorkerLog, WorkerLogRun};
use aipm_execution_steps::step::{Step, StepEvent};
use aipm_execution_steps::time::Zone;
use aipm_execution_steps::StepStatus;

use crate::{hash, oracle, reader_lines, without_bom};

pub fn check(data: &[u8]) {
    let zone = Zone::japan();
    let lines = reader_lines(data);
    let mut log = WorkerLog::new(zone);
    let mut before = log.runs();
    for (i, line) in lines.iter().enumerate() {
        let line = line.as_ref();
        check_line(without_bom(i, line));

        // The reader shows a last line still being written: some of its bytes.
        let cut = cut_of(line, i);
        let partial_text = String::from_utf8_lossy(&line.as_bytes()[..cut]);
        let mut partial = log.clone();
        partial.feed_partial(&partial_text);

        log.feed(line);
        let after = log.runs();
        check_growth(&before, &after, without_bom(i, line));
        check_partial(&partial.runs(), &after, line, cut);
        before = after;
    }
    for run in &before {
        check_run(&run.run);
    }
    // Whole text or line by line, the same runs.
    if lines.iter().all(|l| l.len() < crate::MAX_LINE_BYTES) {
        let whole = String::from_utf8_lossy(data);
        assert_eq!(
            fuzzing::worker_log_runs(&whole, zone),
            before,
            "whole text vs line by line"
        );
    }
}

/// Where to cut `line` to see it half-written (a byte offset, maybe inside a character).
fn cut_of(line: &str, index: usize) -> usize {
    if line.is_empty() {
        0
    } else {
        (hash(line.as_bytes()).wrapping_add(index as u64) % line.len() as u64) as usize
    }
}

/// One line read on its own.
fn check_line(line: &str) {
    let parsed = fuzzing::step_line(line);
    let shape = oracle::shape(line);
    assert_eq!(
        parsed.is_some(),
        shape.is_some(),
        "a step line exactly when the line has the step shape: {line:?}"
    );
    let (Some(parsed), Some(shape)) = (parsed, shape) else {
        return;
    };
    assert_eq!(parsed.time, shape.time, "{line:?}");
    assert_eq!(parsed.sub_step, shape.sub_step, "{line:?}");
    assert_eq!(parsed.event, oracle::event_of(shape.event), "{line:?}");
    assert_eq!(parsed.detail, shape.detail.trim(), "{line:?}");

    // `[<sub-step>] <event>:` maps to a step exactly when the sub-step is one
    // of a step's; `[error] failed` and `[complete] success` end the run.
    let want = match (shape.sub_step, parsed.event) {
        ("error", StepEvent::Failed) => LineMeaning::RunFailed(parsed.detail.clone()),
        ("complete", StepEvent::Success) => LineMeaning::RunCompleted,
        (sub, event) => oracle::step_of(sub).map_or(LineMeaning::Unrelated, |step| LineMeaning::Step(step, event)),
    };
    assert_eq!(parsed.meaning, want, "{line:?}");

    let opens = shape.sub_step == "get_task_info" && parsed.event == StepEvent::Start;
    let task = shape.detail.split_whitespace().next().filter(|_| opens);
    assert_eq!(parsed.opened_task.as_deref(), task, "{line:?}");
}

/// What one more line may change: the runs before the last never change, the
/// last one's current step never moves backwards, nothing after its end counts,
/// and a new run is opened only by a `[get_task_info] start: <task>` line.
fn check_growth(before: &[WorkerLogRun], after: &[WorkerLogRun], line: &str) {
    assert!(
        !before.is_empty() && !after.is_empty(),
        "a log always has its launch run"
    );
    let last = before.len() - 1;
    assert_eq!(&after[..last], &before[..last], "an earlier run changed on {line:?}");
    let (old, new) = (&before[last], &after[last]);
    assert!(
        new.run.reached >= old.run.reached,
        "the current step moved backwards ({:?} → {:?}) on {line:?}",
        old.run.reached,
        new.run.reached
    );
    check_ended(&old.run, &new.run, line);
    if old.task_id.is_some() {
        assert_eq!(new.task_id, old.task_id, "{line:?}");
    }
    if old.began_at.is_some() {
        assert_eq!(new.began_at, old.began_at, "{line:?}");
    }
    assert!(new.run.rework >= old.run.rework, "{line:?}");
    for (step, (o, n)) in Step::ALL.iter().zip(old.run.live.iter().zip(&new.run.live)) {
        if o.status != StepStatus::Pending {
            assert_ne!(
                n.status,
                StepStatus::Pending,
                "{step:?} went back to pending on {line:?}"
            );
        }
        if o.status == StepStatus::Completed {
            assert_eq!(
                n.status,
                StepStatus::Completed,
                "{step:?} was completed before {line:?}"
            );
        }
    }
    match after.len() - before.len() {
        0 => {}
        1 => {
            let opened = fuzzing::step_line(line).and_then(|l| l.opened_task);
            let new = &after[before.len()];
            assert!(opened.is_some(), "a run began without a get_task_info line: {line:?}");
            assert_eq!(new.task_id, opened, "{line:?}");
            assert_eq!(new.run.reached, Some(Step::GetTaskInfo), "{line:?}");
        }
        n => panic!("{n} runs began on one line: {line:?}"),
    }
}

/// Nothing after a run's end changes it.
pub(crate) fn check_ended(old: &RunState, new: &RunState, line: &str) {
    if old.ending != fuzzing::Ending::Open {
        assert_eq!(new, old, "a line after the run's end counted: {line:?}");
    }
}

/// The runs a half-written line shows: none further along than the whole line
/// shows for the task it belongs to (the launch run is the log's own task's;
/// a later one, the task it names).
fn check_partial(partial: &[WorkerLogRun], whole: &[WorkerLogRun], line: &str, cut: usize) {
    let owner = |i: usize, r: &WorkerLogRun| if i == 0 { None } else { r.task_id.clone() };
    for (i, p) in partial.iter().enumerate() {
        let furthest = whole
            .iter()
            .enumerate()
            .filter(|&(j, w)| owner(j, w) == owner(i, p))
            .map(|(_, w)| w.run.reached)
            .max();
        assert!(
            furthest.is_some_and(|f| f >= p.run.reached),
            "line {line:?} cut at byte {cut} shows run {i} of {:?} at {:?}, the whole line {furthest:?}",
            owner(i, p),
            p.run.reached
        );
    }
}

/// One run on its own, and its three timelines.
pub(crate) fn check_run(run: &RunState) {
    if let fuzzing::Ending::Failed { step, .. } = &run.ending {
        assert_eq!(run.reached, Some(*step), "a run fails in the step it reached");
    }
    if let Some(r) = run.reached {
        assert!(
            run.mentioned[r.index()] || matches!(run.ending, fuzzing::Ending::Failed { .. }),
            "reached {r:?} without mentioning it"
        );
    }
    for (view, spans) in [
        ("live", &run.live),
        ("finished", &run.finished),
        ("stopped", &run.stopped),
    ] {
        check_spans(spans, run, view);
    }
    let reached = run.reached.map(Step::index);
    match (&run.ending, reached) {
        (fuzzing::Ending::Open, Some(r)) => {
            assert_eq!(
                run.live[r].status,
                StepStatus::InProgress,
                "an open run's step is in progress"
            );
            assert_eq!(
                run.stopped[r].status,
                StepStatus::Failed,
                "a stopped run failed where it stopped"
            );
        }
        (fuzzing::Ending::Failed { .. }, Some(r)) => {
            for spans in [&run.live, &run.finished, &run.stopped] {
                assert_eq!(spans[r].status, StepStatus::Failed);
            }
        }
        (fuzzing::Ending::Completed { .. }, _) => {
            for spans in [&run.live, &run.finished, &run.stopped] {
                assert!(spans
                    .iter()
                    .all(|s| !matches!(s.status, StepStatus::InProgress | StepStatus::Failed)));
            }
        }
        _ => {}
    }
}

/// A timeline's shape: the seven steps in order; at most one in progress and
/// one failed, and only at the reached step; before it, every step passed
/// (completed or skipped); after it, none completed; times where the status has them.
fn check_spans(spans: &[StepSpan; 7], run: &RunState, view: &str) {
    let reached = run.reached.map(Step::index);
    for (i, span) in spans.iter().enumerate() {
        let what = format!("{view} step {i} {span:?} (reached {reached:?})");
        assert_eq!(span.step, Step::ALL[i], "{what}");
        match span.status {
            StepStatus::InProgress | StepStatus::Failed => assert_eq!(Some(i), reached, "{what}"),
            StepStatus::Completed => assert!(reached.is_some_and(|r| i <= r), "{what}"),
            StepStatus::Pending => assert!(reached.is_none_or(|r| i > r), "{what}"),
            StepStatus::Skipped => {}
        }
        if span.status == StepStatus::InProgress {
            assert_eq!(view, "live", "{what}");
        }
        if matches!(span.status, StepStatus::Pending | StepStatus::InProgress) {
            assert_eq!((span.ended_at, span.duration_ms), (None, None), "{what}");
        }
        if span.status == StepStatus::Pending {
            assert_eq!(span.started_at, None, "{what}");
        }
        let duration = span
            .started_at
            .zip(span.ended_at)
            .map(|(s, e)| (e - s).num_milliseconds().max(0) as u64);
        assert_eq!(span.duration_ms, duration, "{what}");
    }
}
