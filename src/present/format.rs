//! `formatExecutionStepDisplay` (docs/behaviour.md, "The result"): `[4/7] AI実行中 (57%)`,
//! `[QUEUED] 実行中でない`, `エラー: <error>`.

use crate::locale::Locale;
use crate::step::{Step, TOTAL_STEPS};
use crate::time::Instant;

/// The fields of a result the one-line display reads. Results may come back
/// from JSON or IPC, so every field is optional.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DisplayFields<'a> {
    pub current_step: Option<&'a str>,
    pub current_step_display: Option<&'a str>,
    pub step_index: Option<i64>,
    pub total_steps: Option<i64>,
    pub progress_percent: Option<i64>,
    pub status: Option<&'a str>,
    pub error: Option<&'a str>,
}

/// One line for people. The step's display name is taken in `locale` when the
/// step is one of the seven, so a result fetched in one language can be shown in the other.
pub fn format_display(info: &DisplayFields<'_>, locale: Locale) -> String {
    if let Some(error) = info.error.filter(|e| !e.is_empty()) {
        return format!("{}: {error}", locale.error_prefix());
    }
    let step = info.current_step.and_then(Step::from_name);
    // Numbers outside what a result can hold (from a hand-made or damaged
    // object) are ignored, not printed.
    let total = info
        .total_steps
        .filter(|t| (1..=1000).contains(t))
        .unwrap_or(TOTAL_STEPS as i64);
    let index = info
        .step_index
        .filter(|i| (0..total).contains(i))
        .or(step.map(|s| s.index() as i64));
    match index {
        Some(index) if info.current_step.is_some() => {
            let display = step
                .map(|s| s.display(locale))
                .or(info.current_step_display)
                .or(info.current_step)
                .unwrap_or("");
            let percent = info
                .progress_percent
                .filter(|p| (0..=100).contains(p))
                .or(step.map(|s| s.progress_percent() as i64))
                .unwrap_or(0);
            format!(
                "[{}/{}] {display}{} ({percent}%)",
                index + 1,
                total,
                locale.running_suffix()
            )
        }
        _ => format!("[{}] {}", info.status.unwrap_or("UNKNOWN"), locale.not_running()),
    }
}

/// `formatRemaining`: how long the running run has left, by its estimate
/// (`expected_end_at`, `overdue`), at `now`: `残り約3分`, `残り1分未満`,
/// `予定超過` / `about 3 min left`, `less than a minute left`, `overdue`. Empty
/// without an estimate (not running, or too little history).
pub fn format_remaining(expected_end_at: Option<Instant>, overdue: bool, now: Instant, locale: Locale) -> String {
    let Some(end) = expected_end_at else {
        return String::new();
    };
    if overdue || end <= now {
        return match locale {
            Locale::Ja => "予定超過".into(),
            Locale::En => "overdue".into(),
        };
    }
    let seconds = (end - now).num_seconds();
    if seconds < 60 {
        return match locale {
            Locale::Ja => "残り1分未満".into(),
            Locale::En => "less than a minute left".into(),
        };
    }
    // Whole minutes, rounded; past an hour, hours and minutes.
    let minutes = (seconds + 30) / 60;
    let (h, m) = (minutes / 60, minutes % 60);
    match (locale, h) {
        (Locale::Ja, 0) => format!("残り約{m}分"),
        (Locale::Ja, _) if m == 0 => format!("残り約{h}時間"),
        (Locale::Ja, _) => format!("残り約{h}時間{m}分"),
        (Locale::En, 0) => format!("about {m} min left"),
        (Locale::En, _) if m == 0 => format!("about {h} h left"),
        (Locale::En, _) => format!("about {h} h {m} min left"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn running(step: &str, index: i64, percent: i64) -> DisplayFields<'_> {
        DisplayFields {
            current_step: Some(step),
            step_index: Some(index),
            total_steps: Some(7),
            progress_percent: Some(percent),
            status: Some("IN_PROGRESS"),
            ..Default::default()
        }
    }

    #[test]
    fn the_spec_examples() {
        assert_eq!(
            format_display(&running("execute_task", 3, 57), Locale::Ja),
            "[4/7] AI実行中 (57%)"
        );
        assert_eq!(
            format_display(&running("execute_task", 3, 57), Locale::En),
            "[4/7] Run AI (57%)"
        );
        let queued = DisplayFields {
            status: Some("QUEUED"),
            step_index: Some(-1),
            ..Default::default()
        };
        assert_eq!(format_display(&queued, Locale::Ja), "[QUEUED] 実行中でない");
        assert_eq!(format_display(&queued, Locale::En), "[QUEUED] Not running");
        let failed = DisplayFields {
            error: Some("REPORT作成不可"),
            ..running("create_report", 4, 71)
        };
        assert_eq!(format_display(&failed, Locale::Ja), "エラー: REPORT作成不可");
        assert_eq!(format_display(&failed, Locale::En), "Error: REPORT作成不可");
    }

    #[test]
    fn partial_results_still_format() {
        let bare = DisplayFields {
            current_step: Some("file_lock"),
            ..Default::default()
        };
        assert_eq!(format_display(&bare, Locale::Ja), "[3/7] ファイルロック取得中 (42%)");
        assert_eq!(
            format_display(&DisplayFields::default(), Locale::Ja),
            "[UNKNOWN] 実行中でない"
        );
    }

    #[test]
    fn absurd_numbers_are_ignored_not_printed() {
        let absurd = DisplayFields {
            current_step: Some("execute_task"),
            step_index: Some(i64::MAX),
            total_steps: Some(-7),
            progress_percent: Some(i64::MIN),
            status: Some("IN_PROGRESS"),
            ..Default::default()
        };
        assert_eq!(format_display(&absurd, Locale::Ja), "[4/7] AI実行中 (57%)");
    }

    #[test]
    fn remaining_time_reads_as_people_say_it() {
        use chrono::{TimeDelta, TimeZone, Utc};
        let now = Utc.with_ymd_and_hms(2026, 12, 6, 3, 0, 0).unwrap();
        let in_ = |s: i64| Some(now + TimeDelta::seconds(s));
        let cases: &[(Option<Instant>, bool, &str, &str)] = &[
            (in_(185), false, "残り約3分", "about 3 min left"),
            (in_(59), false, "残り1分未満", "less than a minute left"),
            (in_(3600), false, "残り約1時間", "about 1 h left"),
            (in_(4850), false, "残り約1時間21分", "about 1 h 21 min left"),
            (in_(600), true, "予定超過", "overdue"),
            (in_(-5), false, "予定超過", "overdue"),
            (None, false, "", ""),
        ];
        for &(end, overdue, ja, en) in cases {
            assert_eq!(format_remaining(end, overdue, now, Locale::Ja), ja);
            assert_eq!(format_remaining(end, overdue, now, Locale::En), en);
        }
    }
}
