//! Worker logs (`docs/behaviour.md`, "Worker logs") come from other processes
//! and may hold anything.
//!
//! Invariants checked on every input, read as the log reader reads it (split
//! at `\n`, each line lossily, a `\r` before the `\n` and a byte-order mark
//! before the first line included), fed line by line:
//! * parsing never panics;
//! * a line is a step line exactly when it has the step shape
//!   `<YYYY-MM-DD HH:MM:SS> [<LEVEL>] [<sub-step>] <event>:`, and its time,
//!   sub-step, event and trimmed detail are the line's;
//! * a `[<sub-step>] <event>:` line maps to a step exactly when its sub-step
//!   belongs to one of the seven (the table in "Worker logs", written out
//!   again in `src/oracle.rs`), with the same event; `[error] failed` and
//!   `[complete] success` end the run; anything else belongs to no step;
//! * as lines are appended one at a time, each run's current step never moves
//!   backwards, nothing after a run's end changes it, the runs before the last
//!   never change, a new run begins only at `[get_task_info] start: <task>`,
//!   and in the live timeline a step once shown is never pending again and a
//!   completed step stays completed;
//! * a line caught half-written (cut at any byte) shows no task's run further
//!   along than the whole line does;
//! * each run's timelines (live, finished, stopped) are well formed: at most
//!   one step in progress or failed, and only the reached one; every step
//!   before it passed; durations are their times' difference;
//! * the whole text at once reads as the same runs as line by line.
#![no_main]

use aipm_execution_steps_fuzz::worker_log::check;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| check(data));
