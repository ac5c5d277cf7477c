//! Where a step is decided: from everything known about one task
//! ([`TaskEvidence`]) to its fully decided state ([`Decision`]) — whether it
//! is running, which source speaks for it, the step it is in, where it failed
//! and should resume, its progress, its seven-step timeline and its times
//! (SPEC §5). Pure: no database, no files, no clock.
//!
//! The order of the rules:
//! 1. The task's own history rows ([`ownership`]) give its attempts
//!    ([`attempt`]): the latest transition into IN_PROGRESS, REWORK or DONE.
//! 2. A run is the attempt's if it began with it and did not end before it
//!    ([`Attempt::admits`]). Of the attempt's runs, the strongest source
//!    speaks: `recorded` > `log` (worker log, or the rework part of the review
//!    log) > `history` (the seed's rules, [`history_rules`]) > `status`.
//! 3. Running: IN_PROGRESS always; REWORK while a run of its attempt is going
//!    (a rework run, recorded events, a worker log) or locks are held; DONE
//!    while a review of its attempt is going (its review log started after the
//!    move to DONE and has not ended).
//! 4. A task that is not running shows its latest run attempt.

pub mod attempt;
pub mod history_rules;
pub mod ownership;
pub mod timeline;

use self::attempt::{Attempt, Phase, HAND_START_LEAD};
use self::history_rules::history_run;
use self::ownership::own_rows;
use self::timeline::{timeline, ReviewSpan, RunEnding, StepSpan};
use crate::evidence::history::HistoryRow;
use crate::evidence::metadata::TaskMetadata;
use crate::evidence::review_log::ReviewLog;
use crate::evidence::run::{Outcome, Run, Unmentioned};
use crate::evidence::{OtherTask, TaskEvidence, TaskRow};
use crate::status::{StatusClass, TaskStatus};
use crate::step::{Step, StepEvent, TOTAL_STEPS};
use crate::time::Instant;

/// Which evidence a decision rests on.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Recorded,
    Log,
    History,
    Status,
}

impl Source {
    /// The name in results: `recorded`, `log`, `history`, `status`.
    pub fn name(self) -> &'static str {
        match self {
            Source::Recorded => "recorded",
            Source::Log => "log",
            Source::History => "history",
            Source::Status => "status",
        }
    }
}

/// Where and how a run failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    pub step: Step,
    pub message: String,
}

/// A task's fully decided state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    pub class: StatusClass,
    pub running: bool,
    pub source: Source,
    /// The step the task is in; `None` when it is not running.
    pub current_step: Option<Step>,
    /// How the attempt's run failed, if it did.
    pub failure: Option<Failure>,
    /// Whether the failure is the task's `error`: it is running, or stopped part-way.
    pub failure_is_error: bool,
    /// Where a retry should resume: the failed step, or where a stopped run stopped.
    pub resume_from: Option<Step>,
    pub progress_percent: u32,
    pub timeline: [StepSpan; TOTAL_STEPS],
    /// When the current (or latest) attempt began.
    pub started_at: Option<Instant>,
    /// The latest time any evidence about the task changed.
    pub last_updated: Option<Instant>,
}

/// Decides the state of the task `evidence` describes.
pub fn decide(evidence: &TaskEvidence<'_>) -> Decision {
    let task = evidence.task;
    let status = TaskStatus::parse(&task.status);
    let class = status.class();
    let rows = own_rows(evidence.history, task, evidence.others);
    let review = evidence.review_log.filter(|log| log.is_for(&task.project_id, &task.id));
    let case = Case {
        evidence,
        rows: &rows,
        review,
    };
    let outcome = match status {
        TaskStatus::InProgress => case.worker_attempt(),
        TaskStatus::Rework => case.rework_attempt(),
        TaskStatus::Done => case.review_attempt(),
        TaskStatus::InReview | TaskStatus::Completed => case.finished(),
        _ => case.latest_run(RunEnding::Stopped),
    };
    let last_updated = case.last_updated(&outcome);
    outcome.into_decision(class, last_updated)
}

