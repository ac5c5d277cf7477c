//! Live updates (the seed's extension 2): poll cheaply, recompute only when
//! something changed, and report only tasks whose information changed.
//!
//! "Something changed" is decided from file metadata and SQLite's
//! `PRAGMA data_version` (which moves whenever another connection commits),
//! read on the watcher's own read-only connection: the database file, its
//! rollback journal, the LOGS folders of the watched tasks and the logs they
//! were read from. While none of these move, a tick costs a few `stat`s and one
//! pragma, and reports nothing.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::db::pool::{database_file, Reader};
use crate::db::read::in_read_transaction;
use crate::db::snapshot::journal_of;
use crate::error::{Error, Result};
use crate::file_id::FileId;
use crate::result::{ExecutionStepInfo, Presentation};
use crate::time::Clock;
use crate::timeline::StepStatus;
use crate::tracker::{check_id, BatchFilter, Evaluated, Source, StepTracker};

/// What a watcher follows.
#[derive(Clone, Debug)]
pub struct WatchSpec {
    pub project_id: String,
    pub filter: BatchFilter,
    pub source: Source,
    pub presentation: Presentation,
}

/// One task whose step information changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExecutionStepChange {
    pub project_id: String,
    pub task_id: String,
    /// What was reported before; `None` the first time the task is seen.
    pub previous: Option<ExecutionStepInfo>,
    pub current: ExecutionStepInfo,
}

/// The outcome of one tick.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Tick {
    /// Nothing changed, or nothing that matters.
    Quiet,
    Changes(Vec<ExecutionStepChange>),
    /// Reading failed in a new way (the same failure is reported once).
    Failed(Error),
}

/// Cheap metadata of one file: (size, mtime), or `None` if it is missing.
type Stamp = Option<(u64, Option<SystemTime>)>;

fn stamp(path: &Path) -> Stamp {
    std::fs::metadata(path).ok().map(|m| (m.len(), m.modified().ok()))
}

/// Everything a change would move.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Fingerprint {
    db: FileId,
    db_stamp: Stamp,
    journal: Stamp,
    data_version: i64,
    logs: Vec<(PathBuf, Stamp)>,
}

/// A watcher's state between ticks.
pub struct Watch {
    spec: WatchSpec,
    db_path: PathBuf,
    /// The connection `data_version` is read on, and which file it was opened on.
    version_conn: Option<(FileId, Reader)>,
    seen: Option<Fingerprint>,
    /// What was last reported, per task.
    reported: HashMap<String, ExecutionStepInfo>,
    /// The failure reported last, so it is not repeated every tick.
    failing: Option<Error>,
}

impl Watch {
    pub fn new(spec: WatchSpec, tracker: &StepTracker) -> Result<Watch> {
        // Refused now, like every other entry point, not on the first tick.
        check_id("projectId", &spec.project_id)?;
        for id in spec.filter.task_ids.iter().flatten() {
            check_id("taskIds[]", id)?;
        }
        let db_path = tracker.locate(&spec.source)?.db_path;
        Ok(Watch {
            spec,
            db_path,
            version_conn: None,
            seen: None,
            reported: HashMap::new(),
            failing: None,
        })
    }

    /// The database being watched.
    pub fn db_path(&self) -> &Path {
        &self.db_path
    }

    /// Looks for changes; recomputes and diffs only if something moved.
    pub fn tick(&mut self, tracker: &StepTracker, clock: &Clock) -> Tick {
        match self.try_tick(tracker, clock) {
            Ok(changes) => {
                self.failing = None;
                if changes.is_empty() {
                    Tick::Quiet
                } else {
                    Tick::Changes(changes)
                }
            }
            Err(e) => {
                // Forget what was seen so recovery recomputes; keep what was reported.
                self.seen = None;
                self.release_connection(tracker);
                if self.failing.as_ref() == Some(&e) {
                    Tick::Quiet
                } else {
                    self.failing = Some(e.clone());
                    Tick::Failed(e)
                }
            }
        }
    }

