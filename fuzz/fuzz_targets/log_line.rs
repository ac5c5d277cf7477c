//! Worker-log lines (docs/behaviour.md, "Worker logs") come from other
//! processes and may be anything.
//!
//! Invariants checked on every input (read lossily and split into lines, as
//! the log reader does):
//! * parsing never panics;
//! * a parsed line's time is the line's first 19 characters;
//! * a `[<sub-step>] <event>:` line maps to a step exactly when its sub-step
//!   belongs to one of the seven (`Step::from_sub_step`), with the same event;
//!   `[error] failed` and `[complete] success` end the run;
//! * folding the lines into one timeline never panics, and the current step
//!   never moves backwards.
#![no_main]

use aipm_execution_steps::evidence::log_line::{parse_line, LogEntry, LogLine};
use aipm_execution_steps::steps::{Step, StepEvent};
use aipm_execution_steps::time::Zone;
use aipm_execution_steps::timeline::{RunEnding, Timeline};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut timeline = Timeline::default();
    for line in text.split('\n') {
        let Some(parsed) = parse_line(line) else { continue };
        check_entry(line, &parsed);
        let before = timeline.current();
        parsed.apply(&mut timeline, Zone::japan());
        assert!(timeline.current() >= before, "current step moved backwards on {line:?}");
        if let (LogEntry::Step { step, .. }, false) = (&parsed.entry, timeline.is_terminated()) {
            assert!(
                timeline.current() >= Some(*step),
                "step line did not reach its step: {line:?}"
            );
        }
    }
    let now = chrono::Utc::now();
    for ending in [RunEnding::Live, RunEnding::Finished, RunEnding::Stopped] {
        let _ = timeline.spans(ending, now);
    }
});

/// Re-derives sub-step and event from the raw text and compares with the parse.
fn check_entry(line: &str, parsed: &LogLine<'_>) {
    assert_eq!(parsed.time, &line[..19], "time is not the line's prefix: {line:?}");
    // `<time> [<LEVEL>] [<sub-step>] <event>: <detail>`
    let after_level = &line[line.find("] ").expect("level bracket") + 2..];
    let sub_step = &after_level[1..after_level.find(']').expect("sub-step bracket")];
    let event_text = &after_level[sub_step.len() + 3..];
    let event = StepEvent::from_name(&event_text[..event_text.find(':').expect("colon")]);
    let event = event.expect("a parsed line has a known event");
    match &parsed.entry {
        LogEntry::Step { step, event: got } => {
            assert_eq!(Step::from_sub_step(sub_step), Some(*step), "{line:?}");
            assert_eq!(*got, event, "{line:?}");
        }
        LogEntry::RunFailed { message } => {
            assert_eq!((sub_step, event), ("error", StepEvent::Failed), "{line:?}");
            assert_eq!(*message, message.trim(), "failure message is trimmed");
        }
        LogEntry::RunCompleted => {
            assert_eq!((sub_step, event), ("complete", StepEvent::Success), "{line:?}")
        }
    }
}
