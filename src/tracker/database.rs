//! One database's evidence, kept across calls and read again only as far as
//! it changed.
//!
//! The connection's `PRAGMA data_version` moves with every commit of another
//! connection; while it stands still (and, before even asking, while the
//! database file and its `-wal` are as they were and had been still when last
//! read), nothing is read. After a change, one read transaction reads:
//!
//! * the task rows asked for, and the tasks of other projects sharing their ids;
//! * `change_history` rows past the highest key seen (the table only grows
//!   as writers use it), added to the tasks they are about;
//! * per task asked for, the count and highest key of its rows — what tells a
//!   deletion (or anything else a row-by-row append cannot explain): such a
//!   task's rows are read again whole, as are a task's first;
//! * the locks of the tasks asked for; recorded events like history.
//!
//! A schema change or a VACUUM (`PRAGMA schema_version`) drops everything; a
//! database file replaced on disk gets a new [`Database`] (see the tracker).
//! So an answer is never staler than a full read of the same snapshot.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use super::bounded::Bounded;
use crate::error::Result;
use crate::evidence::history::HistoryRow;
use crate::evidence::recorded::{split_runs, RecordedEvent, RecordedRun};
use crate::evidence::{HeldLocks, OtherTask, TaskRow};
use crate::io::db::connection::{self, ReadConnection};
use crate::io::db::read::{self, Interner, RawEvent, RawHistory, RawTask, Selection};
use crate::io::db::schema::Schema;
use crate::io::file_state::FileState;
use crate::time::Zone;

/// History rows kept at most, over all tasks (about 90 bytes each).
const HISTORY_ROWS_KEPT: usize = 500_000;
/// Recorded events kept at most.
const EVENTS_KEPT: usize = 200_000;
/// Tasks of remembered selections kept at most.
const SELECTION_TASKS_KEPT: usize = 50_000;

/// Everything the database says about one task.
#[derive(Clone, Debug)]
pub struct TaskData {
    pub task: TaskRow,
    pub others: Vec<OtherTask>,
    /// Every row about the task id (any project), oldest first.
    pub history: Arc<Vec<HistoryRow>>,
    pub locks: Option<HeldLocks>,
    pub recorded: Arc<Vec<RecordedRun>>,
    /// What identifies this evidence: the same stamp, the same evidence.
    pub stamp: DataStamp,
}

/// A cheap fingerprint of a task's database evidence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataStamp {
    task: TaskRow,
    others: Vec<OtherTask>,
    history: (usize, i64),
    locks: Option<HeldLocks>,
    recorded: (usize, i64),
}

/// The tasks of one selection, as one snapshot has them.
pub type Snapshot = Arc<Vec<TaskData>>;

/// One task's rows of a table, and what the database said of them.
#[derive(Clone, Debug)]
struct Rows<T> {
    rows: Arc<Vec<T>>,
    /// How many rows the table has for the task (for events, with those naming no step).
    count: i64,
    max_key: i64,
}

impl<T> Default for Rows<T> {
    fn default() -> Rows<T> {
        Rows {
            rows: Arc::new(Vec::new()),
            count: 0,
            max_key: 0,
        }
    }
}

#[derive(Clone, Debug, Default)]
struct Events {
    rows: Rows<RecordedEvent>,
    runs: Arc<Vec<RecordedRun>>,
}

/// What a selection asks for, owned.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct SelectionKey {
    project_id: String,
    task_ids: Option<Vec<String>>,
    order_id: Option<String>,
    statuses: Option<Vec<String>>,
}

impl SelectionKey {
    fn of(s: &Selection<'_>) -> SelectionKey {
        SelectionKey {
            project_id: s.project_id.to_owned(),
            task_ids: s.task_ids.map(<[String]>::to_vec),
            order_id: s.order_id.map(str::to_owned),
            statuses: s.statuses.map(<[String]>::to_vec),
        }
    }
}

/// The database file and its `-wal`, as they were.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Files {
    db: FileState,
    wal: Option<FileState>,
}

impl Files {
    fn settled(&self, now: SystemTime) -> bool {
        self.db.settled(now) && self.wal.is_none_or(|w| w.settled(now))
    }
}

/// One database file's connection and everything read through it.
pub struct Database {
    path: PathBuf,
    wal_path: PathBuf,
    reader: ReadConnection,
    /// The file the connection was opened on.
    pub opened_on: FileState,
    busy_timeout: Option<Duration>,
    zone: Option<Zone>,
    schema: Option<(i64, Schema)>,
    /// `data_version` and the files at the last read, and whether the files had been still then.
    seen: Option<(i64, Files, bool)>,
    interner: Interner,
    history: Bounded<String, Rows<HistoryRow>>,
    history_seen: i64,
    /// Recorded events by (project, task).
    events: Bounded<(String, String), Events>,
    events_seen: i64,
    selections: Bounded<SelectionKey, Snapshot>,
    /// Read transactions run (for tests and the benchmark).
    pub reads: u64,
}

