//! Evaluations remembered per connection and handed back while nothing they
//! rest on has moved, so an app polling an unchanged database pays one pragma
//! and a few `stat`s per call instead of a read and an inference.
//!
//! "Nothing moved" means: SQLite's `PRAGMA data_version` on the same connection
//! is unchanged (it moves whenever another connection commits, schema changes
//! included; the pool already drops connections to a file replaced on disk), and
//! the user-data root, the LOGS folders and the log files the evaluation looked
//! at have the same identity, size and mtime. The version is read before the
//! read it tags, so a commit racing the read can only make the memo older than
//! the data, never newer. File stamps are taken after the evaluation, so a path
//! modified within the last [`SETTLE`] (a write that may have raced the read,
//! or landed in the same coarse mtime tick) is not trusted: that evaluation is
//! not remembered.
//!
//! Before even the pragma (which takes and releases SQLite's file lock), the
//! database file and its `-wal` are compared with their stamps from before
//! the read: in rollback-journal mode every commit writes the database file,
//! in WAL mode the `-wal`, so a file that had been still for [`SETTLE`] when
//! stamped and is unchanged now has seen no commit. A database written within
//! the last seconds always goes through the pragma.
//!
//! Results that depend on the clock (durations of the step in progress) are
//! built from the remembered evaluation at each call, never remembered.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::db::pool::FileStamp;
use crate::db::read::Selection;
use crate::file_id::FileId;
use crate::time::Zone;
use crate::tracker::Evaluated;

/// How long a path must have been still before its stamp is trusted.
pub const SETTLE: Duration = Duration::from_secs(2);
/// Tasks remembered per connection; beyond this the memo starts over.
const CAPACITY_TASKS: usize = 4096;

/// What one call asked for: the selection, where its logs live and how times read.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct MemoKey {
    project_id: String,
    task_ids: Option<Vec<String>>,
    order_id: Option<String>,
    statuses: Option<Vec<String>>,
    user_data_dir: PathBuf,
    zone: String,
}

impl MemoKey {
    pub fn new(selection: &Selection<'_>, user_data_dir: &Path, zone: Zone) -> MemoKey {
        MemoKey {
            project_id: selection.project_id.to_owned(),
            task_ids: selection.task_ids.map(<[String]>::to_vec),
            order_id: selection.order_id.map(str::to_owned),
            statuses: selection.statuses.map(<[String]>::to_vec),
            user_data_dir: user_data_dir.to_path_buf(),
            zone: format!("{zone:?}"),
        }
    }
}

/// A file or folder as it was: identity, size and mtime; `None` if missing.
type Stamp = Option<(FileId, u64, Option<SystemTime>)>;

fn stamp(path: &Path) -> Stamp {
    std::fs::metadata(path)
        .ok()
        .map(|m| (FileId::of(&m), m.len(), m.modified().ok()))
}

/// `path` if it exists; else its highest missing ancestor below `root`. Nothing
/// can appear at `path` without that ancestor appearing first, so one stamp of
/// `PROJECTS/` (say) watches every order's LOGS folder while there is none.
/// Looks from the root down, remembering in `checked` what exists.
fn highest_missing(path: &Path, root: &Path, checked: &mut HashMap<PathBuf, bool>) -> PathBuf {
    let Ok(below) = path.strip_prefix(root) else {
        return path.to_path_buf();
    };
    let mut at = root.to_path_buf();
    for component in below.components() {
        at.push(component);
        let exists = *checked
            .entry(at.clone())
            .or_insert_with(|| std::fs::symlink_metadata(&at).is_ok());
        if !exists {
            return at;
        }
    }
    at
}

struct Remembered {
    evaluated: Vec<Evaluated>,
    stamps: Vec<(PathBuf, Stamp)>,
}

/// The database file and its `-wal` as they were (size and mtime).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DatabaseFiles {
    db: FileStamp,
    wal: Stamp,
}

impl DatabaseFiles {
    /// `db` is the database file's stamp, taken already; the `-wal` is looked at now.
    pub fn of(db_path: &Path, db: FileStamp) -> DatabaseFiles {
        let mut wal = db_path.as_os_str().to_owned();
        wal.push("-wal");
        DatabaseFiles {
            db,
            wal: stamp(Path::new(&wal)),
        }
    }

