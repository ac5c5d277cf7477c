//! Review logs (`docs/behaviour.md`, "Review logs") are overwritten by each
//! review and mix the review worker's own lines with worker-shaped ones.
//!
//! Invariants checked on every input, read as the log reader reads it (split
//! at `\n`, each line lossily, CRLF and a byte-order mark included) and fed
//! line by line until the log is finished, where the reader stops:
//! * parsing never panics;
//! * only the first line that is not blank names the project and task;
//! * the review's start, its end (and whether it failed) and the rework's
//!   start and end are each written once and never change after;
//! * a rework part exists exactly when an `[auto_rework] start:` line came,
//!   and its run is read exactly like a worker log of the lines between it
//!   and `[auto_rework] <end>`; its current step never moves backwards;
//! * a log is finished exactly when its closing `[OK]`/`[ERROR]` line came;
//! * in the timeline a review makes, the first six steps are completed and
//!   step 7 is in progress, completed or failed as the review is;
//! * the whole text at once reads the same as line by line.
#![no_main]

use aipm_execution_steps_fuzz::review_log::check;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| check(data));
