//! One line of a worker log (SPEC §4):
//! `<YYYY-MM-DD HH:MM:SS> [<LEVEL>] [<sub-step>] <event>: <detail>`.
//! Every other line (banners, tracebacks, `[claude_cli]` notes) is not a step line.

use crate::steps::{Step, StepEvent};
use crate::time::{parse_log_timestamp, Instant, Zone};
use crate::timeline::Timeline;

/// What a step line says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LogEntry<'a> {
    /// A sub-step of one of the seven steps.
    Step { step: Step, event: StepEvent },
    /// `[error] failed: <message>`: the run failed.
    RunFailed { message: &'a str },
    /// `[complete] success`: the run finished.
    RunCompleted,
}

/// A parsed step line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogLine<'a> {
    /// The local wall-clock text, `YYYY-MM-DD HH:MM:SS`.
    pub time: &'a str,
    pub entry: LogEntry<'a>,
}

/// Parses one line (without its line break; a trailing `\r` is ignored).
/// Returns `None` for anything that is not a step line this product uses.
pub fn parse_line(line: &str) -> Option<LogLine<'_>> {
    let line = line.strip_suffix('\r').unwrap_or(line);
    let bytes = line.as_bytes();
    if bytes.len() < 21 || !looks_like_timestamp(&bytes[..19]) || bytes[19] != b' ' {
        return None;
    }
    let time = &line[..19];
    let rest = &line[20..];
    let (_level, rest) = bracketed(rest)?;
    let rest = rest.strip_prefix(' ')?;
    let (sub_step, rest) = bracketed(rest)?;
    let rest = rest.strip_prefix(' ')?;
    let colon = rest.find(':')?;
    let event = StepEvent::from_name(&rest[..colon])?;
    let detail = rest[colon + 1..].trim();
    let entry = match (sub_step, event) {
        ("error", StepEvent::Failed) => LogEntry::RunFailed { message: detail },
        ("complete", StepEvent::Success) => LogEntry::RunCompleted,
        _ => LogEntry::Step {
            step: Step::from_sub_step(sub_step)?,
            event,
        },
    };
    Some(LogLine { time, entry })
}

impl LogLine<'_> {
    /// Feeds this line into a run's timeline.
    pub fn apply(&self, timeline: &mut Timeline, zone: Zone) {
        let at: Option<Instant> = parse_log_timestamp(self.time, zone);
        match &self.entry {
            LogEntry::Step { step, event } => timeline.step_event(at, *step, *event),
            LogEntry::RunFailed { message } => timeline.run_failed(at, (*message).to_owned()),
            LogEntry::RunCompleted => timeline.run_completed(at),
        }
    }
}

/// `[` name `]` at the start of `s`, name of ASCII letters, digits and `_`.
fn bracketed(s: &str) -> Option<(&str, &str)> {
    let inner = s.strip_prefix('[')?;
    let end = inner.find(']')?;
    let name = &inner[..end];
    let valid = !name.is_empty() && name.len() <= 64 && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    valid.then(|| (name, &inner[end + 1..]))
}

fn looks_like_timestamp(b: &[u8]) -> bool {
    b.iter().enumerate().all(|(i, c)| match i {
        4 | 7 => *c == b'-',
        10 => *c == b' ',
        13 | 16 => *c == b':',
        _ => c.is_ascii_digit(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_lines_parse() {
        let cases: [(&str, Option<LogEntry>); 12] = [
            (
                "2026-10-24 10:51:49 [INFO] [assign_worker] start: mode=通常",
                Some(LogEntry::Step {
                    step: Step::AssignWorker,
                    event: StepEvent::Start,
                }),
            ),
            (
                "2026-10-24 10:51:49 [INFO] [file_lock] skip: 対象ファイル未指定\r",
                Some(LogEntry::Step {
                    step: Step::FileLock,
                    event: StepEvent::Skip,
                }),
            ),
            (
                "2026-10-24 10:51:53 [INFO] [execute_task] success: ",
                Some(LogEntry::Step {
                    step: Step::ExecuteTask,
                    event: StepEvent::Success,
                }),
            ),
            (
                "2026-10-24 10:51:53 [INFO] [error] failed: REPORT作成不可: execution_resultが空",
                Some(LogEntry::RunFailed {
                    message: "REPORT作成不可: execution_resultが空",
                }),
            ),
            (
                "2026-10-24 10:52:09 [INFO] [complete] success: Worker処理完了",
                Some(LogEntry::RunCompleted),
            ),
            (
                "2026-10-24 10:52:09 [INFO] [convert_report_to_html] warning: HTML変換失敗（継続）",
                Some(LogEntry::Step {
                    step: Step::CreateReport,
                    event: StepEvent::Warning,
                }),
            ),
            (
                "2026-10-24 10:51:49 [INFO] [claude_cli] Executing: claude -p (model=opus)",
                None,
            ),
            (
                "2026-10-24 10:51:53 [INFO] [self_healing] start: Handling execution failure",
                None,
            ),
            ("2026-10-24 10:51:49 [INFO] Keyword match for 'document' profile", None),
            ("【Worker処理失敗】REPORT作成不可", None),
            ("Traceback (most recent call last):", None),
            ("2026-10-24 10:51:49 [INFO] [execute_task]start: x", None),
        ];
        for (line, want) in cases {
            assert_eq!(parse_line(line).map(|l| l.entry), want, "{line}");
        }
    }

    #[test]
    fn hostile_lines_are_not_step_lines() {
        let long = format!("2026-10-24 10:51:49 [INFO] [{}] start: x", "a".repeat(10_000));
        for line in [
            "",
            "2026",
            "2026-10-24 10:51:49",
            "2026-10-24 10:51:49 [",
            "2026-10-24 10:51:49 [INFO] [",
            &long,
        ] {
            assert_eq!(parse_line(line), None, "{line:?}");
        }
        // multi-byte text right after the timestamp must not split a character
        assert_eq!(
            parse_line("2026-10-24 10:51:49 日本語 [INFO] [assign_worker] start: x"),
            None
        );
        assert_eq!(
            parse_line("２０２６-10-24 10:51:49 [INFO] [assign_worker] start: x"),
            None
        );
    }
}
