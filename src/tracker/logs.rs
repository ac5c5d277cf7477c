//! Worker and review logs, read only as far as they changed: each parsed log
//! is kept with the [`FileState`] it was read at and read on from there when
//! that moves; each LOGS folder listing is kept with its folder's state.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use super::bounded::Bounded;
use super::budget::{shared, slots, Budget, Share, Weigh};
use crate::evidence::review_log::{ReviewLog, ReviewLogParser};
use crate::evidence::worker_log::{LogRun, WorkerLogParser};
use crate::evidence::WorkerLogRun;
use crate::io::file_state::FileState;
use crate::io::logs::paths::{self, WorkerLogFile};
use crate::io::logs::reader::LogProgress;
use crate::time::Zone;

/// The log caches' shares of the tracker's budget, in percent.
pub const WORKER_LOGS_SHARE: usize = 15;
pub const REVIEW_LOGS_SHARE: usize = 5;
pub const LISTINGS_SHARE: usize = 5;

/// A LOGS folder's worker logs, by task, as listed when the folder was in `state`.
pub(super) struct Listing {
    state: Option<FileState>,
    /// Whether the folder had been still for a while when listed: a folder
    /// changed within the same mtime tick as the listing may hide a new file.
    settled: bool,
    by_task: HashMap<String, Vec<WorkerLogFile>>,
}

/// What was read of one log file.
pub struct ReadLog<T> {
    pub value: T,
    pub state: FileState,
}

/// Parsed logs and folder listings, shared by every call.
pub struct LogStore {
    pub(super) worker: Bounded<(PathBuf, Zone), LogProgress<WorkerLogParser>>,
    review: Bounded<(PathBuf, Zone), LogProgress<ReviewLogParser>>,
    pub(super) listings: Bounded<(PathBuf, Zone), Arc<Listing>>,
    bytes_read: u64,
}

impl LogStore {
    /// A store whose caches hold their shares of `budget`.
    pub fn new(budget: &Arc<Budget>) -> LogStore {
        LogStore {
            worker: Bounded::new(Share::of(budget, WORKER_LOGS_SHARE)),
            review: Bounded::new(Share::of(budget, REVIEW_LOGS_SHARE)),
            listings: Bounded::new(Share::of(budget, LISTINGS_SHARE)),
            bytes_read: 0,
        }
    }
}

impl Listing {
    fn bytes(&self) -> usize {
        let table = self.by_task.capacity() * (std::mem::size_of::<(String, Vec<WorkerLogFile>)>() + 1);
        let files = self
            .by_task
            .iter()
            .map(|(task, files)| task.capacity() + slots(files) + files.iter().map(Weigh::bytes).sum::<usize>())
            .sum::<usize>();
        shared::<Listing>(table + files)
    }
}

impl LogStore {
    /// The worker logs launched for `task_id` in the LOGS folder `dir`, oldest
    /// launch first. `root` is the canonical user-data root the folder must be inside.
    pub fn worker_logs(&mut self, dir: &Path, root: &Path, task_id: &str, zone: Zone) -> Vec<WorkerLogFile> {
        self.listing(dir, root, zone)
            .by_task
            .get(task_id)
            .cloned()
            .unwrap_or_default()
    }

    /// The folder's listing, listed again when the folder moved.
    fn listing(&mut self, dir: &Path, root: &Path, zone: Zone) -> Arc<Listing> {
        let state = FileState::of(dir);
        let key = (dir.to_path_buf(), zone);
        match self.listings.get(&key) {
            Some(listing) if listing.settled && listing.state == state => Arc::clone(listing),
            _ => {
                let by_task = if state.is_some_and(|s| s.is_dir) {
                    paths::scan_worker_logs(dir, root, zone)
                } else {
                    HashMap::new()
                };
                let settled = state.is_none_or(|s| s.settled(SystemTime::now()));
                let listing = Arc::new(Listing {
                    state,
                    settled,
                    by_task,
                });
                let weight = listing.bytes() + dir.as_os_str().len();
                self.listings.insert(key, Arc::clone(&listing), weight);
                listing
            }
        }
    }

