//! The checks of `fuzz_targets/timestamp.rs` (its module doc lists them).

use aipm_execution_steps::time::{parse_db_timestamp, parse_log_file_stamp, parse_log_timestamp, Instant, Zone};
use chrono::{DateTime, FixedOffset, Utc};

pub fn check(data: &[u8]) {
    let Some((&offset_byte, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    let text = text.as_ref();
    // Whole quarter hours from -12:00 to +14:00, the offsets zones really use.
    let quarters = i32::from(offset_byte) % 105 - 48;
    let offset = FixedOffset::east_opt(quarters * 900).expect("offset in range");
    let zone = Zone::Fixed(offset);

    let db = parse_db_timestamp(text, zone);
    let log = parse_log_timestamp(text, zone);
    let stamp = parse_log_file_stamp(text, zone);
    for (what, parsed) in [
        ("db", db),
        ("log", log),
        ("stamp", stamp),
        ("db/local", parse_db_timestamp(text, Zone::Local)),
        ("log/local", parse_log_timestamp(text, Zone::Local)),
    ] {
        if let Some(t) = parsed {
            round_trips(what, text, t, zone);
            round_trips(what, text, t, Zone::Local);
        }
    }

    // A parsed time formats back to the same text, in the shape it was written.
    if let Some(t) = log {
        let wall = t.with_timezone(&offset).format("%Y-%m-%d %H:%M:%S%.f").to_string();
        assert_eq!(parse_log_timestamp(&wall, zone), Some(t), "{text:?} -> {wall:?}");
        if is_canonical(text, b' ') {
            assert_eq!(trim_fraction(&wall), trim_fraction(text), "log time {text:?}");
        }
    }
    if let Some(t) = db {
        let trimmed = text.trim();
        if is_canonical(trimmed, b' ') {
            // `YYYY-MM-DD HH:MM:SS` in the database is UTC.
            let utc = t.format("%Y-%m-%d %H:%M:%S%.f").to_string();
            assert_eq!(trim_fraction(&utc), trim_fraction(trimmed), "db time {text:?}");
        } else if is_canonical(trimmed, b'T') {
            // `YYYY-MM-DDTHH:MM:SS` with no offset is the writer's local time.
            let wall = t.with_timezone(&offset).format("%Y-%m-%dT%H:%M:%S%.f").to_string();
            assert_eq!(trim_fraction(&wall), trim_fraction(trimmed), "db time {text:?}");
        }
    }
    if let Some(t) = stamp {
        if text.len() == 15
            && text
                .bytes()
                .enumerate()
                .all(|(i, c)| (i == 8) == (c == b'_') && (i == 8 || c.is_ascii_digit()))
        {
            assert_eq!(
                t.with_timezone(&offset).format("%Y%m%d_%H%M%S").to_string(),
                text,
                "stamp {text:?}"
            );
        }
    }
}

/// Shown as RFC 3339 in `zone` (as every output is), `t` reads back as the
/// same instant, as RFC 3339 and as a database time.
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

/// `YYYY-MM-DD<sep>HH:MM:SS`, optionally `.` and 1 to 9 digits: the shape every writer uses.
fn is_canonical(text: &str, separator: u8) -> bool {
    let b = text.as_bytes();
    let fixed = b.len() >= 19
        && b[..19].iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            10 => *c == separator,
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
