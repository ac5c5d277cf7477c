//! The memory the tracker's caches may hold, in bytes: one budget shared by
//! every cache (the addon lives in the app's main process, so its bound is
//! counted in megabytes, not rows). Each cache holds at most its share of it,
//! weighing its entries by what they really hold ([`Weigh`]); the app may
//! change the budget while running (`setCacheBudget`).

use std::mem::size_of;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// The default budget: the working set of a busy desktop — hundreds of
/// running tasks, each with its history, logs and decision (a few KB) — fits
/// several times over; measured in the host, every cached byte costs about
/// two of RSS (docs/measurements.md).
pub const DEFAULT_BUDGET_BYTES: usize = 8 << 20;
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

/// How many bytes a cached value owns on the heap (its own inline size is
/// its cache slot's, which the cache counts). A value behind an `Arc` counts
/// the `Arc`'s allocation ([`shared`]); text shared through the interner
/// counts nowhere.
pub trait Weigh {
    fn bytes(&self) -> usize;
}

/// The allocation of an `Arc<T>` holding `inner` heap bytes: its counts, `T`, and those.
pub fn shared<T>(inner: usize) -> usize {
    2 * size_of::<usize>() + size_of::<T>() + inner
}

/// The heap bytes of a string: its capacity.
pub fn text(s: &String) -> usize {
    s.capacity()
}

/// The heap bytes of a vector's buffer: its capacity.
pub fn slots<T>(v: &Vec<T>) -> usize {
    size_of::<T>() * v.capacity()
}

/// The heap bytes of an optional string.
pub fn optional_text(s: &Option<String>) -> usize {
    s.as_ref().map_or(0, text)
}

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
        match self.outcome() {
            Outcome::Failed { message, .. } => text(message),
            _ => 0,
        }
    }
}

impl Weigh for TaskRow {
    fn bytes(&self) -> usize {
        text(&self.id)
            + text(&self.project_id)
            + text(&self.status)
            + optional_text(&self.order_id)
            + optional_text(&self.assignee)
            + optional_text(&self.metadata)
    }
}

impl Weigh for OtherTask {
    fn bytes(&self) -> usize {
        text(&self.status) + optional_text(&self.assignee)
    }
}

/// History rows: their slots, and text not shared through the interner.
impl Weigh for Vec<HistoryRow> {
    fn bytes(&self) -> usize {
        let own = |t: &Option<std::sync::Arc<str>>| {
            t.as_ref()
                .filter(|t| std::sync::Arc::strong_count(t) == 1)
                .map_or(0, |t| 2 * size_of::<usize>() + t.len())
        };
        slots(self)
            + self
                .iter()
                .map(|r| own(&r.project_id) + own(&r.old_value) + own(&r.new_value) + own(&r.changed_by))
                .sum::<usize>()
    }
}

impl Weigh for Vec<RecordedEvent> {
    fn bytes(&self) -> usize {
        slots(self) + self.iter().map(|e| optional_text(&e.message)).sum::<usize>()
    }
}

impl Weigh for Vec<RecordedRun> {
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
        self.log().bytes()
    }
}

impl Weigh for WorkerLogFile {
    fn bytes(&self) -> usize {
        path(&self.path) + text(&self.task_id)
    }
}

/// The heap bytes of a path: its capacity.
pub fn path(p: &std::path::PathBuf) -> usize {
    p.capacity()
}

#[cfg(test)]
pub(crate) mod tests {
    use std::alloc::{GlobalAlloc, Layout};
    use std::cell::Cell;

    thread_local! {
        /// Bytes this thread holds of what it allocated.
        static HELD: Cell<isize> = const { Cell::new(0) };
    }

    /// The system allocator, counting what each thread allocates and frees.
    pub struct Counting;

    // SAFETY: every call is passed on to the system allocator unchanged; the counting is a
    // thread-local integer (its `with` cannot allocate).
    unsafe impl GlobalAlloc for Counting {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            let _ = HELD.try_with(|h| h.set(h.get() + layout.size() as isize));
            unsafe { std::alloc::System.alloc(layout) }
        }
        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            let _ = HELD.try_with(|h| h.set(h.get() - layout.size() as isize));
            unsafe { std::alloc::System.dealloc(ptr, layout) }
        }
        unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            let _ = HELD.try_with(|h| h.set(h.get() + new_size as isize - layout.size() as isize));
            unsafe { std::alloc::System.realloc(ptr, layout, new_size) }
        }
    }

    /// Bytes this thread holds of what it allocated.
    pub fn held() -> isize {
        HELD.with(|h| h.get())
    }
}