    /// Every worker log in the LOGS folder `dir` (inside the canonical `root`),
    /// whatever task it was launched for.
    pub fn folder_logs(&mut self, dir: &Path, root: &Path, zone: Zone) -> Vec<WorkerLogFile> {
        self.listing(dir, root, zone)
            .by_task
            .values()
            .flatten()
            .cloned()
            .collect()
    }

    /// The runs of `task_id` in a worker log (read as far as it grew), with the
    /// state it was read at: the run the log was launched for, if it is the
    /// task's, and any later run naming the task (a `--loop` worker's output).
    pub fn worker_runs(
        &mut self,
        file: &WorkerLogFile,
        task_id: &str,
        zone: Zone,
    ) -> Option<ReadLog<Vec<WorkerLogRun>>> {
        let state = FileState::of(&file.path)?;
        let progress = read(&mut self.worker, &mut self.bytes_read, &file.path, state, zone, || {
            WorkerLogParser::new(zone)
        })?;
        Some(ReadLog {
            value: runs_of(progress.parser().runs(), file, task_id),
            state,
        })
    }

    /// A worker log's runs, read as far as it grew.
    pub fn worker_log(&mut self, file: &WorkerLogFile, zone: Zone) -> Option<ReadLog<Vec<LogRun>>> {
        let state = FileState::of(&file.path)?;
        let progress = read(&mut self.worker, &mut self.bytes_read, &file.path, state, zone, || {
            WorkerLogParser::new(zone)
        })?;
        Some(ReadLog {
            value: progress.parser().runs().to_vec(),
            state,
        })
    }

    /// The review log at `path`, read as far as it grew (from the start when it
    /// was overwritten by a new review).
    pub fn review(&mut self, path: &Path, zone: Zone) -> Option<ReadLog<ReviewLog>> {
        let state = FileState::of(path)?;
        let progress = read(&mut self.review, &mut self.bytes_read, path, state, zone, || {
            ReviewLogParser::new(zone)
        })?;
        Some(ReadLog {
            value: progress.parser().log().clone(),
            state,
        })
    }

    /// A worker log's runs for the run history: from the cache when it holds
    /// the log as it is now, else read whole and not kept (a project's
    /// thousands of finished logs would push out those of the running tasks).
    pub fn worker_log_once(&mut self, file: &WorkerLogFile, zone: Zone) -> Option<Vec<LogRun>> {
        let state = FileState::of(&file.path)?;
        let fresh = || WorkerLogParser::new(zone);
        read_once(
            &self.worker,
            &mut self.bytes_read,
            &file.path,
            state,
            zone,
            fresh,
            |p| p.runs().to_vec(),
        )
    }

    /// A review log for the run history, as [`LogStore::worker_log_once`].
    pub fn review_once(&mut self, path: &Path, zone: Zone) -> Option<ReviewLog> {
        let state = FileState::of(path)?;
        let fresh = || ReviewLogParser::new(zone);
        read_once(&self.review, &mut self.bytes_read, path, state, zone, fresh, |p| {
            p.log().clone()
        })
    }

    /// Log bytes read since this store was made (each byte once, however often polled).
    pub fn bytes_read(&self) -> u64 {
        self.bytes_read
    }
}

/// The runs of `task_id` among a log's `runs`: the first is the run the log was
/// launched for (its name's task); each later one belongs to the task it names.
fn runs_of(runs: &[LogRun], file: &WorkerLogFile, task_id: &str) -> Vec<WorkerLogRun> {
    runs.iter()
        .enumerate()
        .filter(|&(i, r)| owner(i, r, file) == task_id)
        .map(|(i, r)| WorkerLogRun {
            launched_at: if i == 0 {
                file.launched_at
            } else {
                r.began_at.unwrap_or(file.launched_at)
            },
            run: r.run.clone(),
        })
        .collect()
}

