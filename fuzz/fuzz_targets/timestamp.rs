//! Timestamps come from database rows and log lines written by other programs.
//!
//! Invariants, for any text and any writer zone offset:
//! * no parser panics;
//! * whatever parses is shown as RFC 3339 with the reader's offset
//!   (`Zone::format`), and that output parses back — as RFC 3339 and as a
//!   database timestamp — to the same instant;
//! * a log time (local wall clock) in a fixed zone reads back, shown in that
//!   zone, as the same wall-clock text.
#![no_main]

use aipm_execution_steps::time::{parse_db_timestamp, parse_log_file_stamp, parse_log_timestamp, Instant, Zone};
use chrono::{DateTime, FixedOffset, Utc};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&offset_byte, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else { return };
    // Whole quarter hours from -12:00 to +14:00, the offsets zones really use.
    let quarters = i32::from(offset_byte) % 105 - 48;
    let zone = Zone::Fixed(FixedOffset::east_opt(quarters * 900).expect("offset in range"));

    for (what, parsed) in [
        ("db", parse_db_timestamp(text, zone)),
        ("log", parse_log_timestamp(text, zone)),
        ("stamp", parse_log_file_stamp(text, zone)),
        ("db/local", parse_db_timestamp(text, Zone::Local)),
    ] {
        if let Some(t) = parsed {
            round_trips(what, text, t, zone);
        }
    }

    if let (Some(t), Zone::Fixed(offset)) = (parse_log_timestamp(text, zone), zone) {
        let wall = t.with_timezone(&offset).format("%Y-%m-%d %H:%M:%S%.f").to_string();
        assert_eq!(parse_log_timestamp(&wall, zone), Some(t), "{text:?} -> {wall:?}");
        // chrono also accepts looser spellings (unpadded fields, other
        // whitespace); compare the wall clock only for the canonical one.
        if is_canonical_log_time(text) {
            assert_eq!(
                trim_fraction(&wall),
                trim_fraction(text),
                "wall clock changed for {text:?}"
            );
        }
    }
});

fn round_trips(what: &str, text: &str, t: Instant, zone: Zone) {
    let shown = zone.format(t);
    let back = DateTime::parse_from_rfc3339(&shown)
        .unwrap_or_else(|e| panic!("{what} {text:?} shown as {shown:?}, not RFC 3339: {e}"));
    assert_eq!(back.with_timezone(&Utc), t, "{what} {text:?} shown as {shown:?}");
    assert_eq!(
        parse_db_timestamp(&shown, zone),
        Some(t),
        "{what} {text:?} shown as {shown:?}"
    );
}

/// `YYYY-MM-DD HH:MM:SS` optionally followed by `.` and digits.
fn is_canonical_log_time(text: &str) -> bool {
    let b = text.as_bytes();
    let fixed = b.len() >= 19
        && b[..19].iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            10 => *c == b' ',
            13 | 16 => *c == b':',
            _ => c.is_ascii_digit(),
        });
    let fraction = &b[b.len().min(19)..];
    fixed
        && (fraction.is_empty()
            || (fraction[0] == b'.'
                && (2..=10).contains(&fraction.len())
                && fraction[1..].iter().all(u8::is_ascii_digit)))
}

/// The text without trailing zeros of a fraction (or a fraction of zeros).
fn trim_fraction(text: &str) -> &str {
    match text.split_once('.') {
        Some((whole, fraction)) if fraction.trim_end_matches('0').is_empty() => whole,
        Some(_) => text.trim_end_matches('0'),
        None => text,
    }
}
