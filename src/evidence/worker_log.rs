//! Worker logs (docs/behaviour.md, "Worker logs"): the step lines
//! `<YYYY-MM-DD HH:MM:SS> [<LEVEL>] [<sub-step>] <event>: <detail>`, and a
//! parser that folds a log's lines into its [`Run`]. Every other line
//! (the banner, tracebacks, `[claude_cli]` notes, Japanese progress notes) is
//! not a step line. Review logs use the same line shape for their worker-like
//! parts (`super::review_log`).

use super::run::Run;
use crate::step::{Step, StepEvent};
use crate::time::{parse_log_timestamp, Instant, Zone};

/// A line in the worker's step shape.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StepLine<'a> {
    /// The local wall-clock text, `YYYY-MM-DD HH:MM:SS`.
    pub time: &'a str,
    pub sub_step: &'a str,
    pub event: StepEvent,
    pub detail: &'a str,
}

/// What a step line means for the run it is in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Meaning<'a> {
    /// A sub-step of one of the seven steps.
    Step(Step, StepEvent),
    /// `[error] failed: <message>`: the run failed.
    RunFailed(&'a str),
    /// `[complete] success`: the run finished.
    RunCompleted,
    /// Belongs to no step (`[self_healing]`, `[next_task]`, `[claude_cli] …`).
    Unrelated,
}

/// Parses one line (without its line break; a trailing `\r` is ignored).
/// Returns `None` for anything that is not in the step shape.
pub fn parse_line(line: &str) -> Option<StepLine<'_>> {
    let line = line.strip_suffix('\r').unwrap_or(line);
    let bytes = line.as_bytes();
    if bytes.len() < 21 || !looks_like_timestamp(&bytes[..19]) || bytes[19] != b' ' {
        return None;
    }
    let (_level, rest) = bracketed(&line[20..])?;
    let (sub_step, rest) = bracketed(rest.strip_prefix(' ')?)?;
    let rest = rest.strip_prefix(' ')?;
    let colon = rest.find(':')?;
    let event = &rest[..colon];
    let valid_event =
        !event.is_empty() && event.len() <= 32 && event.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
    valid_event.then(|| StepLine {
        time: &line[..19],
        sub_step,
        event: StepEvent::parse(event),
        detail: rest[colon + 1..].trim(),
    })
}

impl StepLine<'_> {
    /// The task a `[get_task_info] start: <task>` line opens a run of.
    pub fn opened_task(&self) -> Option<&str> {
        let opens = self.sub_step == "get_task_info" && self.event == StepEvent::Start;
        opens.then(|| self.detail.split_whitespace().next()).flatten()
    }

    pub fn meaning(&self) -> Meaning<'_> {
        match (self.sub_step, self.event) {
            ("error", StepEvent::Failed) => Meaning::RunFailed(self.detail),
            ("complete", StepEvent::Success) => Meaning::RunCompleted,
            (sub, event) => Step::from_sub_step(sub).map_or(Meaning::Unrelated, |step| Meaning::Step(step, event)),
        }
    }

    /// Feeds this line into `run`, times read in `zone`.
    pub fn apply(&self, run: &mut Run, zone: Zone) {
        let at = parse_log_timestamp(self.time, zone);
        if self.sub_step == "assign_worker" && self.event == StepEvent::Start && self.detail.contains("リワーク") {
            run.set_rework();
        }
        match self.meaning() {
            Meaning::Step(step, event) => run.step_event(at, step, event),
            Meaning::RunFailed(message) => run.run_failed(at, message.to_owned()),
            Meaning::RunCompleted => run.run_completed(at),
            Meaning::Unrelated => {}
        }
    }
}

/// One run of the pipeline in a worker log. The daemon's log holds one run
/// (its launch's); a worker started with `--loop` goes on with the next task
/// of the order in the same output, each run opening with
/// `[get_task_info] start: <task>`: a later run belongs to the task it names.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LogRun {
    /// The task its `[get_task_info] start:` line names (`None` before that line).
    pub task_id: Option<String>,
    /// The time of its first step line.
    pub began_at: Option<Instant>,
    pub run: Run,
}

