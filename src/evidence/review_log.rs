//! Review logs (docs/behaviour.md, "Review logs"):
//! `<user-data>/logs/review_workers/<task>_review.log`, overwritten by each
//! review. Two line shapes are mixed:
//!
//! ```text
//! 2026-12-02 05:04:30 [INFO] [2026-12-02 05:04:30] [VALIDATE] start - ai_pm_manager/TASK_1101
//! 2026-12-02 05:04:31 [INFO] [execute_review] start: model=sonnet
//! 2026-12-02 05:04:33 [INFO] [auto_rework] start: task=TASK_1101
//! 2026-12-02 05:04:33 [INFO] [assign_worker] start: mode=リワーク
//! 2026-12-02 05:04:35 [INFO] [complete] success: Worker処理完了
//! 2026-12-02 05:04:35 [INFO] [auto_rework] success: リワーク完了、verdict=None
//! 2026-12-02 05:04:35 [INFO] [complete] success: レビュー完了: REJECTED
//! [OK] レビュー完了: TASK_1101 → REJECTED
//! ```
//!
//! The review worker's own lines (`[<PHASE>] <status> - <detail>`) and the
//! review processor's worker-shaped lines are all the review — step
//! `auto_review` — even where a sub-step has a worker step's name. The first
//! line names `<project>/<task>`. Between `[auto_rework] start` and
//! `[auto_rework] success|warning|…` comes the rework run, read exactly like a
//! worker log.

use super::run::{Run, Unmentioned};
use super::worker_log::{looks_like_timestamp, parse_line, Meaning};
use crate::step::StepEvent;
use crate::time::{parse_log_timestamp, Instant, Zone};

/// The review part of a review log.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReviewPart {
    /// When the review itself ended: its verdict was written out, the rework
    /// began, or the review worker finished or failed. `None` while it goes on.
    pub ended_at: Option<Instant>,
    /// `APPROVED`, `REJECTED`, `ESCALATED`, as the log says.
    pub verdict: Option<String>,
    /// It ended in an error.
    pub failed: bool,
    /// What went wrong, as the log last said it (`[execute_review] warning: AI実行失敗: …`,
    /// `[ERROR] …`): why a review that failed or escalated stopped.
    pub message: Option<String>,
}

/// The rework run inside a review log.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReworkPart {
    pub started_at: Option<Instant>,
    pub run: Run,
    /// `[auto_rework] success|warning|…`: the review worker is done with it.
    pub ended_at: Option<Instant>,
}

/// What a review log says.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReviewLog {
    /// The `<project>/<task>` the first line names.
    pub project_id: Option<String>,
    pub task_id: Option<String>,
    /// The time of the first line: when this review began.
    pub started_at: Option<Instant>,
    pub review: ReviewPart,
    pub rework: Option<ReworkPart>,
    /// The time of the latest line.
    pub last_at: Option<Instant>,
    /// The review worker's closing `[OK] …` or `[ERROR] …` line was written.
    pub closed: bool,
}

impl ReviewLog {
    /// Whether this is a review of the task `task_id` of `project_id`.
    pub fn is_for(&self, project_id: &str, task_id: &str) -> bool {
        self.project_id.as_deref() == Some(project_id) && self.task_id.as_deref() == Some(task_id)
    }
}

/// Where in the log the next line falls.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
enum Part {
    #[default]
    Review,
    Rework,
    AfterRework,
}

/// Reads a review log line by line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReviewLogParser {
    log: ReviewLog,
    zone: Zone,
    part: Part,
    first_line: bool,
}

impl ReviewLogParser {
    pub fn new(zone: Zone) -> ReviewLogParser {
        ReviewLogParser {
            log: ReviewLog::default(),
            zone,
            part: Part::Review,
            first_line: true,
        }
    }

