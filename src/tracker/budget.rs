//! The memory the tracker's caches may hold, in bytes: one budget shared by
//! every cache (the addon lives in the app's main process, so its bound is
//! counted in megabytes, not rows). Each cache holds at most its share of it,
//! weighing its entries by what they really hold ([`Weigh`]); the app may
//! change the budget while running (`setCacheBudget`).

use std::mem::size_of;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// The default budget: enough for the working set of a busy desktop (hundreds
/// of running tasks with their history, logs and decisions) many times over.
pub const DEFAULT_BUDGET_BYTES: usize = 32 << 20;
/// The smallest and largest budget accepted.
pub const BUDGET_RANGE: std::ops::RangeInclusive<usize> = (1 << 20)..=(4 << 30);

/// The bytes all caches may hold together, and what they hold now.
#[derive(Debug)]
pub struct Budget {
    limit: AtomicUsize,
    held: AtomicUsize,
}

impl Budget {
    pub fn new(limit: usize) -> Arc<Budget> {
        Arc::new(Budget {
            limit: AtomicUsize::new(limit),
            held: AtomicUsize::new(0),
        })
    }

    pub fn limit(&self) -> usize {
        self.limit.load(Ordering::Relaxed)
    }

    pub fn set_limit(&self, bytes: usize) {
        self.limit.store(bytes, Ordering::Relaxed);
    }

    /// Bytes held by every cache together.
    pub fn held(&self) -> usize {
        self.held.load(Ordering::Relaxed)
    }

    pub(super) fn charge(&self, bytes: usize) {
        self.held.fetch_add(bytes, Ordering::Relaxed);
    }

    pub(super) fn refund(&self, bytes: usize) {
        self.held.fetch_sub(bytes, Ordering::Relaxed);
    }
}

/// One cache's part of the budget: `percent` of it.
#[derive(Clone, Debug)]
pub struct Share {
    budget: Arc<Budget>,
    percent: usize,
}

impl Share {
    pub fn of(budget: &Arc<Budget>, percent: usize) -> Share {
        Share {
            budget: Arc::clone(budget),
            percent,
        }
    }

    /// A share of a budget of its own, of `bytes` (tests).
    #[cfg(test)]
    pub fn fixed(bytes: usize) -> Share {
        Share::of(&Budget::new(bytes), 100)
    }

    /// The bytes the cache may hold now.
    pub fn bytes(&self) -> usize {
        self.budget.limit().saturating_mul(self.percent) / 100
    }

    pub(super) fn budget(&self) -> &Budget {
        &self.budget
    }
}

/// How many bytes a cached value holds: its own size and what it owns on the
/// heap (shared text, `Arc<str>` of the interner, counts once elsewhere).
pub trait Weigh {
    fn bytes(&self) -> usize;
}

/// The heap bytes of a string.
pub fn text(s: &str) -> usize {
    s.len()
}

/// The bytes of a vector's elements, by their size alone.
pub fn slots<T>(v: &[T]) -> usize {
    std::mem::size_of_val(v)
}

/// The heap bytes of an optional string.
pub fn optional_text(s: &Option<String>) -> usize {
    s.as_deref().map_or(0, text)
}

/// A map entry's bookkeeping (hash table slot, key copy, LRU stamp), roughly.
pub const ENTRY_OVERHEAD: usize = 64;

// ---- what the tracker's cached values weigh ---------------------------------

use crate::decision::{Decision, Plan};
use crate::evidence::history::HistoryRow;
use crate::evidence::recorded::{RecordedEvent, RecordedRun};
use crate::evidence::review_log::ReviewLog;
use crate::evidence::review_log::ReviewLogParser;
use crate::evidence::run::{Outcome, Run};
use crate::evidence::worker_log::{LogRun, WorkerLogParser};
use crate::evidence::{OtherTask, TaskRow};
use crate::io::logs::paths::WorkerLogFile;

impl Weigh for Run {
    fn bytes(&self) -> usize {
        size_of::<Run>()
            + match self.outcome() {
                Outcome::Failed { message, .. } => text(message),
                _ => 0,
            }
    }
}

impl Weigh for TaskRow {
    fn bytes(&self) -> usize {
        size_of::<TaskRow>()
            + text(&self.id)
            + text(&self.project_id)
            + text(&self.status)
            + optional_text(&self.order_id)
            + optional_text(&self.assignee)
            + optional_text(&self.metadata)
    }
}

impl Weigh for OtherTask {
    fn bytes(&self) -> usize {
        size_of::<OtherTask>() + text(&self.status) + optional_text(&self.assignee)
    }
}

/// History rows: their size (text values are the interner's, shared).
impl Weigh for [HistoryRow] {
    fn bytes(&self) -> usize {
        slots(self)
    }
}

impl Weigh for [RecordedEvent] {
    fn bytes(&self) -> usize {
        slots(self) + self.iter().map(|e| optional_text(&e.message)).sum::<usize>()
    }
}

impl Weigh for [RecordedRun] {
    fn bytes(&self) -> usize {
        self.iter()
            .map(|r| size_of::<RecordedRun>() - size_of::<Run>() + r.run.bytes())
            .sum()
    }
}

impl Weigh for Decision {
    fn bytes(&self) -> usize {
        size_of::<Decision>() + self.failure.as_ref().map_or(0, |f| text(&f.message))
    }
}

impl Weigh for Plan {
    fn bytes(&self) -> usize {
        size_of::<Plan>() + size_of::<usize>() * self.own_len()
    }
}

impl Weigh for LogRun {
    fn bytes(&self) -> usize {
        size_of::<LogRun>() - size_of::<Run>() + self.run.bytes() + optional_text(&self.task_id)
    }
}

impl Weigh for WorkerLogParser {
    fn bytes(&self) -> usize {
        size_of::<WorkerLogParser>() + self.runs().iter().map(Weigh::bytes).sum::<usize>()
    }
}

impl Weigh for ReviewLog {
    fn bytes(&self) -> usize {
        size_of::<ReviewLog>()
            + optional_text(&self.project_id)
            + optional_text(&self.task_id)
            + optional_text(&self.review.verdict)
            + optional_text(&self.review.message)
            + self.rework.as_ref().map_or(0, |r| r.run.bytes())
    }
}

impl Weigh for ReviewLogParser {
    fn bytes(&self) -> usize {
        size_of::<ReviewLogParser>() - size_of::<ReviewLog>() + self.log().bytes()
    }
}

impl Weigh for WorkerLogFile {
    fn bytes(&self) -> usize {
        size_of::<WorkerLogFile>() + path(&self.path) + text(&self.task_id)
    }
}

/// The heap bytes of a path.
pub fn path(p: &Path) -> usize {
    p.as_os_str().len()
}