/// Reads a worker log line by line into its runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkerLogParser {
    /// Never empty: the first run is there before its first line.
    runs: Vec<LogRun>,
    zone: Zone,
    first_line: bool,
}

impl WorkerLogParser {
    pub fn new(zone: Zone) -> WorkerLogParser {
        WorkerLogParser {
            runs: vec![LogRun::default()],
            zone,
            first_line: true,
        }
    }

    pub fn feed(&mut self, line: &str) {
        let line = if std::mem::replace(&mut self.first_line, false) {
            line.strip_prefix('\u{feff}').unwrap_or(line)
        } else {
            line
        };
        let Some(parsed) = parse_line(line) else { return };
        let at = parse_log_timestamp(parsed.time, self.zone);
        if let Some(task) = parsed.opened_task() {
            let current = self.runs.last_mut().expect("never empty");
            if current.task_id.is_none() && current.run.is_empty() {
                current.task_id = Some(task.to_owned());
            } else if current.task_id.as_deref() != Some(task) || current.run.is_terminated() {
                self.runs.push(LogRun {
                    task_id: Some(task.to_owned()),
                    ..LogRun::default()
                });
            }
        }
        let current = self.runs.last_mut().expect("never empty");
        if matches!(
            parsed.meaning(),
            Meaning::Step(..) | Meaning::RunFailed(_) | Meaning::RunCompleted
        ) {
            current.began_at = current.began_at.or(at);
        }
        parsed.apply(&mut current.run, self.zone);
    }

    /// A line still being written: counted, unless it opens a run (the task
    /// it names may be cut short: `TASK_1` of `TASK_12`); that line counts
    /// once it is whole.
    pub fn feed_partial(&mut self, line: &str) {
        if parse_line(line).is_some_and(|parsed| parsed.opened_task().is_some()) {
            return;
        }
        self.feed(line);
    }

    /// Whether nothing later in the log can change what it says: never, for a
    /// worker log (a `--loop` worker goes on with the next task's run).
    pub fn is_finished(&self) -> bool {
        false
    }

    /// The log's runs, oldest first.
    pub fn runs(&self) -> &[LogRun] {
        &self.runs
    }

    /// The run the log was launched for (its first).
    #[cfg(test)]
    pub fn launch_run(&self) -> &Run {
        &self.runs[0].run
    }
}

/// `[` name `]` at the start of `s`, name of ASCII letters, digits and `_`.
pub(super) fn bracketed(s: &str) -> Option<(&str, &str)> {
    let inner = s.strip_prefix('[')?;
    let end = inner.find(']')?;
    let name = &inner[..end];
    let valid = !name.is_empty() && name.len() <= 64 && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    valid.then(|| (name, &inner[end + 1..]))
}