    pub fn feed(&mut self, line: &str) {
        let line = line.strip_suffix('\r').unwrap_or(line);
        let line = if self.first_line {
            line.strip_prefix('\u{feff}').unwrap_or(line)
        } else {
            line
        };
        if line.trim().is_empty() {
            return;
        }
        let first = std::mem::replace(&mut self.first_line, false);
        // The review worker's closing line has no time: `[OK] レビュー完了: …` or `[ERROR] …`.
        if line.starts_with("[OK]") || line.starts_with("[ERROR]") {
            if let Some(error) = line.strip_prefix("[ERROR]") {
                self.note(error);
            }
            self.end_review(self.log.last_at, line.starts_with("[ERROR]"));
            self.log.closed = true;
            return;
        }
        let at = timestamp_of(line).and_then(|t| parse_log_timestamp(t, self.zone));
        if at.is_some() {
            self.log.started_at = self.log.started_at.or(at);
            self.log.last_at = at;
        }
        if let Some(own) = parse_review_worker_line(line) {
            if first && own.phase == "VALIDATE" {
                if let Some((project, task)) = own.detail.split_once('/') {
                    self.log.project_id = Some(project.trim().to_owned());
                    self.log.task_id = Some(task.trim().to_owned());
                }
            }
            // `[EXECUTE_REVIEW] success|error - …`, or an error of any of its steps
            // (`[VALIDATION] error`, `[REVIEW_WORKER] error`), ends the review.
            let failed = matches!(own.status, "error" | "failed");
            if failed && self.part == Part::Review {
                self.note(own.detail);
            }
            if failed || (own.phase == "EXECUTE_REVIEW" && own.status != "start") {
                self.end_review(at, own.status != "success");
            }
            return;
        }
        let Some(step_line) = parse_line(line) else { return };
        match (self.part, step_line.sub_step, step_line.event) {
            (Part::Review, "auto_rework", StepEvent::Start) => {
                self.end_review(at, false);
                self.part = Part::Rework;
                self.log.rework = Some(ReworkPart {
                    started_at: at,
                    run: Run::new(Unmentioned::Skipped),
                    ended_at: None,
                });
            }
            (Part::Rework, "auto_rework", event) if event != StepEvent::Start && event != StepEvent::Info => {
                self.part = Part::AfterRework;
                if let Some(rework) = &mut self.log.rework {
                    rework.ended_at = at;
                }
            }
            (Part::Rework, _, _) => {
                if let Some(rework) = &mut self.log.rework {
                    step_line.apply(&mut rework.run, self.zone);
                }
            }
            (_, "execute_review", StepEvent::Success) => {
                if let Some(verdict) = step_line.detail.strip_prefix("verdict=") {
                    self.log.review.verdict = Some(verdict.trim().to_owned());
                }
            }
            (_, _, event) => match step_line.meaning() {
                // The processor's own end: `[complete] success: レビュー完了: <verdict>`.
                Meaning::RunCompleted => {
                    if let Some((_, verdict)) = step_line.detail.rsplit_once(':') {
                        let verdict = verdict.trim();
                        if !verdict.is_empty() && self.log.review.verdict.is_none() {
                            self.log.review.verdict = Some(verdict.to_owned());
                        }
                    }
                    self.end_review(at, false)
                }
                Meaning::RunFailed(message) => {
                    self.note(message);
                    self.end_review(at, true)
                }
                _ if self.part == Part::Review && matches!(event, StepEvent::Warning | StepEvent::Error) => {
                    self.note(step_line.detail)
                }
                _ => {}
            },
        }
    }

    /// Keeps what the review said went wrong (while it has not ended).
    fn note(&mut self, message: &str) {
        let message = message.trim();
        if self.log.review.ended_at.is_none() && !message.is_empty() {
            self.log.review.message = Some(message.chars().take(1024).collect());
        }
    }

    fn end_review(&mut self, at: Option<Instant>, failed: bool) {
        let review = &mut self.log.review;
        if review.ended_at.is_none() {
            review.ended_at = at.or(self.log.last_at);
            review.failed = failed;
        }
    }

    /// Whether nothing later can change what the log says.
    pub fn is_finished(&self) -> bool {
        self.log.closed
    }

    pub fn log(&self) -> &ReviewLog {
        &self.log
    }
}

/// The review worker's own line: `<time> [<LEVEL>] [<time>] [<PHASE>] <status> - <detail>`.
struct ReviewWorkerLine<'a> {
    phase: &'a str,
    status: &'a str,
    detail: &'a str,
}

fn parse_review_worker_line(line: &str) -> Option<ReviewWorkerLine<'_>> {
    let rest = line.get(20..)?;
    let rest = rest.strip_prefix('[')?;
    let (_level, rest) = rest.split_once("] [")?;
    let (inner_time, rest) = rest.split_once("] [")?;
    if !looks_like_timestamp(inner_time.as_bytes()) {
        return None;
    }
    let (phase, rest) = rest.split_once("] ")?;
    if phase.is_empty() || !phase.bytes().all(|b| b.is_ascii_uppercase() || b == b'_') {
        return None;
    }
    let (status, detail) = rest.split_once(" - ").unwrap_or((rest, ""));
    Some(ReviewWorkerLine {
        phase,
        status: status.trim(),
        detail: detail.trim(),
    })
}

