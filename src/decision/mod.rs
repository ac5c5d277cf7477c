//! Where a step is decided: from everything known about one task
//! ([`TaskEvidence`]) to its fully decided state ([`Decision`]) — whether it
//! is running, which source speaks for it, the step it is in, where it failed
//! and should resume, its progress, its seven-step timeline and its times
//! (docs/behaviour.md, "Evidence", "Attempts", "Status table"). Pure: no database, no files, no clock.
//!
//! The order of the rules:
//! 1. The task's own history rows ([`ownership`]) give its attempts
//!    ([`attempt`]); its status says which count ([`plan::Focus`]), and so
//!    which evidence to fetch ([`plan()`]).
//! 2. A run is the attempt's if it began with it and did not end before it
//!    ([`Attempt::admits`]); of several logs, the newest speaks, and a log with
//!    no step line yet already says `get_task_info`.
//! 3. Of a running attempt's runs — recorded > log (worker log, `--loop`
//!    output, the rework part of the review log) > history ([`history_rules`])
//!    — the one that reached furthest speaks (the stronger on a tie): each is a
//!    step the worker has certainly reached, so the step shown never moves
//!    backwards within an attempt.
//! 4. Running: IN_PROGRESS always; REWORK while a run of its attempt is going
//!    (a log or recorded run not ended, or the worker's assignee row or locks
//!    after the last one ended); DONE while a review of its attempt is going.
//! 5. A task that is not running shows its latest attempt; a review that
//!    stopped the task (ESCALATED) reached step 7 and stopped there.

pub mod attempt;
pub mod history_rules;
pub mod ownership;
pub mod plan;
pub mod timeline;

pub use self::plan::{plan, Plan};

pub use self::attempt::Phase;

use self::attempt::Attempt;
use self::history_rules::{history_run, worker_started, Now};
use self::plan::Focus;
use self::timeline::{timeline, ReviewSpan, RunEnding, StepSpan};
use crate::evidence::history::HistoryRow;
use crate::evidence::metadata::TaskMetadata;
use crate::evidence::review_log::ReviewLog;
use crate::evidence::run::{Outcome, Run, Unmentioned};
use crate::evidence::TaskEvidence;
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
    /// What kind of run is going, for a running task: a worker run, a rework
    /// run (a REWORK task's, or a run whose worker says it reworks), a review.
    pub running_phase: Option<Phase>,
    /// The latest time any evidence about the task changed.
    pub last_updated: Option<Instant>,
}

/// Decides the state of the task `evidence` describes, on the evidence `plan` asked for.
pub fn decide(plan: &Plan, evidence: &TaskEvidence<'_>) -> Decision {
    let task = evidence.task;
    let status = TaskStatus::parse(&task.status);
    let class = status.class();
    let rows = plan.own_rows(evidence.history);
    let review = evidence.review_log.filter(|log| log.is_for(&task.project_id, &task.id));
    let case = Case {
        evidence,
        rows: &rows,
        review,
    };
    let found = match Focus::of(&status, &rows) {
        Focus::Worker(attempt) => case.worker_attempt(&attempt).in_phase(Phase::Worker),
        Focus::Rework(attempt) => case.rework_attempt(&attempt).in_phase(Phase::Rework),
        Focus::Review(attempt) => case.review_attempt(&attempt).in_phase(Phase::Review),
        Focus::Reviewed(attempt) => {
            let before = case.run_before(&attempt);
            case.finished_with(&attempt, before, case.review_span(&attempt))
        }
        Focus::StoppedInReview(attempt) => case.stopped_in_review(&attempt),
        Focus::LatestRun(attempt, ending) => case.latest_run(attempt, ending),
    };
    let last_updated = case.last_updated(&found);
    found.into_decision(class, last_updated)
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
    /// The attempt stopped in its review: step 7 was reached, and failed for this reason.
    stopped_in_review: Option<Failure>,
    /// How to read `run` where it has no terminal event, for a task not running.
    ending: RunEnding,
    started_at: Option<Instant>,
    /// The phase of the attempt that is running.
    phase: Option<Phase>,
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
            stopped_in_review: None,
            ending,
            started_at,
            phase: None,
        }
    }

    fn in_phase(self, phase: Phase) -> Found {
        Found {
            phase: self.running.then_some(phase),
            ..self
        }
    }
}