    fn try_tick(&mut self, tracker: &StepTracker, clock: &Clock) -> Result<Vec<ExecutionStepChange>> {
        let db = database_file(&self.db_path)?;
        let data_version = self.data_version(tracker, db)?;
        let logs: Vec<(PathBuf, Stamp)> = match &self.seen {
            Some(seen) => seen.logs.iter().map(|(p, _)| (p.clone(), stamp(p))).collect(),
            None => Vec::new(),
        };
        let probe = Fingerprint {
            db,
            db_stamp: stamp(&self.db_path),
            journal: stamp(&journal_of(&self.db_path)),
            data_version,
            logs,
        };
        if self.seen.as_ref() == Some(&probe) {
            return Ok(Vec::new());
        }

        let spec = &self.spec;
        let evaluated = tracker.evaluate_batch(&spec.project_id, &spec.filter, &spec.source, clock)?;
        let mut current: Vec<ExecutionStepInfo> = evaluated
            .iter()
            .map(|e| ExecutionStepInfo::build(&e.record.task, &e.inference, spec.presentation, clock))
            .collect();
        // Tasks that left the selection get one last report with their final state.
        let departed: Vec<String> = self
            .reported
            .keys()
            .filter(|id| !current.iter().any(|c| &c.task_id == *id))
            .cloned()
            .collect();
        if !departed.is_empty() {
            let filter = BatchFilter {
                task_ids: Some(departed.clone()),
                ..BatchFilter::default()
            };
            let finals = tracker.tasks_steps(&spec.project_id, &filter, &spec.source, spec.presentation, clock)?;
            for id in &departed {
                let last = finals
                    .iter()
                    .find(|f| &f.task_id == id)
                    .cloned()
                    .unwrap_or_else(|| ExecutionStepInfo::not_found(&spec.project_id, id, spec.presentation));
                current.push(last);
            }
        }

        let mut changes = Vec::new();
        for info in current {
            let previous = self.reported.get(&info.task_id);
            if previous.is_some_and(|p| settled(p) == settled(&info)) {
                continue;
            }
            changes.push(ExecutionStepChange {
                project_id: spec.project_id.clone(),
                task_id: info.task_id.clone(),
                previous: previous.cloned(),
                current: info.clone(),
            });
            self.reported.insert(info.task_id.clone(), info);
        }
        for id in &departed {
            self.reported.remove(id);
        }

        let mut logs = watched_logs(&evaluated);
        logs.sort();
        logs.dedup();
        // Fresh stamps: anything that moved while we read is seen next tick.
        self.seen = Some(Fingerprint {
            logs: logs
                .into_iter()
                .map(|p| {
                    let s = stamp(&p);
                    (p, s)
                })
                .collect(),
            ..probe
        });
        Ok(changes)
    }

    /// Ends the watch: its connection goes to the tracker's pool rather than
    /// being closed (see [`crate::db::pool`] on why descriptors stay open).
    pub fn finish(mut self, tracker: &StepTracker) {
        self.release_connection(tracker);
    }

    fn release_connection(&mut self, tracker: &StepTracker) {
        if let Some((file, conn)) = self.version_conn.take() {
            tracker.pool().adopt(&self.db_path, file, conn);
        }
    }

    fn data_version(&mut self, tracker: &StepTracker, db: FileId) -> Result<i64> {
        if self.version_conn.as_ref().is_some_and(|(file, _)| *file != db) {
            self.release_connection(tracker);
        }
        let path = &self.db_path;
        if self.version_conn.is_none() {
            let mut reader = Reader::open(path)?;
            reader.busy_timeout = self.spec.source.busy_timeout;
            reader
                .conn
                .busy_timeout(reader.busy_timeout)
                .map_err(|e| Error::from_sqlite(e, path))?;
            self.version_conn = Some((db, reader));
        }
        let (_, reader) = self.version_conn.as_mut().expect("just opened");
        // Like any read: consistent, and never in the middle of a commit.
        in_read_transaction(reader, path, |reader| reader.data_version().map(Ok))
    }
}

/// The LOGS folders and log files a change to the watched tasks would touch.
fn watched_logs(evaluated: &[Evaluated]) -> Vec<PathBuf> {
    evaluated
        .iter()
        .flat_map(|e| e.logs_dir.iter().chain(e.log_path.iter()).cloned())
        .collect()
}

/// A result without what changes by itself: the in-progress step's growing duration.
fn settled(info: &ExecutionStepInfo) -> ExecutionStepInfo {
    let mut info = info.clone();
    for step in info.steps.iter_mut().flatten() {
        if step.status == StepStatus::InProgress.as_str() {
            step.duration_ms = None;
        }
    }
    info
}
