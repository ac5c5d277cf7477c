//! Timestamps as the AI PM database and worker logs write them (docs/behaviour.md, "Timestamps").
//!
//! * `YYYY-MM-DD HH:MM:SS` in the database is SQLite's `CURRENT_TIMESTAMP`: **UTC**.
//! * `YYYY-MM-DDTHH:MM:SS[.ffffff]` with no offset is written by the Python
//!   backend in the writer's **local** time.
//! * Worker-log lines (`YYYY-MM-DD HH:MM:SS`) and log file stamps are **local**.
//! * Anything with `Z` or an offset is taken as given.
//!
//! Everything this product outputs is RFC 3339 with an offset, in the reader's zone.

use chrono::{
    DateTime, Datelike, FixedOffset, Local, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, SecondsFormat, TimeZone,
    Utc,
};

/// A point in time. All evidence is compared in UTC.
pub type Instant = DateTime<Utc>;

/// The zone writer-local timestamps were written in, and outputs are shown in.
/// The workers, the app and this addon run on the same desktop, so this is the
/// process's local zone; tests pin it to a fixed offset.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Zone {
    Local,
    Fixed(FixedOffset),
}

impl Zone {
    /// Japan Standard Time (UTC+9), where most users are.
    pub fn japan() -> Zone {
        Zone::Fixed(FixedOffset::east_opt(9 * 3600).expect("valid offset"))
    }

    /// The instant a wall-clock time in this zone names. In a DST gap, the
    /// time an hour later; in a DST overlap, the earlier of the two.
    pub fn from_local(self, naive: NaiveDateTime) -> Instant {
        fn pick<Tz: TimeZone>(tz: &Tz, naive: NaiveDateTime) -> Instant {
            match tz.from_local_datetime(&naive) {
                LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => t.with_timezone(&Utc),
                LocalResult::None => match tz.from_local_datetime(&(naive + chrono::Duration::hours(1))) {
                    LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => t.with_timezone(&Utc),
                    LocalResult::None => Utc.from_utc_datetime(&naive),
                },
            }
        }
        match self {
            Zone::Local => pick(&Local, naive),
            Zone::Fixed(offset) => pick(&offset, naive),
        }
    }

    /// The wall-clock time of `t` in this zone.
    pub fn local(self, t: Instant) -> NaiveDateTime {
        match self {
            Zone::Local => t.with_timezone(&Local).naive_local(),
            Zone::Fixed(offset) => t.with_timezone(&offset).naive_local(),
        }
    }

    /// RFC 3339 with this zone's offset, e.g. `2026-10-24T10:51:49+09:00`.
    pub fn format(self, t: Instant) -> String {
        match self {
            Zone::Local => t.with_timezone(&Local).to_rfc3339_opts(SecondsFormat::AutoSi, false),
            Zone::Fixed(offset) => t.with_timezone(&offset).to_rfc3339_opts(SecondsFormat::AutoSi, false),
        }
    }
}

/// What the reader needs to interpret times: the writers' zone and "now".
#[derive(Copy, Clone, Debug)]
pub struct Clock {
    pub zone: Zone,
    pub now: Instant,
}

impl Clock {
    pub fn system() -> Clock {
        Clock {
            zone: Zone::Local,
            now: Utc::now(),
        }
    }
}

/// A database timestamp, per the rules at the top of this module.
/// Returns `None` for anything unparseable (never an error: a bad row is not a crash).
pub fn parse_db_timestamp(text: &str, zone: Zone) -> Option<Instant> {
    let text = text.trim();
    if text.len() < 19 || !text.is_char_boundary(10) {
        return None;
    }
    if has_offset(text) {
        if let Ok(t) = DateTime::parse_from_rfc3339(text) {
            return showable(t.with_timezone(&Utc));
        }
    }
    let separator = text.as_bytes()[10];
    let naive = parse_naive(text)?;
    match separator {
        b' ' => showable(Utc.from_utc_datetime(&naive)),
        b'T' => showable(zone.from_local(naive)),
        _ => None,
    }
}

/// A worker-log time (`YYYY-MM-DD HH:MM:SS`), written in the writer's local zone.
pub fn parse_log_timestamp(text: &str, zone: Zone) -> Option<Instant> {
    parse_naive(text).map(|naive| zone.from_local(naive)).and_then(showable)
}

/// The launch stamp of a log file name (`YYYYMMDD_HHMMSS`), local time.
pub fn parse_log_file_stamp(stamp: &str, zone: Zone) -> Option<Instant> {
    NaiveDateTime::parse_from_str(stamp, "%Y%m%d_%H%M%S")
        .ok()
        .map(|naive| zone.from_local(naive))
        .and_then(showable)
}

/// `t` if it can be shown as RFC 3339 (four-digit year) in every zone, that is
/// at least a day away from year 0 and year 10000; `None` otherwise, like any
/// other unusable time (found by fuzzing: `9999-12-31 23:59:59` shown at +09:00
/// is in year 10000).
fn showable(t: Instant) -> Option<Instant> {
    (1..=9998).contains(&t.year()).then_some(t)
}

/// Whether `text` ends in `Z` or a `±hh:mm` offset (only then can it be RFC 3339).
fn has_offset(text: &str) -> bool {
    let b = text.as_bytes();
    matches!(b.last(), Some(b'Z' | b'z'))
        || (b.len() >= 6 && matches!(b[b.len() - 6], b'+' | b'-') && b[b.len() - 3] == b':')
}