/// `YYYY-MM-DD HH:MM:SS` (digits and separators only).
pub(super) fn looks_like_timestamp(b: &[u8]) -> bool {
    b.len() == 19
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            10 => *c == b' ',
            13 | 16 => *c == b':',
            _ => c.is_ascii_digit(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::run::Outcome;

    /// Found by fuzzing: a `--loop` log's next run opening while its line is
    /// still being written must not open a run for a task id cut short.
    #[test]
    fn a_line_being_written_does_not_open_a_run_for_a_cut_task_id() {
        let mut p = WorkerLogParser::new(Zone::japan());
        p.feed("2026-10-24 10:51:49 [INFO] [get_task_info] start: TASK_1");
        p.feed("2026-10-24 10:51:50 [INFO] [complete] success: Worker処理完了");
        let mut partial = p.clone();
        partial.feed_partial("2026-10-24 10:51:51 [INFO] [get_task_info] start: TASK_1");
        assert_eq!(partial.runs().len(), 1, "no run for TASK_1 (of TASK_12) yet");
        p.feed("2026-10-24 10:51:51 [INFO] [get_task_info] start: TASK_12");
        let tasks: Vec<_> = p.runs().iter().map(|r| r.task_id.as_deref()).collect();
        assert_eq!(tasks, [Some("TASK_1"), Some("TASK_12")]);
        // Any other line being written counts at once.
        p.feed_partial("2026-10-24 10:51:52 [INFO] [assign_worker] start: mode=通常");
        assert_eq!(p.runs()[1].run.reached(), Some(Step::AssignWorker));
    }

    /// Found by fuzzing: nothing after a run's end counts, its rework mark included.
    #[test]
    fn a_rework_mark_after_the_run_ended_does_not_make_it_a_rework() {
        let mut p = WorkerLogParser::new(Zone::japan());
        p.feed("2026-10-24 10:51:50 [INFO] [execute_task] start: x");
        p.feed("2026-10-24 10:51:50 [INFO] [complete] success: x");
        p.feed("2026-10-24 10:51:51 [INFO] [assign_worker] start: mode=リワーク");
        assert!(!p.launch_run().is_rework());
    }

    fn meaning(line: &'static str) -> Option<Meaning<'static>> {
        let parsed = parse_line(line)?;
        Some(match parsed.meaning() {
            Meaning::RunFailed(_) => Meaning::RunFailed(parsed.detail),
            Meaning::Step(step, event) => Meaning::Step(step, event),
            Meaning::RunCompleted => Meaning::RunCompleted,
            Meaning::Unrelated => Meaning::Unrelated,
        })
    }

    #[test]
    fn real_lines_parse() {
        use Meaning::*;
        let cases: &[(&str, Option<Meaning>)] = &[
            (
                "2026-10-24 10:51:49 [INFO] [assign_worker] start: mode=通常",
                Some(Step(super::Step::AssignWorker, StepEvent::Start)),
            ),
            (
                "2026-10-24 10:51:49 [INFO] [file_lock] skip: 対象ファイル未指定\r",
                Some(Step(super::Step::FileLock, StepEvent::Skip)),
            ),
            (
                "2026-10-24 10:51:53 [INFO] [execute_task] success: ",
                Some(Step(super::Step::ExecuteTask, StepEvent::Success)),
            ),
            (
                "2026-10-24 10:51:53 [INFO] [error] failed: REPORT作成不可: execution_resultが空",
                Some(RunFailed("REPORT作成不可: execution_resultが空")),
            ),
            (
                "2026-10-24 10:52:09 [INFO] [complete] success: Worker処理完了",
                Some(RunCompleted),
            ),
            (
                "2026-10-24 10:52:09 [INFO] [auto_review] skipped: レビューはreview_workerで実行されます",
                Some(Step(super::Step::AutoReview, StepEvent::Skipped)),
            ),
            (
                "2026-10-24 10:52:09 [INFO] [model_upgrade] info: sonnet → opus",
                Some(Step(super::Step::ExecuteTask, StepEvent::Info)),
            ),
            (
                "2026-10-24 10:52:09 [INFO] [create_report] dry_run: no file",
                Some(Step(super::Step::CreateReport, StepEvent::Other)),
            ),
            (
                "2026-10-24 10:52:09 [INFO] [static_analysis] error: ruff missing",
                Some(Step(super::Step::CreateReport, StepEvent::Error)),
            ),
            (
                "2026-10-24 10:52:10 [INFO] [next_task] found: TASK_2003",
                Some(Unrelated),
            ),
            (
                "2026-10-24 10:51:53 [INFO] [self_healing] start: Handling execution failure",
                Some(Unrelated),
            ),
            (
                "2026-10-24 10:51:49 [INFO] [claude_cli] Executing: claude -p (model=opus)",
                None,
            ),
            ("2026-10-24 10:51:49 [INFO] Keyword match for 'document' profile", None),
            ("【Worker処理失敗】REPORT作成不可", None),
            ("[WARNING] 本番DB使用中 (execute_task.py)", None),
            ("2026-10-24 10:51:49 [INFO] [execute_task]start: x", None),
        ];
        for (line, want) in cases {
            assert_eq!(&meaning(line), want, "{line}");
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
        assert_eq!(
            parse_line("2026-10-24 10:51:49 日本語 [INFO] [assign_worker] start: x"),
            None
        );
        assert_eq!(
            parse_line("２０２６-10-24 10:51:49 [INFO] [assign_worker] start: x"),
            None
        );
        // the review worker's own lines are not in the step shape
        assert_eq!(
            parse_line("2026-12-02 03:54:30 [INFO] [2026-12-02 03:54:30] [VALIDATE] start - p/T"),
            None
        );
    }

    #[test]
    fn the_example_logs_fold_into_their_runs() {
        let zone = Zone::japan();
        let mut ok = WorkerLogParser::new(zone);
        include_str!("../../__test__/fixtures/worker_TASK_2001_20261024_105205.log")
            .lines()
            .for_each(|l| ok.feed(l));
        assert!(matches!(ok.launch_run().outcome(), Outcome::Completed { .. }));
        assert_eq!(ok.launch_run().reached(), Some(Step::UpdateStatusDone));
        assert_eq!(ok.runs().len(), 1);
        assert_eq!(ok.runs()[0].task_id.as_deref(), Some("TASK_2001"));

        let mut failed = WorkerLogParser::new(zone);
        include_str!("../../__test__/fixtures/worker_TASK_2002_20261024_105149.log")
            .lines()
            .for_each(|l| failed.feed(l));
        assert!(failed.launch_run().is_terminated());
        assert!(matches!(
            failed.launch_run().outcome(),
            Outcome::Failed {
                step: Step::CreateReport,
                ..
            }
        ));
    }

    #[test]
    fn a_loop_workers_output_holds_one_run_per_task_it_names() {
        // `execute_task.py P TASK_1 --json --verbose --loop`: TASK_1's run, its JSON, then TASK_2's.
        let text = "\u{feff}============================================================\r
[WARNING] 本番DB使用中 (execute_task.py)\r
2026-10-24 10:51:49 [INFO] [get_task_info] start: TASK_1\r
2026-10-24 10:51:49 [INFO] [assign_worker] start: mode=リワーク\r
2026-10-24 10:51:50 [INFO] [execute_task] start: model=opus\r
2026-10-24 10:52:09 [INFO] [complete] success: Worker処理完了\r
2026-10-24 10:52:09 [INFO] [next_task_check] info: 次タスク選定: TASK_2 (依存関係クリア)\r
2026-10-24 10:52:09 [INFO] [next_task] found: next=TASK_2\r
{\r
  \"success\": true,\r
  \"task_id\": \"TASK_1\"\r
}\r
【次タスク起動】TASK_2\r
2026-10-24 10:52:11 [INFO] [get_task_info] start: TASK_2\r
2026-10-24 10:52:11 [INFO] [assign_worker] start: mode=通常\r
";
        let mut p = WorkerLogParser::new(Zone::japan());
        text.lines().for_each(|l| p.feed(l));
        let runs = p.runs();
        assert_eq!(runs.len(), 2);
        assert_eq!(
            runs[0].task_id.as_deref(),
            Some("TASK_1"),
            "the BOM does not hide the first line"
        );
        assert!(matches!(runs[0].run.outcome(), Outcome::Completed { .. }));
        assert_eq!(runs[0].run.reached(), Some(Step::ExecuteTask));
        assert_eq!(runs[1].task_id.as_deref(), Some("TASK_2"));
        assert_eq!(runs[1].run.reached(), Some(Step::AssignWorker));
        assert_eq!(
            runs[1].began_at,
            crate::time::parse_log_timestamp("2026-10-24 10:52:11", Zone::japan())
        );
        assert!(!p.is_finished(), "a loop worker may go on");
    }

    #[test]
    fn a_log_with_no_step_line_yet_has_one_empty_run() {
        let mut p = WorkerLogParser::new(Zone::japan());
        p.feed("============================================================");
        p.feed("[WARNING] 本番DB使用中 (execute_task.py)");
        assert_eq!(p.runs().len(), 1);
        assert!(p.launch_run().is_empty());
    }
}
