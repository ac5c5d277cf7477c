//! Worker and review logs, read only as far as they changed: each parsed log
//! is kept with the [`FileState`] it was read at and read on from there when
//! that moves; each LOGS folder listing is kept with its folder's state.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use super::bounded::Bounded;
use crate::evidence::review_log::{ReviewLog, ReviewLogParser};
use crate::evidence::worker_log::WorkerLogParser;
use crate::evidence::WorkerLogRun;
use crate::io::file_state::FileState;
use crate::io::logs::paths::{self, WorkerLogFile};
use crate::io::logs::reader::LogProgress;
use crate::time::Zone;

/// Parsed logs kept at most (each weighs one).
const LOGS_KEPT: usize = 8192;
/// Folder listings kept at most.
const LISTINGS_KEPT: usize = 2048;

/// A LOGS folder's worker logs, by task, as listed when the folder was in `state`.
struct Listing {
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
    worker: Bounded<(PathBuf, Zone), LogProgress<WorkerLogParser>>,
    review: Bounded<(PathBuf, Zone), LogProgress<ReviewLogParser>>,
    listings: Bounded<(PathBuf, Zone), Arc<Listing>>,
    bytes_read: u64,
}

impl Default for LogStore {
    fn default() -> LogStore {
        LogStore {
            worker: Bounded::new(LOGS_KEPT),
            review: Bounded::new(LOGS_KEPT),
            listings: Bounded::new(LISTINGS_KEPT),
            bytes_read: 0,
        }
    }
}

impl LogStore {
    /// The worker logs of `task_id` in the LOGS folder `dir`, oldest launch
    /// first, and the folder's state (to notice new logs). `root` is the
    /// canonical user-data root the folder must be inside.
    pub fn worker_logs(
        &mut self,
        dir: &Path,
        root: &Path,
        task_id: &str,
        zone: Zone,
    ) -> (Vec<WorkerLogFile>, Option<FileState>) {
        let state = FileState::of(dir);
        let key = (dir.to_path_buf(), zone);
        let listing = match self.listings.get(&key) {
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
                self.listings.insert(key, Arc::clone(&listing), 1);
                listing
            }
        };
        (listing.by_task.get(task_id).cloned().unwrap_or_default(), state)
    }

    /// The run a worker log tells, read as far as it grew.
    pub fn worker_run(&mut self, file: &WorkerLogFile, zone: Zone) -> Option<ReadLog<WorkerLogRun>> {
        let state = FileState::of(&file.path)?;
        let progress = read(&mut self.worker, &mut self.bytes_read, &file.path, state, zone, || {
            WorkerLogParser::new(zone)
        })?;
        let run = progress.parser().run().clone();
        Some(ReadLog {
            value: WorkerLogRun {
                launched_at: file.launched_at,
                run,
            },
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

    /// Log bytes read since this store was made (each byte once, however often polled).
    pub fn bytes_read(&self) -> u64 {
        self.bytes_read
    }
}

fn read<'a, P: crate::evidence::LineParser>(
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
        cache.insert(key.clone(), progress, 1);
    }
    cache.get(&key)
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
        let mut store = LogStore::default();
        let zone = Zone::japan();
        let (files, _) = store.worker_logs(&logs, dir.path(), "TASK_1", zone);
        assert_eq!(files.len(), 1);
        for _ in 0..3 {
            let run = store.worker_run(&files[0], zone).unwrap();
            assert_eq!(run.value.run.reached(), Some(Step::AssignWorker));
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
            store.worker_run(&files[0], zone).unwrap().value.run.reached(),
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
        let mut store = LogStore::default();
        let zone = Zone::japan();
        assert!(store.worker_logs(&logs, &root, "T", zone).0.is_empty());
        std::fs::write(logs.join("worker_T_20261024_105149.log"), "x").unwrap();
        assert_eq!(
            store.worker_logs(&logs, &root, "T", zone).0.len(),
            1,
            "the folder was not settled: listed again"
        );
    }
}