fn timestamp_of(line: &str) -> Option<&str> {
    let head = line.get(..19)?;
    looks_like_timestamp(head.as_bytes()).then_some(head)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::run::Outcome;
    use crate::step::Step;

    fn parse(text: &str) -> ReviewLogParser {
        let mut parser = ReviewLogParser::new(Zone::japan());
        text.lines().for_each(|l| parser.feed(l));
        parser
    }

    fn jst(s: &str) -> Option<Instant> {
        parse_log_timestamp(s, Zone::japan())
    }

    const APPROVED: &str = "\
2026-12-02 05:03:06 [INFO] [2026-12-02 05:03:06] [VALIDATE] start - ai_pm_manager/TASK_1101
2026-12-02 05:03:06 [INFO] [2026-12-02 05:03:06] [CHECK_STATUS] success - status=DONE
2026-12-02 05:03:06 [INFO] [2026-12-02 05:03:06] [EXECUTE_REVIEW] start - model=sonnet
2026-12-02 05:03:06 [INFO] [get_task_info] start: TASK_1101
2026-12-02 05:03:06 [INFO] [execute_review] start: model=sonnet
2026-12-02 05:03:08 [INFO] [execute_review] success: verdict=APPROVED
2026-12-02 05:03:08 [INFO] [update_status] success: COMPLETED, reviewed_at=2026-12-02T05:03:08.847242
2026-12-02 05:03:09 [INFO] [complete] success: レビュー完了: APPROVED
2026-12-02 05:03:09 [INFO] [2026-12-02 05:03:09] [EXECUTE_REVIEW] success - verdict=APPROVED
[OK] レビュー完了: TASK_1101 → APPROVED
";

    #[test]
    fn a_review_names_its_task_and_ends_with_its_verdict() {
        let p = parse(APPROVED);
        let log = p.log();
        assert!(log.is_for("ai_pm_manager", "TASK_1101"));
        assert!(!log.is_for("other_project", "TASK_1101"));
        assert_eq!(log.started_at, jst("2026-12-02 05:03:06"));
        assert_eq!(
            log.review,
            ReviewPart {
                ended_at: jst("2026-12-02 05:03:09"),
                verdict: Some("APPROVED".into()),
                failed: false,
                message: None,
            }
        );
        assert!(log.rework.is_none() && p.is_finished());
    }

    #[test]
    fn a_review_in_progress_has_not_ended_even_with_worker_step_names() {
        let cut = APPROVED.lines().take(5).collect::<Vec<_>>().join("\r\n");
        let p = parse(&cut);
        assert_eq!(p.log().review.ended_at, None);
        assert!(!p.is_finished());
        assert!(p.log().rework.is_none(), "get_task_info here is the review, not a run");
    }

    #[test]
    fn the_rework_run_is_read_like_a_worker_log() {
        let text = "\
2026-12-02 05:04:30 [INFO] [2026-12-02 05:04:30] [VALIDATE] start - ai_pm_manager/TASK_1101
2026-12-02 05:04:33 [INFO] [execute_review] success: verdict=REJECTED
2026-12-02 05:04:33 [INFO] [update_status] success: REWORK (reject_count=1, reviewed_at=2026-12-02T05:04:33.044724)
2026-12-02 05:04:33 [INFO] [auto_rework] start: task=TASK_1101
2026-12-02 05:04:33 [INFO] [get_task_info] start: TASK_1101
2026-12-02 05:04:33 [INFO] [assign_worker] start: mode=リワーク
2026-12-02 05:04:33 [INFO] [file_lock] success: ロック取得: 2ファイル
2026-12-02 05:04:34 [INFO] [execute_task] start: model=sonnet
";
        let p = parse(text);
        let log = p.log();
        assert_eq!(
            log.review.ended_at,
            jst("2026-12-02 05:04:33"),
            "the review is over when the rework begins"
        );
        assert_eq!(log.review.verdict.as_deref(), Some("REJECTED"));
        let rework = log.rework.as_ref().unwrap();
        assert_eq!(rework.started_at, jst("2026-12-02 05:04:33"));
        assert_eq!((rework.run.reached(), rework.ended_at), (Some(Step::ExecuteTask), None));

        let mut p = p;
        for line in [
            "2026-12-02 05:04:35 [INFO] [error] failed: REPORT作成不可",
            "2026-12-02 05:04:35 [INFO] [auto_rework] warning: リワーク失敗",
            "2026-12-02 05:04:35 [INFO] [complete] success: レビュー完了: REJECTED",
            "[OK] レビュー完了: TASK_1101 → REJECTED",
        ] {
            p.feed(line);
        }
        let rework = p.log().rework.as_ref().unwrap();
        assert!(matches!(
            rework.run.outcome(),
            Outcome::Failed {
                step: Step::ExecuteTask,
                ..
            }
        ));
        assert_eq!(rework.ended_at, jst("2026-12-02 05:04:35"));
        assert!(p.is_finished());
    }

    #[test]
    fn the_review_workers_failures_end_the_review() {
        let shapes = [
            "2026-12-02 05:12:05 [INFO] [2026-12-02 05:12:05] [VALIDATE] start - ai_pm_manager/TASK_1101\n\
             2026-12-02 05:12:05 [INFO] [get_task_info] start: TASK_1101\n\
             2026-12-02 05:12:05 [INFO] [error] failed: REPORTファイルが見つかりません\n",
            "2026-12-02 05:12:05 [INFO] [2026-12-02 05:12:05] [VALIDATE] start - ai_pm_manager/TASK_1101\n\
             2026-12-02 05:12:05 [ERROR] [2026-12-02 05:12:05] [REVIEW_WORKER] error - タスクがDONE状態ではありません: status=CANCELLED\n",
            "2026-12-02 05:12:05 [INFO] [2026-12-02 05:12:05] [VALIDATE] start - ai_pm_manager/TASK_1101\n\
             2026-12-02 05:12:05 [ERROR] [2026-12-02 05:12:05] [EXECUTE_REVIEW] error - レビュー失敗: x\n",
        ];
        for text in shapes {
            let p = parse(text);
            assert_eq!(
                (p.log().review.ended_at, p.log().review.failed),
                (jst("2026-12-02 05:12:05"), true),
                "{text}"
            );
            assert!(p.log().is_for("ai_pm_manager", "TASK_1101"));
        }
        // A multi-line entry's continuation lines (a traceback, SQL) are not lines of their own.
        let p = parse("2026-12-02 05:12:05 [INFO] [2026-12-02 05:12:05] [VALIDATE] start - p/T\n  File \"x.py\", line 1\nQuery: SELECT 1\n");
        assert_eq!(p.log().review.ended_at, None);
    }

    #[test]
    fn a_failed_review_and_a_log_without_a_named_task() {
        let p =
            parse("2026-12-02 05:04:30 [INFO] [2026-12-02 05:04:30] [VALIDATE] start - p/T\n[ERROR] レビュー失敗: T\n");
        assert!(p.log().review.failed && p.log().review.ended_at.is_some());
        let p = parse("2026-12-02 05:04:30 [INFO] [get_task_info] start: T\n");
        assert!(!p.log().is_for("p", "T"));
    }

    #[test]
    fn an_escalated_review_keeps_why_and_a_bom_hides_nothing() {
        // The review's AI call failed: the processor escalates (process_review.py).
        let text =
            "\u{feff}2026-12-02 05:20:00 [INFO] [2026-12-02 05:20:00] [VALIDATE] start - ai_pm_manager/TASK_1101\r
2026-12-02 05:20:00 [INFO] [2026-12-02 05:20:00] [EXECUTE_REVIEW] start - model=sonnet\r
2026-12-02 05:20:00 [INFO] [execute_review] start: model=sonnet\r
2026-12-02 05:25:00 [INFO] [execute_review] warning: AI実行失敗: timeout after 300s\r
2026-12-02 05:25:00 [INFO] [update_status] start: ESCALATED\r
2026-12-02 05:25:00 [INFO] [escalation] info: task=DONE→ESCALATED\r
2026-12-02 05:25:01 [INFO] [complete] success: レビュー完了: ESCALATED\r
";
        let p = parse(text);
        let log = p.log();
        assert!(
            log.is_for("ai_pm_manager", "TASK_1101"),
            "the BOM does not hide the project"
        );
        assert_eq!(log.started_at, jst("2026-12-02 05:20:00"));
        assert_eq!(log.review.ended_at, jst("2026-12-02 05:25:01"));
        assert_eq!(log.review.verdict.as_deref(), Some("ESCALATED"));
        assert_eq!(log.review.message.as_deref(), Some("AI実行失敗: timeout after 300s"));
    }
}