    /// Whether both had been still for [`SETTLE`]: any later write would change their mtime.
    fn settled(&self) -> bool {
        let Some(limit) = SystemTime::now().checked_sub(SETTLE) else {
            return false;
        };
        let still = |m: Option<SystemTime>| m.is_some_and(|m| m < limit);
        still(self.db.1) && self.wal.as_ref().is_none_or(|(_, _, m)| still(*m))
    }
}

/// One connection's remembered evaluations, all read at one `data_version`.
#[derive(Default)]
pub struct ReadMemo {
    data_version: Option<i64>,
    /// The database files as they were before the read at `data_version`, if settled then.
    files: Option<DatabaseFiles>,
    entries: HashMap<MemoKey, Remembered>,
    tasks_held: usize,
}

impl ReadMemo {
    /// The evaluation remembered for `key`, if the database files are as
    /// they were (settled) at the remembered version: no pragma needed.
    pub fn get_unchanged(&mut self, key: &MemoKey, files: &DatabaseFiles) -> Option<Vec<Evaluated>> {
        if self.files.as_ref() != Some(files) {
            return None;
        }
        self.lookup(key)
    }

    /// The evaluation remembered for `key`, if the database is still at
    /// `data_version` and none of the files it looked at changed. `files`,
    /// stamped before `data_version` was read, may serve the next call.
    pub fn get(&mut self, key: &MemoKey, data_version: i64, files: DatabaseFiles) -> Option<Vec<Evaluated>> {
        self.at_version(data_version);
        self.files = files.settled().then_some(files);
        self.lookup(key)
    }

    fn lookup(&mut self, key: &MemoKey) -> Option<Vec<Evaluated>> {
        let remembered = self.entries.get(key)?;
        if remembered.stamps.iter().any(|(path, was)| stamp(path) != *was) {
            self.forget(key);
            return None;
        }
        Some(remembered.evaluated.clone())
    }

    /// Remembers `evaluated`, read at `data_version` (taken before the read) for `key`.
    pub fn put(&mut self, key: MemoKey, data_version: i64, user_data_dir: &Path, evaluated: &[Evaluated]) {
        self.at_version(data_version);
        if evaluated.len() > CAPACITY_TASKS {
            return;
        }
        let mut checked = HashMap::new();
        let mut paths: Vec<PathBuf> = vec![user_data_dir.to_path_buf()];
        paths.extend(
            evaluated
                .iter()
                .flat_map(|e| e.logs_dir.iter().chain(e.log_path.iter()))
                .map(|p| highest_missing(p, user_data_dir, &mut checked)),
        );
        paths.sort();
        paths.dedup();
        let settled_before = SystemTime::now().checked_sub(SETTLE);
        let mut stamps = Vec::with_capacity(paths.len());
        for path in paths {
            let s = stamp(&path);
            let recent = match (s.as_ref().and_then(|(_, _, m)| *m), settled_before) {
                (Some(modified), Some(limit)) => modified >= limit,
                // without an mtime there is nothing to trust
                (None, _) => s.is_some(),
                (Some(_), None) => true,
            };
            if recent {
                return;
            }
            stamps.push((path, s));
        }
        if self.tasks_held + evaluated.len() > CAPACITY_TASKS {
            self.entries.clear();
            self.tasks_held = 0;
        }
        self.tasks_held += evaluated.len();
        if let Some(old) = self.entries.insert(
            key,
            Remembered {
                evaluated: evaluated.to_vec(),
                stamps,
            },
        ) {
            self.tasks_held -= old.evaluated.len();
        }
    }

    /// How many selections are remembered.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Forgets everything read at another version.
    fn at_version(&mut self, data_version: i64) {
        if self.data_version != Some(data_version) {
            self.files = None;
            self.entries.clear();
            self.tasks_held = 0;
            self.data_version = Some(data_version);
        }
    }

    fn forget(&mut self, key: &MemoKey) {
        if let Some(old) = self.entries.remove(key) {
            self.tasks_held -= old.evaluated.len();
        }
    }
}