/// Which worker logs a decision about this task reads: those launched at or
/// after the returned time; `None`: just the newest. (Reading only these keeps
/// a task with many attempts to one log per call.)
pub fn logs_wanted_from(task: &TaskRow, others: &[OtherTask], history: &[HistoryRow]) -> Option<Instant> {
    let rows = own_rows(history, task, others);
    let attempt = match TaskStatus::parse(&task.status) {
        TaskStatus::InProgress => Attempt::latest(&rows, Phase::Worker),
        TaskStatus::Rework => Attempt::latest(&rows, Phase::Rework),
        TaskStatus::Done => Attempt::latest(&rows, Phase::Review).and_then(|a| a.run_before(&rows)),
        _ => Attempt::latest_run(&rows),
    }?;
    attempt
        .entered_at
        .map(|t| t - HAND_START_LEAD - chrono::TimeDelta::seconds(1))
}

/// A run chosen to speak for an attempt.
#[derive(Clone, Debug)]
struct Chosen {
    source: Source,
    run: Run,
    began_at: Option<Instant>,
}

/// What one of the status rules found.
struct Found {
    running: bool,
    source: Source,
    /// The run the timeline, failure and progress come from.
    run: Option<Run>,
    /// The attempt's review, as its log tells it.
    review: Option<ReviewSpan>,
    /// The task is running because it is being reviewed.
    reviewing: bool,
    /// How to read `run` where it has no terminal event, for a task not running.
    ending: RunEnding,
    started_at: Option<Instant>,
}

impl Found {
    fn of(running: bool, chosen: Option<Chosen>, ending: RunEnding, started_at: Option<Instant>) -> Found {
        let (source, run) = chosen.map_or((Source::Status, None), |c| (c.source, Some(c.run)));
        Found {
            running,
            source,
            run,
            review: None,
            reviewing: false,
            ending,
            started_at,
        }
    }
}

struct Case<'e, 'r> {
    evidence: &'e TaskEvidence<'e>,
    rows: &'r [&'e HistoryRow],
    review: Option<&'e ReviewLog>,
}