/// The task the `index`-th run of `file` belongs to.
pub fn owner<'a>(index: usize, run: &'a LogRun, file: &'a WorkerLogFile) -> &'a str {
    match (index, run.task_id.as_deref()) {
        (0, _) | (_, None) => &file.task_id,
        (_, Some(named)) => named,
    }
}

fn read<'a, P: crate::evidence::LineParser + Weigh>(
    cache: &'a mut Bounded<(PathBuf, Zone), LogProgress<P>>,
    bytes_read: &mut u64,
    path: &Path,
    state: FileState,
    zone: Zone,
    fresh: impl FnOnce() -> P,
) -> Option<&'a LogProgress<P>> {
    let key = (path.to_path_buf(), zone);
    let unchanged = cache.get(&key).is_some_and(|p| p.state == state);
    if !unchanged {
        let previous = cache.get(&key);
        let (progress, bytes) = LogProgress::read(path, state, previous, fresh).ok()?;
        *bytes_read += bytes;
        // The parser twice (after the last whole line, and with a line still being
        // written), the file's first bytes, the path.
        let weight =
            std::mem::size_of::<LogProgress<P>>() + 2 * progress.parser().bytes() + 256 + key.0.as_os_str().len();
        cache.insert(key.clone(), progress, weight);
    }
    cache.get(&key)
}

/// What `extract` takes from a log as it is now, without keeping the log:
/// from the cached progress if it is current, else from the whole file read.
#[allow(clippy::too_many_arguments)]
fn read_once<P: crate::evidence::LineParser + Weigh, T>(
    cache: &Bounded<(PathBuf, Zone), LogProgress<P>>,
    bytes_read: &mut u64,
    path: &Path,
    state: FileState,
    zone: Zone,
    fresh: impl FnOnce() -> P,
    extract: impl FnOnce(&P) -> T,
) -> Option<T> {
    if let Some(kept) = cache.peek(&(path.to_path_buf(), zone)).filter(|p| p.state == state) {
        return Some(extract(kept.parser()));
    }
    let (progress, bytes) = LogProgress::read(path, state, None, fresh).ok()?;
    *bytes_read += bytes;
    Some(extract(progress.parser()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::step::Step;
    use std::io::Write;

    #[test]
    fn polling_an_unchanged_log_reads_nothing_and_growth_reads_only_the_new_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let logs = dir.path().canonicalize().unwrap().join("LOGS");
        std::fs::create_dir(&logs).unwrap();
        let path = logs.join("worker_TASK_1_20261024_105149.log");
        let first = b"2026-10-24 10:51:49 [INFO] [assign_worker] start: mode=x\n";
        std::fs::write(&path, first).unwrap();
        let mut store = LogStore::new(&Budget::new(1 << 30));
        let zone = Zone::japan();
        let files = store.worker_logs(&logs, dir.path(), "TASK_1", zone);
        assert_eq!(files.len(), 1);
        for _ in 0..3 {
            let runs = store.worker_runs(&files[0], "TASK_1", zone).unwrap();
            assert_eq!(runs.value[0].run.reached(), Some(Step::AssignWorker));
        }
        assert_eq!(store.bytes_read(), first.len() as u64);
        let more = b"2026-10-24 10:51:50 [INFO] [execute_task] start: model=opus\n";
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(more)
            .unwrap();
        assert_eq!(
            store.worker_runs(&files[0], "TASK_1", zone).unwrap().value[0]
                .run
                .reached(),
            Some(Step::ExecuteTask)
        );
        assert_eq!(store.bytes_read(), (first.len() + more.len()) as u64);
    }

    #[test]
    fn a_new_log_in_a_folder_changed_a_moment_ago_is_found() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        let logs = root.join("LOGS");
        std::fs::create_dir(&logs).unwrap();
        let mut store = LogStore::new(&Budget::new(1 << 30));
        let zone = Zone::japan();
        assert!(store.worker_logs(&logs, &root, "T", zone).is_empty());
        std::fs::write(logs.join("worker_T_20261024_105149.log"), "x").unwrap();
        assert_eq!(
            store.worker_logs(&logs, &root, "T", zone).len(),
            1,
            "the folder was not settled: listed again"
        );
    }
}