/// What one read transaction fetched, still raw.
#[derive(Default)]
struct Fetched {
    tasks: Vec<RawTask>,
    others: Vec<(String, OtherTask)>,
    history_max: i64,
    history_new: Vec<RawHistory>,
    history_full: Vec<RawHistory>,
    history_full_ids: Vec<String>,
    history_reset: bool,
    history_tally: HashMap<String, (i64, i64)>,
    locks: Vec<(String, i64, Option<String>)>,
    events_max: i64,
    events_new: Vec<RawEvent>,
    events_full: Vec<RawEvent>,
    events_full_ids: Vec<String>,
    events_reset: bool,
    events_tally: HashMap<String, (i64, i64)>,
}

impl Database {
    /// A connection to the database at `path`, now `state`.
    pub fn open(path: &Path, state: FileState) -> Result<Database> {
        Ok(Database {
            path: path.to_path_buf(),
            wal_path: suffixed(path, "-wal"),
            reader: connection::open_reader(path)?,
            opened_on: state,
            busy_timeout: None,
            zone: None,
            schema: None,
            seen: None,
            interner: Interner::default(),
            history: Bounded::new(HISTORY_ROWS_KEPT),
            history_seen: 0,
            events: Bounded::new(EVENTS_KEPT),
            events_seen: 0,
            selections: Bounded::new(SELECTION_TASKS_KEPT),
            reads: 0,
        })
    }

    /// Whether this connection still serves the file now at its path.
    pub fn serves(&self, state: &FileState) -> bool {
        state.id == self.opened_on.id && (!self.reader.immutable || *state == self.opened_on)
    }

    /// The selected tasks' evidence as of now.
    pub fn read(
        &mut self,
        selection: &Selection<'_>,
        state: FileState,
        zone: Zone,
        busy_timeout: Duration,
    ) -> Result<Snapshot> {
        if self.zone != Some(zone) {
            // Times are parsed into instants by zone: read everything again in this one.
            self.forget_all();
            self.zone = Some(zone);
        }
        if self.busy_timeout != Some(busy_timeout) {
            connection::set_busy_timeout(&self.reader.conn, busy_timeout, &self.path)?;
            self.busy_timeout = Some(busy_timeout);
        }
        let key = SelectionKey::of(selection);
        let files = Files {
            db: state,
            wal: FileState::of(&self.wal_path),
        };
        if let Some((_, seen_files, true)) = &self.seen {
            if *seen_files == files {
                if let Some(snapshot) = self.selections.get(&key) {
                    return Ok(Arc::clone(snapshot));
                }
            }
        }
        let fetched = match self.fetch(selection, &key) {
            Err(e) if !self.reader.immutable && connection::needs_immutable(&e, &self.path) => {
                self.reader = connection::open_immutable(&self.path)?;
                self.busy_timeout = None;
                self.forget_all();
                return self.read(selection, state, zone, busy_timeout);
            }
            other => other?,
        };
        let settled = files.settled(SystemTime::now());
        match fetched {
            (data_version, None) => {
                self.seen = Some((data_version, files, settled));
                let snapshot = self.selections.get(&key).cloned().unwrap_or_default();
                Ok(snapshot)
            }
            (data_version, Some(fetched)) => {
                if self.seen.is_none_or(|(seen, _, _)| seen != data_version) {
                    // Any commit may touch any selection's task rows.
                    self.selections.clear();
                }
                let snapshot = self.apply(fetched, selection.project_id, zone);
                self.seen = Some((data_version, files, settled));
                self.selections
                    .insert(key, Arc::clone(&snapshot), snapshot.len().max(1));
                Ok(snapshot)
            }
        }
    }

