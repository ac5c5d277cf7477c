//! Timestamps come from database rows, log lines and log file names written by
//! other programs (`docs/behaviour.md`, "Timestamps").
//!
//! The first byte picks the writers' zone (whole quarter hours, -12:00 to
//! +14:00); the rest, read lossily, is the text. Invariants:
//! * no parser panics, on any bytes;
//! * whatever parses is shown as RFC 3339 with the reader's offset
//!   (`Zone::format`, in that zone and the process's), and that output parses
//!   back — as RFC 3339 and as a database timestamp — to the same instant;
//! * a parsed time formats back to the same text: a log time as the local
//!   wall clock, a database `YYYY-MM-DD HH:MM:SS` as UTC, a database
//!   `YYYY-MM-DDTHH:MM:SS` as local, a file stamp `YYYYMMDD_HHMMSS` as local
//!   (fractions compared without trailing zeros).
#![no_main]

use aipm_execution_steps_fuzz::timestamp::check;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| check(data));
