//! A project's finished runs, for the estimate: its worker logs (every order's
//! LOGS folder, `--loop` output included), the review logs that name it
//! (reviews, and the rework runs inside them) and its recorded runs. Gathered
//! at most every [`REFRESH`]: finished runs change slowly, and an estimate
//! that holds still from tick to tick is the point. Each log's runs are kept
//! with the file's state, so a refresh reads only the logs that moved. A
//! project with more runs than the cache's share can hold keeps only its
//! [`Basis`] (bounded by the runs it rests on): its estimates are served,
//! and the next refresh reads its logs again.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use super::budget::Weigh;
use super::logs::LogStore;
use crate::decision::timeline::ReviewSpan;
use crate::estimate::{Basis, PastRun, RunKind};
use crate::evidence::recorded::RecordedRun;
use crate::io::file_state::FileState;
use crate::io::logs::paths;
use crate::time::{Instant, Zone};

/// How long a project's gathered runs are used before they are gathered again.
pub const REFRESH: Duration = Duration::from_secs(30);

/// A project's finished runs, as last gathered.
pub struct ProjectRuns {
    gathered: Instant,
    /// Each log's finished runs, by the state it was read at; keyed by a hash
    /// of its path (a project has thousands of logs: their paths would weigh
    /// more than their runs).
    by_file: HashMap<u64, (FileState, Vec<PastRun>)>,
    /// The recorded runs that finished.
    recorded: Vec<PastRun>,
    pub basis: Arc<Basis>,
    complete: bool,
}

impl ProjectRuns {
    /// Whether it is recent enough to use at `now` (the call's clock: no
    /// system call of its own on the path every running result takes).
    pub fn fresh(&self, now: Instant) -> bool {
        (now - self.gathered).to_std().is_ok_and(|age| age < REFRESH)
    }

    /// The same basis without the runs behind it: what is kept of a project
    /// whose runs do not fit the cache.
    pub fn slim(&self) -> ProjectRuns {
        ProjectRuns {
            gathered: self.gathered,
            by_file: HashMap::new(),
            recorded: Vec::new(),
            basis: Arc::clone(&self.basis),
            complete: false,
        }
    }

    /// Whether it holds the runs, not only their basis.
    pub fn is_complete(&self) -> bool {
        self.complete
    }

    /// Every finished run it holds.
    pub fn past_runs(&self) -> Vec<PastRun> {
        let logged = self.by_file.values().flat_map(|(_, runs)| runs.iter());
        logged.chain(&self.recorded).cloned().collect()
    }
}

impl Weigh for ProjectRuns {
    fn bytes(&self) -> usize {
        let files: usize = self
            .by_file
            .iter()
            .map(|(_, (_, runs))| {
                std::mem::size_of::<(u64, (FileState, Vec<PastRun>))>() * 3 / 2
                    + std::mem::size_of::<PastRun>() * runs.capacity()
            })
            .sum();
        files + std::mem::size_of::<PastRun>() * self.recorded.capacity() + self.basis.bytes()
    }
}

/// Gathers `project`'s finished runs under the user-data `root`, reusing
/// what `previous` read of logs that did not move; `recorded` are its
/// recorded runs (from the database).
pub fn gather(
    logs: &mut LogStore,
    root: &Path,
    project: &str,
    recorded: &[RecordedRun],
    previous: Option<&ProjectRuns>,
    zone: Zone,
    now: Instant,
) -> ProjectRuns {
    let mut by_file: HashMap<u64, (FileState, Vec<PastRun>)> = HashMap::new();
    let mut keep = |path: PathBuf, state: FileState, read: &mut dyn FnMut() -> Vec<PastRun>| {
        let key = path_key(&path);
        let runs = match previous.and_then(|p| p.by_file.get(&key)) {
            Some((seen, runs)) if *seen == state => runs.clone(),
            _ => read(),
        };
        by_file.insert(key, (state, runs));
    };
    // Every order's worker logs.
    let results = root.join("PROJECTS").join(project).join("RESULT");
    let orders = std::fs::read_dir(&results).into_iter().flatten().flatten();
    for order in orders.filter_map(|e| e.file_name().into_string().ok()) {
        let Some(dir) = paths::logs_dir(root, project, &order) else {
            continue;
        };
        for file in logs.folder_logs(&dir, root, zone) {
            let Some(state) = FileState::of(&file.path) else {
                continue;
            };
            keep(file.path.clone(), state, &mut || {
                logs.worker_log_once(&file, zone)
                    .map(|runs| {
                        runs.iter()
                            .filter_map(|r| PastRun::of_run(&r.run, RunKind::First))
                            .collect()
                    })
                    .unwrap_or_default()
            });
        }
    }
    // The review logs that name the project.
    let reviews = paths::review_dir(root);
    let review_logs = std::fs::read_dir(&reviews).into_iter().flatten().flatten();
    for entry in review_logs {
        let path = entry.path();
        let named = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.ends_with("_review.log"));
        let Some(state) = FileState::of(&path).filter(|s| named && !s.is_dir) else {
            continue;
        };
        let Some(path) = paths::inside(&path, &reviews, root) else {
            continue;
        };
        keep(path.clone(), state, &mut || {
            let Some(log) = logs.review_once(&path, zone) else {
                return Vec::new();
            };
            if log.project_id.as_deref() != Some(project) {
                return Vec::new();
            }
            let rework = log
                .rework
                .as_ref()
                .and_then(|r| PastRun::of_run(&r.run, RunKind::Rework));
            let review = PastRun::of_review(&ReviewSpan::of(&log));
            rework.into_iter().chain(review).collect()
        });
    }
    let recorded: Vec<PastRun> = recorded
        .iter()
        .filter_map(|r| PastRun::of_run(&r.run, RunKind::First))
        .collect();
    let mut gathered = ProjectRuns {
        gathered: now,
        by_file,
        recorded,
        basis: Arc::default(),
        complete: true,
    };
    gathered.basis = Arc::new(Basis::new(&gathered.past_runs()));
    gathered
}

/// A log's key: a hash of its path, the same for the same path in this process.
fn path_key(path: &Path) -> u64 {
    let mut hasher = DefaultHasher::new();
    path.hash(&mut hasher);
    hasher.finish()
}