impl<'e> Case<'e, '_> {
    /// IN_PROGRESS: running; the attempt's strongest run says where.
    fn worker_attempt(&self) -> Found {
        let attempt = Attempt::latest(self.rows, Phase::Worker).unwrap_or_else(|| Attempt::unknown(Phase::Worker));
        let metadata = self.evidence.task.metadata.as_deref().map(TaskMetadata::parse);
        let chosen = self.best_run(&attempt, true, metadata.as_ref()).unwrap_or_else(|| {
            // Running with nothing to say: being assigned; without any history at
            // all, still fetching its info.
            let (source, step) = if self.rows.is_empty() {
                (Source::Status, Step::GetTaskInfo)
            } else {
                (Source::History, Step::AssignWorker)
            };
            Chosen {
                source,
                run: milestone(step),
                began_at: None,
            }
        });
        let started_at = attempt.entered_at.or(self.began(&chosen));
        Found::of(
            true,
            Some(chosen),
            RunEnding::Live,
            started_at.or(self.evidence.task.started_at),
        )
    }

    /// REWORK: running while a run of the attempt is going, or locks are held.
    fn rework_attempt(&self) -> Found {
        let attempt = Attempt::latest(self.rows, Phase::Rework).unwrap_or_else(|| Attempt::unknown(Phase::Rework));
        let latest = self.best_run(&attempt, false, None);
        let going = latest
            .clone()
            .filter(|c| c.source != Source::History && !c.run.is_terminated());
        let locked = self.evidence.locks.is_some_and(|l| l.count > 0);
        let held = || {
            history_run(&attempt, self.evidence.locks, None).map(|run| Chosen {
                source: Source::History,
                run,
                began_at: None,
            })
        };
        match going.or_else(|| locked.then(held).flatten()) {
            Some(chosen) => {
                let started_at = self.began(&chosen).or(attempt.entered_at);
                Found::of(true, Some(chosen), RunEnding::Live, started_at)
            }
            // Waiting for a rework: the latest attempt is this one, with whatever ran in it.
            None => {
                let started_at = attempt.entered_at.or(self.evidence.task.started_at);
                Found::of(false, latest, RunEnding::Stopped, started_at)
            }
        }
    }

    /// DONE: running while a review of the attempt is going.
    fn review_attempt(&self) -> Found {
        let attempt = Attempt::latest(self.rows, Phase::Review).unwrap_or_else(|| Attempt::unknown(Phase::Review));
        let before = self.run_before(&attempt);
        let review = self.review_span(&attempt);
        if let Some(span) = review.filter(|s| s.ended_at.is_none()) {
            return Found {
                running: true,
                source: Source::Log,
                run: before.map(|c| c.run),
                review: Some(span),
                reviewing: true,
                ending: RunEnding::Finished,
                started_at: span.started_at,
            };
        }
        let recorded_review = self.evidence.recorded.iter().rev().find(|r| {
            r.run.reached() == Some(Step::AutoReview) && !r.run.is_terminated() && attempt.admits(r.began_at, None)
        });
        if let Some(recorded) = recorded_review {
            let started_at = recorded.run.marks(Step::AutoReview).first_at;
            return Found {
                running: true,
                source: Source::Recorded,
                run: Some(recorded.run.clone()),
                review: Some(ReviewSpan {
                    started_at,
                    ended_at: None,
                    failed: false,
                }),
                reviewing: true,
                ending: RunEnding::Finished,
                started_at,
            };
        }
        self.finished_with(&attempt, before, review)
    }

    /// IN_REVIEW, COMPLETED: the latest review and the run before it.
    fn finished(&self) -> Found {
        match Attempt::latest(self.rows, Phase::Review) {
            Some(attempt) => {
                let before = self.run_before(&attempt);
                let review = self.review_span(&attempt);
                self.finished_with(&attempt, before, review)
            }
            None => self.latest_run(RunEnding::Finished),
        }
    }

    fn finished_with(&self, review_attempt: &Attempt<'_>, before: Option<Chosen>, review: Option<ReviewSpan>) -> Found {
        let started_at = review_attempt
            .run_before(self.rows)
            .and_then(|a| a.entered_at)
            .or(before.as_ref().and_then(|c| self.began(c)))
            .or(self.evidence.task.started_at);
        Found {
            review,
            ..Found::of(false, before, RunEnding::Finished, started_at)
        }
    }

    /// Every other status: not running; the latest run attempt.
    fn latest_run(&self, ending: RunEnding) -> Found {
        let attempt = match Attempt::latest_run(self.rows) {
            Some(attempt) => attempt,
            // Without any history every run may be the latest; with history but no
            // run, there was none.
            None if self.rows.is_empty() => Attempt::unknown(Phase::Worker),
            None => return Found::of(false, None, ending, self.evidence.task.started_at),
        };
        let chosen = self.best_run(&attempt, false, None);
        let started_at = attempt.entered_at.or(chosen.as_ref().and_then(|c| self.began(c)));
        Found::of(false, chosen, ending, started_at.or(self.evidence.task.started_at))
    }

    /// The run of the run attempt that ended in `review` (the one the review reviews).
    fn run_before(&self, review: &Attempt<'_>) -> Option<Chosen> {
        match review.run_before(self.rows) {
            Some(run_attempt) => self.best_run(&run_attempt, false, None),
            None if review.entered_at.is_none() => self.best_run(&Attempt::unknown(Phase::Worker), false, None),
            None => None,
        }
    }

    /// The review of `attempt` in the review log, if it began with the attempt.
    fn review_span(&self, attempt: &Attempt<'_>) -> Option<ReviewSpan> {
        let log = self.review?;
        if !attempt.admits(log.started_at, log.review.ended_at) {
            return None;
        }
        // The verdict may reach the database before the log.
        let reviewed_at = self
            .evidence
            .task
            .reviewed_at
            .filter(|r| log.started_at.is_some_and(|s| *r >= s));
        Some(ReviewSpan {
            started_at: log.started_at,
            ended_at: log.review.ended_at.or(reviewed_at),
            failed: log.review.failed,
        })
    }

    /// The strongest run of `attempt`: recorded, then a log (for a rework, the
    /// rework part of the review log or a worker log launched for it, whichever
    /// began last), then the seed's rules (with the locks and metadata of now,
    /// for a running attempt).
    fn best_run(&self, attempt: &Attempt<'_>, live: bool, metadata: Option<&TaskMetadata>) -> Option<Chosen> {
        let e = self.evidence;
        let recorded = e
            .recorded
            .iter()
            .rev()
            .find(|r| !r.run.is_empty() && attempt.admits(r.began_at, r.run.ended_at()))
            .map(|r| Chosen {
                source: Source::Recorded,
                run: r.run.clone(),
                began_at: r.began_at,
            });
        let worker_log = e
            .worker_logs
            .iter()
            .rev()
            .find(|l| !l.run.is_empty() && attempt.admits(Some(l.launched_at), l.run.ended_at()))
            .map(|l| Chosen {
                source: Source::Log,
                run: l.run.clone(),
                began_at: Some(l.launched_at),
            });
        let rework = self
            .review
            .and_then(|log| log.rework.as_ref())
            .filter(|part| attempt.phase == Phase::Rework && !part.run.is_empty())
            .filter(|part| attempt.admits(part.started_at, part.run.ended_at().or(part.ended_at)))
            .map(|part| Chosen {
                source: Source::Log,
                run: part.run.clone(),
                began_at: part.started_at,
            });
        let log = match (rework, worker_log) {
            (Some(r), Some(w)) => Some(if r.began_at >= w.began_at { r } else { w }),
            (r, w) => r.or(w),
        };
        recorded.or(log).or_else(|| {
            let locks = if live { e.locks } else { None };
            history_run(attempt, locks, metadata).map(|run| Chosen {
                source: Source::History,
                run,
                began_at: None,
            })
        })
    }

    fn began(&self, chosen: &Chosen) -> Option<Instant> {
        chosen.began_at.or(chosen.run.first_at())
    }

    fn last_updated(&self, found: &Found) -> Option<Instant> {
        let e = self.evidence;
        [
            e.task.updated_at,
            self.rows.iter().filter_map(|r| r.changed_at).max(),
            found.run.as_ref().and_then(Run::last_at),
            e.locks.and_then(|l| l.first_locked_at),
            self.review.and_then(|r| r.last_at),
        ]
        .into_iter()
        .flatten()
        .max()
    }
}