    /// One read transaction: `data_version`, then — unless nothing changed and
    /// the selection is remembered — what changed.
    fn fetch(&mut self, selection: &Selection<'_>, key: &SelectionKey) -> Result<(i64, Option<Fetched>)> {
        self.reads += 1;
        let path = self.path.clone();
        let conn = &self.reader.conn;
        let schema_slot = &mut self.schema;
        let seen = self.seen.map(|(v, _, _)| v);
        let remembered = self.selections.contains(key);
        let caches = (&self.history, self.history_seen, &self.events, self.events_seen);
        let mut schema_changed = false;
        let result = read::in_read_transaction(conn, &path, |conn| {
            let data_version = read::data_version(conn)?;
            let version = read::schema_version(conn)?;
            let schema = match schema_slot {
                Some((v, schema)) if *v == version => schema.clone(),
                _ => {
                    let probed = match Schema::probe(conn)? {
                        Ok(schema) => schema,
                        Err(e) => return Ok(Err(e)),
                    };
                    schema_changed = schema_slot.is_some();
                    *schema_slot = Some((version, probed.clone()));
                    probed
                }
            };
            if !schema_changed && seen == Some(data_version) && remembered {
                return Ok(Ok((data_version, None)));
            }
            let fetched = fetch_changes(
                conn,
                &schema,
                selection,
                if schema_changed { None } else { Some(caches) },
            )?;
            Ok(Ok((data_version, Some(fetched))))
        });
        if schema_changed {
            // A schema change or a VACUUM: nothing read before counts.
            self.forget_all();
        }
        result
    }

    /// Folds what was fetched into the caches; the selection's evidence.
    fn apply(&mut self, f: Fetched, project_id: &str, zone: Zone) -> Snapshot {
        if f.history_reset {
            self.history.clear();
        }
        if f.events_reset {
            self.events.clear();
        }
        // New rows, onto the tasks already held (the others are read whole when asked for).
        for raw in f.history_new {
            let key = raw.key();
            if let Some(rows) = self.history.get_mut(raw.entity_id()) {
                let id = raw.entity_id().to_owned();
                let row = raw.into_row(zone, &mut self.interner);
                Arc::make_mut(&mut rows.rows).push(row);
                rows.count += 1;
                rows.max_key = rows.max_key.max(key);
                let weight = rows.rows.len().max(1);
                self.history.reweigh(&id, weight);
            }
        }
        let mut full: HashMap<String, Vec<HistoryRow>> =
            f.history_full_ids.iter().map(|id| (id.clone(), Vec::new())).collect();
        for raw in f.history_full {
            let id = raw.entity_id().to_owned();
            full.entry(id).or_default().push(raw.into_row(zone, &mut self.interner));
        }
        for (id, rows) in full {
            let (count, max_key) = f.history_tally.get(&id).copied().unwrap_or((0, 0));
            let weight = rows.len().max(1);
            self.history.insert(
                id,
                Rows {
                    rows: Arc::new(rows),
                    count,
                    max_key,
                },
                weight,
            );
        }
        self.history_seen = f.history_max;

        for raw in f.events_new {
            let key = raw.key();
            let (project, task) = raw.task();
            let task = (project.to_owned(), task.to_owned());
            if let Some(events) = self.events.get_mut(&task) {
                if let Some(event) = raw.into_event(zone) {
                    Arc::make_mut(&mut events.rows.rows).push(event);
                    events.runs = Arc::new(split_runs(&events.rows.rows));
                }
                events.rows.count += 1;
                events.rows.max_key = events.rows.max_key.max(key);
                let weight = events.rows.rows.len().max(1);
                self.events.reweigh(&task, weight);
            }
        }
        let mut full: HashMap<String, Vec<RecordedEvent>> =
            f.events_full_ids.iter().map(|id| (id.clone(), Vec::new())).collect();
        for raw in f.events_full {
            let task = raw.task().1.to_owned();
            let event = raw.into_event(zone);
            full.entry(task).or_default().extend(event);
        }
        for (task, events) in full {
            let (count, max_key) = f.events_tally.get(&task).copied().unwrap_or((0, 0));
            let runs = Arc::new(split_runs(&events));
            let weight = events.len().max(1);
            let rows = Rows {
                rows: Arc::new(events),
                count,
                max_key,
            };
            self.events
                .insert((project_id.to_owned(), task), Events { rows, runs }, weight);
        }
        self.events_seen = f.events_max;

        let mut others: HashMap<String, Vec<OtherTask>> = HashMap::new();
        for (id, other) in f.others {
            others.entry(id).or_default().push(other);
        }
        let locks: HashMap<String, HeldLocks> = f
            .locks
            .into_iter()
            .map(|(id, count, at)| (id, read::held_locks(count, at, zone)))
            .collect();
        let tasks: Vec<TaskData> = f
            .tasks
            .into_iter()
            .map(|raw| {
                let task = raw.into_row(zone);
                let history = self.history.get(&task.id).cloned().unwrap_or_default();
                let events = self
                    .events
                    .get(&(task.project_id.clone(), task.id.clone()))
                    .cloned()
                    .unwrap_or_default();
                let others = others.get(&task.id).cloned().unwrap_or_default();
                let locks = locks.get(&task.id).copied();
                let stamp = DataStamp {
                    task: task.clone(),
                    others: others.clone(),
                    history: (history.rows.len(), history.max_key),
                    locks,
                    recorded: (events.rows.rows.len(), events.rows.max_key),
                };
                TaskData {
                    task,
                    others,
                    history: history.rows,
                    locks,
                    recorded: events.runs,
                    stamp,
                }
            })
            .collect();
        Arc::new(tasks)
    }

