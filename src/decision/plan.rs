//! What a task's status makes count, and so what evidence a decision about
//! it needs: the only place a status picks attempts and logs. [`plan`] runs
//! on the database's evidence and the names of the task's logs (cheap: no
//! log is read); the tracker fetches what the [`Plan`] asks for, and
//! [`super::decide`] decides on it.

use super::attempt::{Attempt, Phase};
use super::ownership::own_row_indices;
use super::timeline::RunEnding;
use crate::evidence::history::HistoryRow;
use crate::evidence::{OtherTask, TaskRow};
use crate::status::{StatusClass, TaskStatus};
use crate::time::Instant;

/// What evidence a decision about one task needs, beyond the database's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    /// Indices of the task's own rows in its history (docs/behaviour.md, "Shared task ids").
    own: Vec<usize>,
    /// Which of the task's own worker logs may speak.
    pub worker_logs: LogWindow,
    /// Runs of this task may be in the other worker logs of its order's folder
    /// (a `--loop` worker's output goes on with the next task): those written
    /// since this time, when none of its own logs can be the current run's.
    pub loop_runs_since: Option<Instant>,
    /// Whether its review log may speak.
    pub review_log: bool,
}

/// Which of a task's worker logs a decision reads.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum LogWindow {
    /// None: the task has history, and no run in it that a log could tell.
    Nothing,
    /// Only the newest (without history every log may be the latest run's).
    Newest,
    /// Those launched at or after this time (a task with many attempts reads one or two).
    From(Instant),
}

impl LogWindow {
    /// Whether a log launched at `launched` (the `index`-th of `count`, oldest first) is wanted.
    pub fn wants(self, launched: Instant, index: usize, count: usize) -> bool {
        match self {
            LogWindow::Nothing => false,
            LogWindow::Newest => index + 1 == count,
            LogWindow::From(from) => launched >= from,
        }
    }
}

impl Plan {
    /// How many of the history's rows are the task's own.
    pub fn own_len(&self) -> usize {
        self.own.len()
    }

    /// The task's own rows of `history` (the history the plan was made from).
    pub fn own_rows<'a>(&self, history: &'a [HistoryRow]) -> Vec<&'a HistoryRow> {
        self.own.iter().filter_map(|&i| history.get(i)).collect()
    }
}

/// What a decision about `task` needs. `history` is every row about its id;
/// `own_logs` the launch times of its own worker logs (from their names).
pub fn plan(task: &TaskRow, others: &[OtherTask], history: &[HistoryRow], own_logs: &[Instant]) -> Plan {
    let own = own_row_indices(history, task, others, own_logs);
    let rows: Vec<&HistoryRow> = own.iter().map(|&i| &history[i]).collect();
    let focus = Focus::of(&TaskStatus::parse(&task.status), &rows);
    let worker_logs = match focus.run_attempt(&rows) {
        None => LogWindow::Nothing,
        Some(attempt) => attempt.runs_from().map_or(LogWindow::Newest, LogWindow::From),
    };
    let loop_runs_since = match &focus {
        Focus::Worker(attempt) | Focus::Rework(attempt) => attempt
            .runs_from()
            .filter(|from| !own_logs.iter().any(|launched| launched >= from)),
        _ => None,
    };
    Plan {
        own,
        worker_logs,
        loop_runs_since,
        review_log: focus.uses_review_log(),
    }
}

/// Which attempts count for a task in its status (docs/behaviour.md, "Attempts").
pub(super) enum Focus<'a> {
    /// IN_PROGRESS: the worker run going on.
    Worker(Attempt<'a>),
    /// REWORK: the rework attempt, running or waiting.
    Rework(Attempt<'a>),
    /// DONE: the review attempt, going on or awaited.
    Review(Attempt<'a>),
    /// IN_REVIEW, COMPLETED after a review: the latest review and the run it reviewed.
    Reviewed(Attempt<'a>),
    /// Stopped (ESCALATED, …) by a review's verdict: the review reached step 7 and stopped there.
    StoppedInReview(Attempt<'a>),
    /// Any other status: the latest run attempt (`None`: history shows none), read with this ending.
    LatestRun(Option<Attempt<'a>>, RunEnding),
}

impl<'a> Focus<'a> {
    pub(super) fn of(status: &TaskStatus, rows: &[&'a HistoryRow]) -> Focus<'a> {
        let latest = |phase| Attempt::latest(rows, phase).unwrap_or_else(|| Attempt::unknown(phase));
        match status {
            TaskStatus::InProgress => Focus::Worker(latest(Phase::Worker)),
            TaskStatus::Rework => Focus::Rework(latest(Phase::Rework)),
            TaskStatus::Done => Focus::Review(latest(Phase::Review)),
            TaskStatus::InReview | TaskStatus::Completed => match Attempt::latest(rows, Phase::Review) {
                Some(review) => Focus::Reviewed(review),
                None => Focus::LatestRun(latest_run(rows), RunEnding::Finished),
            },
            status if status.class() == StatusClass::Stopped => match Attempt::latest_any(rows) {
                Some(review) if review.phase == Phase::Review => Focus::StoppedInReview(review),
                _ => Focus::LatestRun(latest_run(rows), RunEnding::Stopped),
            },
            _ => Focus::LatestRun(latest_run(rows), RunEnding::Stopped),
        }
    }

    /// The run attempt whose runs tell the timeline: the one going on, the one
    /// a review reviews, or the latest.
    pub(super) fn run_attempt(&self, rows: &[&'a HistoryRow]) -> Option<Attempt<'a>> {
        match self {
            Focus::Worker(attempt) | Focus::Rework(attempt) => Some(attempt.clone()),
            Focus::Review(review) | Focus::Reviewed(review) | Focus::StoppedInReview(review) => {
                match review.run_before(rows) {
                    Some(run) => Some(run),
                    None if review.entered_at.is_none() => Some(Attempt::unknown(Phase::Worker)),
                    None => None,
                }
            }
            Focus::LatestRun(attempt, _) => attempt.clone(),
        }
    }

    /// Whether the task's review log can speak: not for a worker run (nor a
    /// task waiting for one), whose attempt no review is part of.
    fn uses_review_log(&self) -> bool {
        match self {
            Focus::Worker(_) => false,
            Focus::LatestRun(attempt, RunEnding::Stopped) => attempt.as_ref().is_some_and(|a| a.phase == Phase::Rework),
            _ => true,
        }
    }
}

/// The latest run attempt; without any history every run may be it (an
/// unknown attempt), with history but no run there was none.
fn latest_run<'a>(rows: &[&'a HistoryRow]) -> Option<Attempt<'a>> {
    match Attempt::latest_run(rows) {
        Some(attempt) => Some(attempt),
        None if rows.is_empty() => Some(Attempt::unknown(Phase::Worker)),
        None => None,
    }
}
