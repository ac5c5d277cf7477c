//! `tasks.metadata` is free JSON text any program may write
//! (`docs/behaviour.md`, "Tables read").
//!
//! Invariants, on any bytes (read lossily): parsing never panics; anything
//! that is not a JSON object reads as nothing (not locked, no step);
//! `file_locked` is set only by a literal `true`, and `current_step` only by a
//! string that names a step or one of its sub-steps (the table in "Worker
//! logs"), and any step it names is one of the seven; re-serialising the JSON
//! does not change what is read.
#![no_main]

use aipm_execution_steps_fuzz::metadata::check;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| check(data));