    fn forget_all(&mut self) {
        self.seen = None;
        self.history.clear();
        self.history_seen = 0;
        self.events.clear();
        self.events_seen = 0;
        self.selections.clear();
    }

    /// History rows held, over all tasks.
    pub fn history_rows_held(&self) -> usize {
        self.history.weight()
    }
}

type Caches<'a> = (
    &'a Bounded<String, Rows<HistoryRow>>,
    i64,
    &'a Bounded<(String, String), Events>,
    i64,
);

/// What changed for `selection` since the caches were filled (everything, without caches).
fn fetch_changes(
    conn: &rusqlite::Connection,
    schema: &Schema,
    selection: &Selection<'_>,
    caches: Option<Caches<'_>>,
) -> rusqlite::Result<Fetched> {
    let mut f = Fetched {
        tasks: read::tasks(conn, schema, selection)?,
        ..Fetched::default()
    };
    if f.tasks.is_empty() {
        return Ok(f);
    }
    let ids: Vec<String> = f
        .tasks
        .iter()
        .map(|t| t.id().to_owned())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let ids_json = read::json_array(&ids);
    let project = selection.project_id;
    f.others = read::other_tasks(conn, schema, project, &ids_json)?;
    f.locks = read::locks(conn, schema, project, &ids_json)?;

    let (history, history_seen, events, events_seen) = match caches {
        Some((h, hs, e, es)) => (Some(h), hs, Some(e), es),
        None => (None, 0, None, 0),
    };

    // change_history
    f.history_max = read::history_max(conn, schema)?;
    f.history_reset = history.is_none() || f.history_max < history_seen;
    let history_seen = if f.history_reset { 0 } else { history_seen };
    if !f.history_reset && f.history_max > history_seen {
        f.history_new = read::history_after(conn, schema, history_seen)?;
    }
    f.history_tally = read::history_tally(conn, schema, &ids_json)?
        .into_iter()
        .map(|(id, c, m)| (id, (c, m)))
        .collect();
    let mut added: HashMap<&str, (i64, i64)> = HashMap::new();
    for raw in &f.history_new {
        let e = added.entry(raw.entity_id()).or_default();
        e.0 += 1;
        e.1 = e.1.max(raw.key());
    }
    f.history_full_ids = ids
        .iter()
        .filter(|id| {
            let held = history
                .filter(|_| !f.history_reset)
                .and_then(|h| h.peek(id.as_str()))
                .map(|r| (r.count, r.max_key));
            let tally = f.history_tally.get(id.as_str()).copied().unwrap_or((0, 0));
            match held {
                None => true,
                Some((count, max_key)) => {
                    let (n, m) = added.get(id.as_str()).copied().unwrap_or((0, 0));
                    (count + n, max_key.max(m)) != tally
                }
            }
        })
        .cloned()
        .collect();
    if !f.history_full_ids.is_empty() {
        f.history_full = read::history_of(conn, schema, &read::json_array(&f.history_full_ids), f.history_max)?;
        // Rows of those tasks among the new ones are in the full read already.
        let full: HashSet<&str> = f.history_full_ids.iter().map(String::as_str).collect();
        f.history_new.retain(|r| !full.contains(r.entity_id()));
    }

    // task_step_events
    if schema.step_events.is_some() {
        f.events_max = read::events_max(conn, schema)?;
        f.events_reset = events.is_none() || f.events_max < events_seen;
        let events_seen = if f.events_reset { 0 } else { events_seen };
        if !f.events_reset && f.events_max > events_seen {
            f.events_new = read::events_after(conn, schema, events_seen)?;
        }
        f.events_tally = read::events_tally(conn, schema, project, &ids_json)?
            .into_iter()
            .map(|(id, c, m)| (id, (c, m)))
            .collect();
        let mut added: HashMap<&str, (i64, i64)> = HashMap::new();
        for raw in f.events_new.iter().filter(|r| r.task().0 == project) {
            let e = added.entry(raw.task().1).or_default();
            e.0 += 1;
            e.1 = e.1.max(raw.key());
        }
        f.events_full_ids = ids
            .iter()
            .filter(|id| {
                let key = (project.to_owned(), (*id).clone());
                let held = events
                    .filter(|_| !f.events_reset)
                    .and_then(|e| e.peek(&key))
                    .map(|e| (e.rows.count, e.rows.max_key));
                let tally = f.events_tally.get(id.as_str()).copied().unwrap_or((0, 0));
                match held {
                    None => true,
                    Some((count, max_key)) => {
                        let (n, m) = added.get(id.as_str()).copied().unwrap_or((0, 0));
                        (count + n, max_key.max(m)) != tally
                    }
                }
            })
            .cloned()
            .collect();
        if !f.events_full_ids.is_empty() {
            f.events_full = read::events_of(
                conn,
                schema,
                project,
                &read::json_array(&f.events_full_ids),
                f.events_max,
            )?;
            let full: HashSet<&str> = f.events_full_ids.iter().map(String::as_str).collect();
            f.events_new
                .retain(|r| !(r.task().0 == project && full.contains(r.task().1)));
        }
    }
    Ok(f)
}

