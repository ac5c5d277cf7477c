//! The checks of `fuzz_targets/review_log.rs` (its module doc lists them).

use aipm_execution_steps::fuzzing::{self, ReviewLog, ReviewState, WorkerLog};
use aipm_execution_steps::step::StepEvent;
use aipm_execution_steps::time::Zone;
use aipm_execution_steps::StepStatus;

use crate::reader_lines;
use crate::worker_log::{check_ended, check_run};

pub fn check(data: &[u8]) {
    let zone = Zone::japan();
    let lines = reader_lines(data);
    let mut log = ReviewLog::new(zone);
    let mut before = log.state();
    check_state(&before);
    // The rework part read on its own, as a worker log.
    let mut rework: Option<(WorkerLog, bool)> = None;
    let mut rework_started = false;
    let mut first_text_line = true;
    let mut fed = 0;
    for line in &lines {
        if before.finished {
            break; // the reader reads no further
        }
        let line = line.as_ref();
        // As the parser reads it: no `\r`; no byte-order mark before the first text.
        let text = line.strip_suffix('\r').unwrap_or(line);
        let text = if first_text_line {
            text.strip_prefix('\u{feff}').unwrap_or(text)
        } else {
            text
        };
        let step_line = fuzzing::step_line(text);
        let is_auto_rework = |events: &dyn Fn(StepEvent) -> bool| {
            step_line
                .as_ref()
                .is_some_and(|l| l.sub_step == "auto_rework" && events(l.event))
        };
        let opens_rework = !rework_started && is_auto_rework(&|e| e == StepEvent::Start);

        log.feed(line);
        fed += 1;
        let after = log.state();
        check_state(&after);
        check_growth(&before, &after, line);

        if !text.trim().is_empty() && first_text_line {
            first_text_line = false;
        } else {
            assert_eq!(
                (&after.project_id, &after.task_id),
                (&before.project_id, &before.task_id),
                "only the first line names the task: {line:?}"
            );
        }
        assert_eq!(after.rework.is_some(), rework_started || opens_rework, "{line:?}");
        if let Some((worker, open)) = &mut rework {
            let ends = is_auto_rework(&|e| !matches!(e, StepEvent::Start | StepEvent::Info));
            if *open && ends {
                *open = false;
            } else if *open && step_line.is_some() {
                worker.feed(line);
            }
        }
        if opens_rework {
            rework_started = true;
            rework = Some((WorkerLog::new(zone), true));
        }
        if let (Some((worker, _)), Some(part)) = (&rework, &after.rework) {
            let runs = worker.runs();
            if runs.len() == 1 {
                assert_eq!(
                    part.run, runs[0].run,
                    "the rework run is read like a worker log ({line:?})"
                );
            }
        }
        before = after;
    }
    if fed == lines.len() {
        let whole = String::from_utf8_lossy(data);
        if lines.iter().all(|l| l.len() < crate::MAX_LINE_BYTES) {
            assert_eq!(fuzzing::review_log(&whole, zone), before, "whole text vs line by line");
        }
    }
}

/// One state on its own.
fn check_state(state: &ReviewState) {
    assert_eq!(state.finished, state.closed, "a review log is finished when closed");
    assert!(state.message.as_ref().is_none_or(|m| m.chars().count() <= 1024));
    if state.started_at.is_some() {
        assert!(state.last_at.is_some());
    }
    if let Some(rework) = &state.rework {
        check_run(&rework.run);
    }
    // Step 7 is the review; the six before it are done.
    let t = &state.timeline;
    assert!(t[..6].iter().all(|s| s.status == StepStatus::Completed), "{t:?}");
    let want = match (state.review_ended_at, state.failed) {
        (None, _) => StepStatus::InProgress,
        (Some(_), false) => StepStatus::Completed,
        (Some(_), true) => StepStatus::Failed,
    };
    assert_eq!(
        (t[6].status, t[6].started_at, t[6].ended_at),
        (want, state.started_at, state.review_ended_at)
    );
}

/// What one more line may change: the review's start, its end (and whether it
/// failed), the rework's start and end are written once; the rework run's
/// current step never moves backwards; a closed log stays closed.
fn check_growth(before: &ReviewState, after: &ReviewState, line: &str) {
    let once = |what: &str, b: &dyn std::fmt::Debug, a: &dyn std::fmt::Debug, set: bool| {
        if set {
            assert_eq!(format!("{a:?}"), format!("{b:?}"), "{what} changed on {line:?}");
        }
    };
    once(
        "started_at",
        &before.started_at,
        &after.started_at,
        before.started_at.is_some(),
    );
    once(
        "review end",
        &(before.review_ended_at, before.failed),
        &(after.review_ended_at, after.failed),
        before.review_ended_at.is_some(),
    );
    assert!(after.closed >= before.closed, "{line:?}");
    if let Some(old) = &before.rework {
        let new = after.rework.as_ref().expect("a rework stays");
        assert_eq!(new.started_at, old.started_at, "{line:?}");
        once("rework end", &old.ended_at, &new.ended_at, old.ended_at.is_some());
        assert!(
            new.run.reached >= old.run.reached,
            "the rework's step moved backwards on {line:?}"
        );
        check_ended(&old.run, &new.run, line);
    }
}