impl Found {
    fn into_decision(self, class: StatusClass, last_updated: Option<Instant>) -> Decision {
        let run = self.run.as_ref();
        let reached = run.and_then(Run::reached);
        let current_step = match (self.running, self.reviewing) {
            (false, _) => None,
            (true, true) => Some(Step::AutoReview),
            (true, false) => Some(reached.unwrap_or(Step::GetTaskInfo)),
        };
        let failure = run.filter(|_| !self.reviewing).and_then(|r| match r.outcome() {
            Outcome::Failed { step, message, .. } => Some(Failure {
                step: *step,
                message: message.clone(),
            }),
            _ => None,
        });
        let unfinished = run.is_some_and(|r| !r.is_terminated());
        let progress_percent = match (current_step, class) {
            (Some(step), _) => step.progress_percent(),
            (None, StatusClass::Finished) => 100,
            (None, StatusClass::Stopped) => reached.map_or(0, Step::progress_percent),
            (None, _) => 0,
        };
        let resume_from = match &failure {
            Some(f) => Some(f.step),
            None if !self.running && class != StatusClass::Finished && unfinished => reached,
            None => None,
        };
        let ending = if self.running { RunEnding::Live } else { self.ending };
        Decision {
            class,
            running: self.running,
            source: self.source,
            current_step,
            failure_is_error: failure.is_some() && (self.running || class == StatusClass::Stopped),
            failure,
            resume_from,
            progress_percent,
            timeline: timeline(run, ending, self.review),
            started_at: self.started_at,
            last_updated,
        }
    }
}

/// A run that only says it reached `step` (no time).
fn milestone(step: Step) -> Run {
    let mut run = Run::new(Unmentioned::Completed);
    run.step_event(None, step, StepEvent::Start);
    run
}

#[cfg(test)]
mod tests;