fn suffixed(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;

    thread_local! {
        static STATEMENTS: Cell<usize> = const { Cell::new(0) };
    }

    fn count(event: rusqlite::trace::TraceEvent<'_>) {
        if let rusqlite::trace::TraceEvent::Stmt(..) = event {
            STATEMENTS.with(|c| c.set(c.get() + 1));
        }
    }

    fn statements(f: impl FnOnce()) -> usize {
        STATEMENTS.with(|c| c.set(0));
        f();
        STATEMENTS.with(|c| c.get())
    }

    /// A WAL database with `running` tasks, each launched (three history rows).
    fn database(running: usize) -> (tempfile::TempDir, PathBuf) {
        crate::io::db::locking::install();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("aipm.db");
        let mut conn = rusqlite::Connection::open(&path).unwrap();
        conn.pragma_update(None, "journal_mode", "WAL").unwrap();
        conn.execute_batch(crate::sample::SCHEMA).unwrap();
        conn.execute_batch(crate::io::db::write::STEP_EVENTS_DDL).unwrap();
        let tx = conn.transaction().unwrap();
        for i in 0..running {
            let id = format!("TASK_{i}");
            tx.execute(
                "INSERT INTO tasks (id, project_id, title, status) VALUES (?1, 'p', 't', 'IN_PROGRESS')",
                [&id],
            )
            .unwrap();
            for (field, new) in [
                ("assignee", "ParallelWorker"),
                ("status", "IN_PROGRESS"),
                ("assignee", "Worker A"),
            ] {
                tx.execute(
                    "INSERT INTO change_history (entity_type, entity_id, field_name, new_value, changed_at) VALUES ('task', ?1, ?2, ?3, '2026-10-24 01:00:00')",
                    [&id, field, new],
                )
                .unwrap();
            }
        }
        tx.commit().unwrap();
        (dir, path)
    }

    #[test]
    fn a_read_runs_the_same_statements_for_ten_tasks_as_for_a_thousand() {
        let statuses = ["IN_PROGRESS".to_owned()];
        let selection = Selection {
            project_id: "p",
            statuses: Some(&statuses),
            ..Selection::default()
        };
        let mut counts = Vec::new();
        for running in [10, 1000] {
            let (_dir, path) = database(running);
            let mut db = Database::open(&path, FileState::of(&path).unwrap()).unwrap();
            db.reader
                .conn
                .trace_v2(rusqlite::trace::TraceEventCodes::SQLITE_TRACE_STMT, Some(count));
            let read = |db: &mut Database| {
                let snapshot = db
                    .read(
                        &selection,
                        FileState::of(&path).unwrap(),
                        Zone::japan(),
                        Duration::from_secs(5),
                    )
                    .unwrap();
                assert_eq!(snapshot.len(), running);
            };
            let first = statements(|| read(&mut db));
            let unchanged = statements(|| read(&mut db));
            rusqlite::Connection::open(&path)
                .unwrap()
                .execute_batch("INSERT INTO change_history (entity_type, entity_id, field_name, new_value) VALUES ('task', 'TASK_3', 'status', 'DONE')")
                .unwrap();
            let after_commit = statements(|| read(&mut db));
            assert!(
                db.history_rows_held() == running * 3 + 1,
                "the new row joined the rows held"
            );
            counts.push((first, unchanged, after_commit));
        }
        assert_eq!(
            counts[0], counts[1],
            "statements per read: (first, unchanged, after a commit) for 10 and 1000 tasks"
        );
        assert!(
            counts[0].1 <= 4,
            "an unchanged database costs a version check at most: {:?}",
            counts[0]
        );
    }
}
