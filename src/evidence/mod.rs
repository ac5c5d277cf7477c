//! What each source says about a task (docs/behaviour.md, "Evidence"), as plain data: its
//! `tasks` row, its `change_history` rows, the file locks held for it, the
//! step events a worker recorded, its worker logs and its review log. The
//! parsers here turn text into these types; nothing here reads a file or a
//! database (that is `crate::io`), and nothing decides (that is
//! `crate::decision`).

pub mod history;
pub mod metadata;
pub mod recorded;
pub mod review_log;
pub mod run;
pub mod worker_log;

use std::sync::Arc;

use self::history::HistoryRow;
use self::recorded::RecordedRun;
use self::review_log::ReviewLog;
use self::run::Run;
use crate::time::Instant;

/// A `tasks` row, times parsed (the text's shape decides its zone: docs/behaviour.md, "Timestamps").
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TaskRow {
    pub id: String,
    pub project_id: String,
    pub status: String,
    pub order_id: Option<String>,
    pub assignee: Option<String>,
    /// Written once, by the first attempt.
    pub started_at: Option<Instant>,
    pub updated_at: Option<Instant>,
    /// Set by a review's verdict; NULL again after REWORK→DONE.
    pub reviewed_at: Option<Instant>,
    /// The seed's proposed JSON column, where a database has it.
    pub metadata: Option<String>,
    /// How many times review rejected it (`None` without the column).
    pub reject_count: Option<i64>,
    /// Whether `target_files` names any file (`None` without the column): a
    /// task without target files skips the worker's `file_lock` step.
    pub has_target_files: Option<bool>,
}

/// A task with the same id in another project: its history rows are mixed
/// with this one's wherever their writers left `project_id` NULL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OtherTask {
    pub project_id: Arc<str>,
    pub status: String,
    pub assignee: Option<String>,
    /// Written once, at its first move to IN_PROGRESS.
    pub started_at: Option<Instant>,
    /// How many times review rejected it.
    pub reject_count: Option<i64>,
}

/// Locks held on the task's files right now (`file_locks` rows).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct HeldLocks {
    pub count: u32,
    pub first_locked_at: Option<Instant>,
}

/// One run of the task in a worker log: the daemon's launch of it, or its run
/// in a `--loop` worker's output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkerLogRun {
    /// When the run began: the launch time in the file name (local time,
    /// second precision) for the run a log was launched for, the run's first
    /// line for a later run in a `--loop` log.
    pub launched_at: Instant,
    pub run: Run,
}

/// Everything known about one task.
#[derive(Clone, Copy, Debug)]
pub struct TaskEvidence<'a> {
    pub task: &'a TaskRow,
    /// Every row about this task id, whatever project (or none) it names, oldest first.
    pub history: &'a [HistoryRow],
    pub locks: Option<HeldLocks>,
    /// Recorded runs, oldest first.
    pub recorded: &'a [RecordedRun],
    /// The task's worker-log runs, oldest first: those its evidence plan asked for.
    pub worker_logs: &'a [WorkerLogRun],
    /// The review log, if there is one for this task id (any project: its first line says which).
    pub review_log: Option<&'a ReviewLog>,
}

/// A parser fed a log line by line (worker logs, review logs).
pub trait LineParser: Clone {
    fn feed(&mut self, line: &str);
    /// A line still being written (no end of line yet): what it says so far.
    fn feed_partial(&mut self, line: &str) {
        self.feed(line)
    }
    /// Whether nothing later in the log can change what it says.
    fn is_finished(&self) -> bool;
}

impl LineParser for worker_log::WorkerLogParser {
    fn feed(&mut self, line: &str) {
        worker_log::WorkerLogParser::feed(self, line)
    }

    fn feed_partial(&mut self, line: &str) {
        worker_log::WorkerLogParser::feed_partial(self, line)
    }

    fn is_finished(&self) -> bool {
        worker_log::WorkerLogParser::is_finished(self)
    }
}

impl LineParser for review_log::ReviewLogParser {
    fn feed(&mut self, line: &str) {
        review_log::ReviewLogParser::feed(self, line)
    }

    fn is_finished(&self) -> bool {
        review_log::ReviewLogParser::is_finished(self)
    }
}