struct Case<'e, 'r> {
    evidence: &'e TaskEvidence<'e>,
    rows: &'r [&'e HistoryRow],
    review: Option<&'e ReviewLog>,
}

impl<'e> Case<'e, '_> {
    /// IN_PROGRESS: running; the attempt's run that reached furthest says where.
    fn worker_attempt(&self, attempt: &Attempt<'_>) -> Found {
        let chosen = self.best_run(attempt, true).unwrap_or_else(|| {
            // Running with nothing to say: without any history, still fetching its
            // info; moved to IN_PROGRESS by something that is not a worker, being assigned.
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

    /// REWORK: running while a run of the attempt is going — its log or recorded
    /// run not ended, or, after the last one ended (or with none), the worker's
    /// assignee row or locks (a run the app's button started, without a log).
    fn rework_attempt(&self, attempt: &Attempt<'_>) -> Found {
        let logged = [self.recorded(attempt), self.log(attempt)]
            .into_iter()
            .flatten()
            .max_by_key(|c| c.began_at);
        let ended = logged
            .as_ref()
            .filter(|c| c.run.is_terminated())
            .map(|c| c.run.ended_at());
        let going = logged.clone().filter(|c| !c.run.is_terminated());
        // History after the last logged run ended (or after a going one began) is
        // that run's or a newer one's.
        let since = match (&going, ended) {
            (Some(g), _) => g.began_at,
            (None, Some(end)) => end.or(Some(Instant::MAX_UTC)),
            (None, None) => None,
        };
        let later = attempt.since(since);
        let history = self
            .history(&later, true, false)
            .filter(|_| self.history_shows_run(&later, since));
        let running = match (going, history) {
            (Some(g), h) => furthest([Some(g), h]),
            (None, h) => h,
        };
        match running {
            Some(chosen) => {
                let started_at = attempt.entered_at.or(self.began(&chosen));
                Found::of(true, Some(chosen), RunEnding::Live, started_at)
            }
            // Waiting for a rework: the latest attempt is this one, with whatever ran in it.
            None => {
                let started_at = attempt.entered_at.or(self.evidence.task.started_at);
                Found::of(false, logged, RunEnding::Stopped, started_at)
            }
        }
    }

    /// Whether the attempt's rows after `since`, or the locks held, show a
    /// rework run of their own: the worker named itself, or holds locks taken since.
    fn history_shows_run(&self, attempt: &Attempt<'_>, since: Option<Instant>) -> bool {
        let locked_since = self
            .evidence
            .locks
            .is_some_and(|l| l.count > 0 && since.is_none_or(|s| l.first_locked_at.is_none_or(|at| at >= s)));
        attempt.worker_assigned() || locked_since
    }

    /// DONE: running while a review of the attempt is going.
    fn review_attempt(&self, attempt: &Attempt<'_>) -> Found {
        let before = self.run_before(attempt);
        let review = self.review_span(attempt);
        if let Some(span) = review.filter(|s| s.ended_at.is_none()) {
            return Found {
                review: Some(span),
                reviewing: true,
                // The review log speaks, with or without a run found before it.
                source: Source::Log,
                ..Found::of(
                    true,
                    before.map(|c| Chosen {
                        source: Source::Log,
                        ..c
                    }),
                    RunEnding::Finished,
                    attempt.entered_at.or(span.started_at),
                )
            };
        }
        let recorded_review = self.evidence.recorded.iter().rev().find(|r| {
            r.run.reached() == Some(Step::AutoReview) && !r.run.is_terminated() && attempt.admits(r.began_at, None)
        });
        if let Some(recorded) = recorded_review {
            let started_at = recorded.run.marks(Step::AutoReview).first_at;
            let chosen = Chosen {
                source: Source::Recorded,
                run: recorded.run.clone(),
                began_at: recorded.began_at,
            };
            return Found {
                review: Some(ReviewSpan {
                    started_at,
                    ended_at: None,
                    failed: false,
                }),
                reviewing: true,
                ..Found::of(
                    true,
                    Some(chosen),
                    RunEnding::Finished,
                    attempt.entered_at.or(started_at),
                )
            };
        }
        self.finished_with(attempt, before, review)
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

    /// Stopped by a review's verdict (ESCALATED during the review): the attempt
    /// reached the review, and the review is where it stopped.
    fn stopped_in_review(&self, attempt: &Attempt<'_>) -> Found {
        let stopped_at = self.rows.last().and_then(|r| r.changed_at);
        let logged = self.review_span(attempt);
        let span = ReviewSpan {
            failed: true,
            ended_at: logged.and_then(|s| s.ended_at).or(stopped_at),
            started_at: logged.and_then(|s| s.started_at),
        };
        let message = self
            .review
            .filter(|_| logged.is_some())
            .and_then(|log| log.review.message.clone().or(log.review.verdict.clone()))
            .unwrap_or_else(|| self.evidence.task.status.clone());
        let mut found = self.finished_with(attempt, self.run_before(attempt), Some(span));
        found.source = if logged.is_some() { Source::Log } else { Source::History };
        found.ending = RunEnding::Stopped;
        found.stopped_in_review = Some(Failure {
            step: Step::AutoReview,
            message,
        });
        found
    }

    /// Every other status: not running; the latest run attempt.
    fn latest_run(&self, attempt: Option<Attempt<'_>>, ending: RunEnding) -> Found {
        let Some(attempt) = attempt else {
            return Found::of(false, None, ending, self.evidence.task.started_at);
        };
        let chosen = self.best_run(&attempt, false);
        let started_at = attempt.entered_at.or(chosen.as_ref().and_then(|c| self.began(c)));
        Found::of(false, chosen, ending, started_at.or(self.evidence.task.started_at))
    }

    /// The run of the run attempt that ended in `review` (the one the review reviews).
    fn run_before(&self, review: &Attempt<'_>) -> Option<Chosen> {
        match review.run_before(self.rows) {
            Some(run_attempt) => self.best_run(&run_attempt, false),
            None if review.entered_at.is_none() => self.best_run(&Attempt::unknown(Phase::Worker), false),
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
        let span = ReviewSpan::of(log);
        Some(ReviewSpan {
            ended_at: span.ended_at.or(reviewed_at),
            ..span
        })
    }

    /// The run that speaks for `attempt`. Running (`live`): of the recorded
    /// run, the log run and the history, the one that reached furthest (the
    /// stronger on a tie), so the step shown never moves back as finer evidence
    /// arrives. Not running: the strongest.
    fn best_run(&self, attempt: &Attempt<'_>, live: bool) -> Option<Chosen> {
        let (recorded, log) = (self.recorded(attempt), self.log(attempt));
        // The seed's metadata never outranks a finer source of the attempt.
        let metadata = live && recorded.is_none() && log.is_none();
        let candidates = [recorded, log, self.history(attempt, live, metadata)];
        if live {
            furthest(candidates)
        } else {
            candidates.into_iter().flatten().next()
        }
    }

    /// The attempt's latest recorded run.
    fn recorded(&self, attempt: &Attempt<'_>) -> Option<Chosen> {
        self.evidence
            .recorded
            .iter()
            .rev()
            .find(|r| !r.run.is_empty() && attempt.admits(r.began_at, r.run.ended_at()))
            .map(|r| Chosen {
                source: Source::Recorded,
                run: r.run.clone(),
                began_at: r.began_at,
            })
    }

    /// The attempt's newest log run: a worker log's (or a `--loop` worker's),
    /// or for a rework the rework part of the review log, whichever began last.
    /// A log with no step line yet says the worker is fetching its task.
    fn log(&self, attempt: &Attempt<'_>) -> Option<Chosen> {
        let worker_log = self
            .evidence
            .worker_logs
            .iter()
            .rev()
            .find(|l| attempt.admits(Some(l.launched_at), l.run.ended_at()))
            .map(|l| Chosen {
                source: Source::Log,
                run: if l.run.is_empty() {
                    opened(l.launched_at)
                } else {
                    l.run.clone()
                },
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
        match (rework, worker_log) {
            (Some(r), Some(w)) => Some(if r.began_at >= w.began_at { r } else { w }),
            (r, w) => r.or(w),
        }
    }

    /// The seed's rules on the attempt (with the locks of now for a running one,
    /// and its metadata where asked).
    fn history(&self, attempt: &Attempt<'_>, live: bool, with_metadata: bool) -> Option<Chosen> {
        let task = self.evidence.task;
        let entry_by = attempt.entry_row(self.rows).and_then(|r| r.changed_by.as_deref());
        // Metadata left by an earlier attempt says nothing until this one's worker has started.
        let trusted = attempt.entered_at.is_none() || worker_started(attempt, entry_by);
        let metadata = task
            .metadata
            .as_deref()
            .filter(|_| with_metadata && trusted)
            .map(TaskMetadata::parse);
        let now = Now {
            locks: self.evidence.locks.filter(|_| live),
            metadata: metadata.as_ref(),
            has_target_files: task.has_target_files,
        };
        history_run(attempt, entry_by, now).map(|run| Chosen {
            source: Source::History,
            run,
            began_at: None,
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

/// Of runs in order of strength, the one that reached furthest (the first of equals).
fn furthest(candidates: impl IntoIterator<Item = Option<Chosen>>) -> Option<Chosen> {
    candidates
        .into_iter()
        .flatten()
        .fold(None, |best: Option<Chosen>, c| match &best {
            Some(b) if b.run.reached() >= c.run.reached() => best,
            _ => Some(c),
        })
}

impl Found {
    fn into_decision(self, class: StatusClass, last_updated: Option<Instant>) -> Decision {
        let run = self.run.as_ref();
        let reached = match &self.stopped_in_review {
            Some(_) => Some(Step::AutoReview),
            None => run.and_then(Run::reached),
        };
        let current_step = match (self.running, self.reviewing) {
            (false, _) => None,
            (true, true) => Some(Step::AutoReview),
            (true, false) => Some(reached.unwrap_or(Step::GetTaskInfo)),
        };
        let failure = self.stopped_in_review.clone().or_else(|| {
            run.filter(|_| !self.reviewing).and_then(|r| match r.outcome() {
                Outcome::Failed { step, message, .. } => Some(Failure {
                    step: *step,
                    message: message.clone(),
                }),
                _ => None,
            })
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
        let reworking = run.is_some_and(Run::is_rework) && !self.reviewing;
        let running_phase = self.phase.map(|p| if reworking { Phase::Rework } else { p });
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
            running_phase,
        }
    }
}

/// A run that only says it reached `step` (no time).
fn milestone(step: Step) -> Run {
    let mut run = Run::new(Unmentioned::Completed);
    run.step_event(None, step, StepEvent::Start);
    run
}

/// A worker log created, its worker not yet started: fetching its task.
fn opened(launched_at: Instant) -> Run {
    let mut run = Run::new(Unmentioned::Skipped);
    run.step_event(Some(launched_at), Step::GetTaskInfo, StepEvent::Start);
    run
}

#[cfg(test)]
mod tests;