fn parse_naive(text: &str) -> Option<NaiveDateTime> {
    const FORMATS: [&str; 2] = ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"];
    parse_naive_exact(text).or_else(|| FORMATS.iter().find_map(|f| NaiveDateTime::parse_from_str(text, f).ok()))
}

/// The two shapes every writer uses, `YYYY-MM-DD[ T]HH:MM:SS[.f…]`, read byte
/// by byte: a read parses thousands of them, and chrono's format-driven parser
/// costs several times more. Anything else (or out of range) is left to it.
fn parse_naive_exact(text: &str) -> Option<NaiveDateTime> {
    let b = text.as_bytes();
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b' ' | b'T') || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let digits = |d: &[u8]| {
        d.iter()
            .try_fold(0u32, |n, &c| c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0')))
    };
    let nanos = match &b[19..] {
        [] => 0,
        [b'.', fraction @ ..] if (1..=9).contains(&fraction.len()) => {
            digits(fraction)? * 10u32.pow(9 - fraction.len() as u32)
        }
        _ => return None,
    };
    let date = NaiveDate::from_ymd_opt(digits(&b[0..4])? as i32, digits(&b[5..7])?, digits(&b[8..10])?)?;
    let time = NaiveTime::from_hms_nano_opt(digits(&b[11..13])?, digits(&b[14..16])?, digits(&b[17..19])?, nanos)?;
    Some(date.and_time(time))
}

/// Milliseconds from `from` to `to`, never negative.
pub fn elapsed_ms(from: Instant, to: Instant) -> u64 {
    (to - from).num_milliseconds().max(0) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> Instant {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn sqlite_current_timestamp_is_utc_and_python_isoformat_is_local() {
        let jst = Zone::japan();
        let cases = [
            ("2026-10-24 01:51:49", Some("2026-10-24T01:51:49Z")),
            ("2026-10-24T10:51:49", Some("2026-10-24T01:51:49Z")),
            ("2026-10-24T10:51:49.123456", Some("2026-10-24T01:51:49.123456Z")),
            ("2026-10-24T10:51:49+09:00", Some("2026-10-24T01:51:49Z")),
            ("2026-10-24T01:51:49Z", Some("2026-10-24T01:51:49Z")),
            ("2026-10-24T01:51:49.5Z", Some("2026-10-24T01:51:49.5Z")),
            ("  2026-10-24 01:51:49 ", Some("2026-10-24T01:51:49Z")),
            ("yesterday", None),
            ("", None),
            ("2026-13-40 99:99:99", None),
            ("２０２６-10-24 01:51:49", None),
            // outside what RFC 3339 can show in every zone
            ("9999-12-31 23:59:59", None),
            ("9999-12-31T23:59:59Z", None),
            ("0000-01-01 00:00:00", None),
            ("+12026-10-24 01:51:49", None),
        ];
        for (text, want) in cases {
            assert_eq!(parse_db_timestamp(text, jst), want.map(utc), "{text:?}");
        }
    }

    #[test]
    fn the_byte_parser_agrees_with_chrono() {
        let cases = [
            "2026-10-24 01:51:49",
            "2026-10-24T10:51:49",
            "2026-10-24T10:51:49.123456",
            "2026-10-24 10:51:49.5",
            "2026-10-24T10:51:49.123456789",
            "2026-02-29 01:00:00",
            "2028-02-29 01:00:00",
            "2026-10-24 24:00:00",
            "2026-10-24 23:59:60",
            "2026-10-24 01:51:49.",
            "2026-10-24 01:51:49x",
            "2026-1a-24 01:51:49",
            "2026-10-24T10:51:49.1234567891",
        ];
        for text in cases {
            let chrono = ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"]
                .iter()
                .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok());
            assert_eq!(parse_naive(text), chrono, "{text:?}");
            if let Some(exact) = parse_naive_exact(text) {
                assert_eq!(Some(exact), chrono, "{text:?}");
            }
        }
    }

    #[test]
    fn log_times_and_file_stamps_are_local() {
        let jst = Zone::japan();
        assert_eq!(
            parse_log_timestamp("2026-10-24 10:51:49", jst),
            Some(utc("2026-10-24T01:51:49Z"))
        );
        assert_eq!(
            parse_log_file_stamp("20261024_105149", jst),
            Some(utc("2026-10-24T01:51:49Z"))
        );
        assert_eq!(parse_log_file_stamp("2026102_105149x", jst), None);
        assert_eq!(
            parse_log_timestamp("9999-12-31 23:59:59", Zone::Fixed(FixedOffset::west_opt(3600).unwrap())),
            None
        );
        assert_eq!(parse_log_file_stamp("00000101_000000", jst), None);
    }

    #[test]
    fn output_is_rfc3339_with_the_zone_offset() {
        let jst = Zone::japan();
        assert_eq!(jst.format(utc("2026-10-24T01:51:49Z")), "2026-10-24T10:51:49+09:00");
        assert_eq!(
            jst.format(utc("2026-10-24T01:51:49.250Z")),
            "2026-10-24T10:51:49.250+09:00"
        );
    }

    #[test]
    fn elapsed_is_clamped_at_zero() {
        let a = utc("2026-10-24T01:51:49Z");
        let b = utc("2026-10-24T01:51:53Z");
        assert_eq!(elapsed_ms(a, b), 4000);
        assert_eq!(elapsed_ms(b, a), 0);
    }
}
