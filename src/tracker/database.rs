//! One database's evidence, kept across calls and read again only as far as
//! it changed.
//!
//! The connection's `PRAGMA data_version` moves with every commit of another
//! connection; while it stands still (and, before even asking, while the
//! database file and its `-wal` are as they were and had been still when last
//! read), nothing is read. After a change, one read transaction reads:
//!
//! * the task rows asked for — each with the count and highest key of its
//!   history rows and recorded events (index lookups) — and the tasks of other
//!   projects sharing their ids;
//! * `change_history` rows past the highest key seen (the table only grows as
//!   its writers use it), added to the tasks they are about; a task whose rows
//!   the count and key do not account for (rows deleted) is read again whole,
//!   as is a task's first read;
//! * recorded events the same way;
//! * the project's locks, when `file_locks` changed (its count or highest rowid).
//!
//! A schema change or a VACUUM (`PRAGMA schema_version`) drops everything; a
//! database file replaced on disk gets a new [`Database`] (see the tracker).
//! So an answer is never staler than a full read of the same snapshot.

use std::collections::HashMap;
use std::hash::Hash;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use std::mem::size_of;

use super::bounded::Bounded;
use super::budget::{optional_text, shared, slots, text, Budget, Share, Weigh};
use super::incremental::{CatchUp, Incremental, Kept, Rows, Tallied};
use crate::error::Result;
use crate::evidence::history::HistoryRow;
use crate::evidence::recorded::{split_runs, RecordedEvent, RecordedRun};
use crate::evidence::{HeldLocks, OtherTask, TaskRow};
use crate::io::db::connection::{self, ReadConnection};
use crate::io::db::read::{self, Interner, RawEvent, RawHistory, RawTask, Selection, TaskLocks};
use crate::io::db::schema::Schema;
use crate::io::file_state::{FileState, SETTLE};
use crate::time::Zone;

/// Each cache's share of the tracker's budget, in percent (with the log
/// caches' and the decisions' in `super`, they add up to 100).
pub const HISTORY_SHARE: usize = 25;
pub const EVENTS_SHARE: usize = 5;
pub const SELECTIONS_SHARE: usize = 15;
/// Projects whose locks are kept.
const LOCK_PROJECTS_KEPT: usize = 64;

/// Everything the database says about one task.
#[derive(Clone, Debug)]
pub struct TaskData {
    pub task: Arc<TaskRow>,
    pub others: Arc<Vec<OtherTask>>,
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
    task: Arc<TaskRow>,
    others: Arc<Vec<OtherTask>>,
    history: (usize, i64),
    locks: Option<HeldLocks>,
    recorded: (usize, i64),
}

/// What statistics read of a project: its tasks (id, order) and their recorded runs.
pub struct StatisticsEvidence {
    pub tasks: Vec<(String, Option<String>)>,
    pub recorded: HashMap<String, Vec<RecordedRun>>,
}

/// The tasks of one selection, as one snapshot has them.
pub type Snapshot = Arc<Vec<TaskData>>;

/// A task's recorded events, and the runs they split into.
#[derive(Clone, Debug, Default)]
struct Events {
    rows: Rows<RecordedEvent>,
    runs: Arc<Vec<RecordedRun>>,
}

impl Weigh for Events {
    fn bytes(&self) -> usize {
        self.rows.bytes() + shared::<Vec<RecordedRun>>(self.runs.bytes())
    }
}

impl Tallied for Events {
    fn tally(&self) -> (i64, i64) {
        self.rows.tally()
    }
}

impl Kept<RecordedEvent> for Events {
    fn of(rows: Rows<RecordedEvent>) -> Events {
        let runs = Arc::new(split_runs(&rows.rows));
        Events { rows, runs }
    }

    fn append(&mut self, key: i64, event: Option<RecordedEvent>) {
        let named = event.is_some();
        self.rows.append(key, event);
        if named {
            self.runs = Arc::new(split_runs(&self.rows.rows));
        }
    }
}

/// `task_step_events` rows are kept by (project, task).
type TaskKey = (String, String);

impl TaskData {
    /// What a snapshot's entry holds: its slot, the task row and its others,
    /// and its history and events where no other cache holds them.
    fn bytes(&self) -> usize {
        let alone = |count: usize, bytes: usize| if count == 1 { bytes } else { 0 };
        size_of::<TaskData>()
            + shared::<TaskRow>(self.task.bytes())
            + alone(
                Arc::strong_count(&self.others),
                shared::<Vec<OtherTask>>(slots(&self.others) + self.others.iter().map(Weigh::bytes).sum::<usize>()),
            )
            + alone(
                Arc::strong_count(&self.history),
                shared::<Vec<HistoryRow>>(self.history.bytes()),
            )
            + alone(
                Arc::strong_count(&self.recorded),
                shared::<Vec<RecordedRun>>(self.recorded.bytes()),
            )
    }
}

/// What a selection asks for, owned.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct SelectionKey {
    project_id: String,
    task_ids: Option<Vec<String>>,
    order_id: Option<String>,
    statuses: Option<Vec<String>>,
    history: bool,
}

impl Weigh for SelectionKey {
    fn bytes(&self) -> usize {
        let ids = |v: &Option<Vec<String>>| v.as_ref().map_or(0, |v| slots(v) + v.iter().map(text).sum::<usize>());
        text(&self.project_id) + ids(&self.task_ids) + optional_text(&self.order_id) + ids(&self.statuses)
    }
}

impl SelectionKey {
    fn of(s: &Selection<'_>) -> SelectionKey {
        SelectionKey {
            project_id: s.project_id.to_owned(),
            task_ids: s.task_ids.map(<[String]>::to_vec),
            order_id: s.order_id.map(str::to_owned),
            statuses: s.statuses.map(<[String]>::to_vec),
            history: s.history,
        }
    }
}

/// The database file and its `-wal`, as they were.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Files {
    db: FileState,
    /// `None`: no `-wal`.
    wal: Option<FileState>,
    /// Whether `wal` was looked at (see [`Database::read`]).
    wal_known: bool,
}

impl Files {
    fn settled(&self, now: SystemTime) -> bool {
        self.wal_known && self.db.settled(now) && self.wal.is_none_or(|w| w.settled(now))
    }
}

/// What the last read saw.
#[derive(Clone, Copy, Debug)]
struct Seen {
    data_version: i64,
    files: Files,
    /// The files had been still for a while: a later commit would have moved them.
    settled: bool,
}

/// Locks by task, of the projects read since `file_locks` last changed.
#[derive(Default)]
struct Locks {
    signature: Option<(i64, i64)>,
    by_project: HashMap<String, Arc<HashMap<String, HeldLocks>>>,
}

/// The caches a read transaction looks at.
struct Held<'a> {
    history: &'a Incremental<String, Rows<HistoryRow>>,
    events: &'a Incremental<TaskKey, Events>,
    locks: &'a Locks,
}

/// One database file's connection and everything read through it.
pub struct Database {
    path: PathBuf,
    wal_path: PathBuf,
    reader: ReadConnection,
    /// The file the connection was opened on.
    opened_on: FileState,
    busy_timeout: Option<Duration>,
    zone: Option<Zone>,
    schema: Option<(i64, Arc<Schema>)>,
    seen: Option<Seen>,
    /// Until when the `-wal`, as last seen, cannot count as still.
    wal_moving_until: Option<SystemTime>,
    interner: Interner,
    /// History rows by task id (every project's: their rows mix).
    history: Incremental<String, Rows<HistoryRow>>,
    /// Recorded events by (project, task).
    events: Incremental<TaskKey, Events>,
    locks: Locks,
    selections: Bounded<SelectionKey, Snapshot>,
    /// Read transactions run (for tests and the benchmark).
    pub reads: u64,
}

/// What one read transaction fetched, still raw.
#[derive(Default)]
struct Fetched {
    tasks: Vec<RawTask>,
    others: Vec<read::RawOther>,
    /// The project's locks, when `file_locks` changed (or were not held).
    locks: Option<((i64, i64), Vec<TaskLocks>)>,
    /// What was read of `change_history`, unless the selection skips it.
    history: Option<TableRead<RawHistory>>,
    events: Option<TableRead<RawEvent>>,
}

/// What one read fetched of an append-only table.
struct TableRead<Raw> {
    catch_up: CatchUp,
    max: i64,
    /// Rows past the highest key held.
    new: Vec<Raw>,
    /// Rows of the keys read whole.
    whole: Vec<Raw>,
    /// The keys read whole.
    whole_keys: Vec<String>,
}

impl Database {
    /// A connection to the database at `path`, now `state`, its caches in `budget`.
    pub fn open(path: &Path, state: FileState, budget: &Arc<Budget>) -> Result<Database> {
        Ok(Database {
            path: path.to_path_buf(),
            wal_path: suffixed(path, "-wal"),
            wal_moving_until: None,
            reader: connection::open_reader(path)?,
            opened_on: state,
            busy_timeout: None,
            zone: None,
            schema: None,
            seen: None,
            interner: Interner::default(),
            history: Incremental::new(Share::of(budget, HISTORY_SHARE)),
            events: Incremental::new(Share::of(budget, EVENTS_SHARE)),
            locks: Locks::default(),
            selections: Bounded::new(Share::of(budget, SELECTIONS_SHARE)),
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
        self.prepare(zone, busy_timeout)?;
        let key = SelectionKey::of(selection);
        // The `-wal`'s state only matters to a read that can count as settled:
        // not while the database file moved within SETTLE (rollback-mode
        // commits), nor before the `-wal` seen moving could have become still —
        // one `stat` fewer per call while writers are busy.
        let now = SystemTime::now();
        let wal_known = state.settled(now) && self.wal_moving_until.is_none_or(|t| now >= t);
        let files = Files {
            db: state,
            wal: if wal_known { FileState::of(&self.wal_path) } else { None },
            wal_known,
        };
        if let Some(seen) = self.seen.filter(|s| s.settled && s.files == files) {
            let _ = seen;
            if let Some(snapshot) = self.selections.get(&key) {
                return Ok(Arc::clone(snapshot));
            }
        }
        let fetched = match self.fetch(selection, &key) {
            Err(e) if !self.reader.immutable && connection::needs_immutable(&e, &self.path) => {
                self.reopen_immutable()?;
                return self.read(selection, state, zone, busy_timeout);
            }
            other => other?,
        };
        let now = SystemTime::now();
        let settled = files.settled(now);
        if let Some(wal) = files.wal.filter(|w| files.wal_known && !w.settled(now)) {
            // A clock far ahead must not keep it from ever being looked at again.
            let still_at = wal.modified.map_or(now, |m| m.min(now)) + SETTLE;
            self.wal_moving_until = Some(still_at);
        }
        let (data_version, fetched) = fetched;
        let changed = self.seen.is_none_or(|s| s.data_version != data_version);
        self.seen = Some(Seen {
            data_version,
            files,
            settled,
        });
        let Some(fetched) = fetched else {
            return Ok(self.selections.get(&key).cloned().unwrap_or_default());
        };
        if changed {
            // Any commit may touch any selection's task rows.
            self.selections.clear();
        }
        let snapshot = self.apply(fetched, selection.project_id, zone);
        let weight = key.bytes() + shared::<Vec<TaskData>>(snapshot.iter().map(TaskData::bytes).sum());
        self.selections.insert(key, Arc::clone(&snapshot), weight);
        Ok(snapshot)
    }

    /// What statistics need of a project's (or an order's) tasks — their ids
    /// and orders, and their recorded runs — in one read transaction, kept in
    /// no cache (a whole project's tasks would crowd out the working set).
    pub fn statistics(
        &mut self,
        project_id: &str,
        order_id: Option<&str>,
        zone: Zone,
        busy_timeout: Duration,
    ) -> Result<StatisticsEvidence> {
        self.prepare(zone, busy_timeout)?;
        let conn = &self.reader.conn;
        let read = read::in_read_transaction(conn, &self.path, |conn| {
            let schema = match Schema::probe(conn)? {
                Ok(schema) => schema,
                Err(e) => return Ok(Err(e)),
            };
            let tasks = read::task_orders(conn, &schema, project_id, order_id)?;
            let events = read::project_events(conn, &schema, project_id)?;
            Ok(Ok((tasks, events)))
        });
        let (tasks, raw_events) = match read {
            Err(e) if !self.reader.immutable && connection::needs_immutable(&e, &self.path) => {
                self.reopen_immutable()?;
                return self.statistics(project_id, order_id, zone, busy_timeout);
            }
            other => other?,
        };
        let mut events: HashMap<String, Vec<RecordedEvent>> = HashMap::new();
        for raw in raw_events {
            let task = raw.task().1.to_owned();
            events.entry(task).or_default().extend(raw.into_event(zone));
        }
        let recorded = events
            .into_iter()
            .map(|(task, events)| (task, split_runs(&events)))
            .collect();
        Ok(StatisticsEvidence { tasks, recorded })
    }

    /// The recorded runs of `project_id` (for the estimate's history), kept in no cache.
    pub fn recorded_runs(&mut self, project_id: &str, zone: Zone, busy_timeout: Duration) -> Result<Vec<RecordedRun>> {
        self.prepare(zone, busy_timeout)?;
        let read = read::in_read_transaction(&self.reader.conn, &self.path, |conn| {
            let schema = match Schema::probe(conn)? {
                Ok(schema) => schema,
                Err(e) => return Ok(Err(e)),
            };
            Ok(Ok(read::project_events(conn, &schema, project_id)?))
        })?;
        let mut events: HashMap<String, Vec<RecordedEvent>> = HashMap::new();
        for raw in read {
            let task = raw.task().1.to_owned();
            events.entry(task).or_default().extend(raw.into_event(zone));
        }
        Ok(events.values().flat_map(|e| split_runs(e)).collect())
    }

    /// Ready to read in `zone`, waiting for writers up to `busy_timeout`.
    fn prepare(&mut self, zone: Zone, busy_timeout: Duration) -> Result<()> {
        if self.zone != Some(zone) {
            // Times are parsed into instants by zone: read everything again in this one.
            self.forget_all();
            self.zone = Some(zone);
        }
        // Whole milliseconds: a timeout that moves by microseconds need not be set again.
        let busy_timeout = Duration::from_millis(busy_timeout.as_millis() as u64);
        if self.busy_timeout != Some(busy_timeout) {
            connection::set_busy_timeout(&self.reader.conn, busy_timeout, &self.path)?;
            self.busy_timeout = Some(busy_timeout);
        }
        Ok(())
    }

    /// A WAL database in a folder nobody can write, without its `-wal`: read as it is.
    fn reopen_immutable(&mut self) -> Result<()> {
        self.reader = connection::open_immutable(&self.path)?;
        self.busy_timeout = None;
        self.forget_all();
        Ok(())
    }

    /// One read transaction: the versions, then — unless nothing changed and
    /// the selection is remembered — what changed.
    fn fetch(&mut self, selection: &Selection<'_>, key: &SelectionKey) -> Result<(i64, Option<Fetched>)> {
        self.reads += 1;
        let path = self.path.clone();
        let conn = &self.reader.conn;
        let schema_slot = &mut self.schema;
        let seen = self.seen.map(|s| s.data_version);
        let remembered = self.selections.contains(key);
        let held = Held {
            history: &self.history,
            events: &self.events,
            locks: &self.locks,
        };
        let mut schema_changed = false;
        let result = read::in_read_transaction(conn, &path, |conn| {
            let (data_version, version) = read::versions(conn)?;
            let schema = match schema_slot {
                Some((v, schema)) if *v == version => Arc::clone(schema),
                _ => {
                    let probed = match Schema::probe(conn)? {
                        Ok(schema) => schema,
                        Err(e) => return Ok(Err(e)),
                    };
                    schema_changed = schema_slot.is_some();
                    let probed = Arc::new(probed);
                    *schema_slot = Some((version, Arc::clone(&probed)));
                    probed
                }
            };
            if !schema_changed && seen == Some(data_version) && remembered {
                return Ok(Ok((data_version, None)));
            }
            let fetched = fetch_changes(conn, &schema, selection, (!schema_changed).then_some(held))?;
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
        let tallies: HashMap<&str, &RawTask> = f.tasks.iter().map(|t| (t.id(), t)).collect();
        if let Some(read) = f.history {
            let interner = &mut self.interner;
            let mut row = |raw: RawHistory| (raw.entity_id().to_owned(), raw.key(), raw.into_row(zone, interner));
            let new: Vec<_> = read
                .new
                .into_iter()
                .map(&mut row)
                .map(|(id, key, r)| (id, key, Some(r)))
                .collect();
            let whole = whole_rows(read.whole_keys, read.whole.into_iter().map(row), |id| {
                tallies.get(id.as_str()).map_or((0, 0), |t| t.history_tally())
            });
            self.history.apply(read.catch_up, read.max, new, whole, String::len);
        }
        if let Some(read) = f.events {
            let ours = |(project, task): &(String, String)| project == project_id && !task.is_empty();
            let event = |raw: RawEvent| {
                let (project, task) = raw.task();
                ((project.to_owned(), task.to_owned()), raw.key(), raw.into_event(zone))
            };
            let new: Vec<_> = read.new.into_iter().map(event).collect();
            let whole_keys = read.whole_keys;
            let rows = read
                .whole
                .into_iter()
                .map(event)
                .filter(|(key, _, _)| ours(key))
                .filter_map(|(key, k, e)| e.map(|e| (key.1, k, e)));
            let whole = whole_rows(whole_keys, rows, |id| {
                tallies.get(id.as_str()).map_or((0, 0), |t| t.events_tally())
            })
            .into_iter()
            .map(|(id, tally, rows)| ((project_id.to_owned(), id), tally, rows));
            self.events
                .apply(read.catch_up, read.max, new, whole, |(p, t)| p.len() + t.len());
        }

        if let Some((signature, rows)) = f.locks {
            if self.locks.signature != Some(signature) || self.locks.by_project.len() >= LOCK_PROJECTS_KEPT {
                self.locks = Locks {
                    signature: Some(signature),
                    by_project: HashMap::new(),
                };
            }
            let map = rows
                .into_iter()
                .map(|(task, count, at)| (task, read::held_locks(count, at, zone)))
                .collect();
            self.locks.by_project.insert(project_id.to_owned(), Arc::new(map));
        }
        let locks = self.locks.by_project.get(project_id).cloned().unwrap_or_default();

        let mut others: HashMap<String, Vec<OtherTask>> = HashMap::new();
        for raw in f.others {
            let (id, other) = read::other_task(raw, zone);
            others.entry(id).or_default().push(other);
        }
        let none: Arc<Vec<OtherTask>> = Arc::default();
        let tasks: Vec<TaskData> = f
            .tasks
            .into_iter()
            .map(|raw| {
                let task = Arc::new(raw.into_row(zone));
                let history: Rows<HistoryRow> = self.history.get(&task.id).cloned().unwrap_or_default();
                let events: Events = self
                    .events
                    .get(&(task.project_id.clone(), task.id.clone()))
                    .cloned()
                    .unwrap_or_default();
                let others = others.remove(&task.id).map_or_else(|| Arc::clone(&none), Arc::new);
                let locks = locks.get(&task.id).copied();
                let stamp = DataStamp {
                    task: Arc::clone(&task),
                    others: Arc::clone(&others),
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
        // Only now, with this read's evidence in hand, back within the bounds:
        // a selection larger than the caches must not lose rows it was read with.
        self.history.trim();
        self.events.trim();
        Arc::new(tasks)
    }

    fn forget_all(&mut self) {
        self.seen = None;
        self.history.clear();
        self.events.clear();
        self.locks = Locks::default();
        self.selections.clear();
    }

    #[cfg(test)]
    pub fn history_weight(&self) -> usize {
        self.history.weight()
    }

    #[cfg(test)]
    pub fn selections_weight(&self) -> usize {
        self.selections.weight()
    }

    #[cfg(test)]
    pub fn clear_selections(&mut self) {
        self.selections.clear()
    }

    #[cfg(test)]
    pub fn clear_history(&mut self) {
        self.history.clear()
    }

    /// History rows held, over all tasks.
    pub fn history_rows_held(&self) -> usize {
        self.history.values().map(|r| r.rows.len()).sum()
    }
}

/// What changed for `selection` since `held` was filled (everything, without it).
fn fetch_changes(
    conn: &rusqlite::Connection,
    schema: &Schema,
    selection: &Selection<'_>,
    held: Option<Held<'_>>,
) -> rusqlite::Result<Fetched> {
    let mut f = Fetched {
        tasks: read::tasks(conn, schema, selection)?,
        ..Fetched::default()
    };
    let project = selection.project_id;
    let signatures = read::signatures(conn, schema)?;
    // The project's locks, unless the table is as it was when they were read.
    if let Some(signature) = signatures.locks {
        let current = held
            .as_ref()
            .is_some_and(|h| h.locks.signature == Some(signature) && h.locks.by_project.contains_key(project));
        if !current {
            f.locks = Some((signature, read::project_locks(conn, schema, project)?));
        }
    }
    if f.tasks.is_empty() {
        return Ok(f);
    }
    let shared: Vec<String> = f
        .tasks
        .iter()
        .filter(|t| t.shared())
        .map(|t| t.id().to_owned())
        .collect();
    if !shared.is_empty() {
        f.others = read::other_tasks(conn, schema, project, &read::json_array(&shared))?;
    }

    // change_history: the rows past the highest key seen, and whole any task
    // whose rows those and the ones held do not account for.
    if selection.history {
        let incremental = held.as_ref().map(|h| h.history);
        f.history = Some(catch_up(
            incremental,
            &f.tasks,
            signatures.history_max,
            |t| (t.id().to_owned(), t.history_tally()),
            |after| read::history_after(conn, schema, after),
            |raw| (raw.entity_id().to_owned(), raw.key()),
            |ids| read::history_of(conn, schema, &read::json_array(ids), signatures.history_max),
        )?);
    }
    // task_step_events, the same way.
    if schema.step_events.is_some() {
        let incremental = held.as_ref().map(|h| h.events);
        f.events = Some(catch_up(
            incremental,
            &f.tasks,
            signatures.events_max,
            |t| ((project.to_owned(), t.id().to_owned()), t.events_tally()),
            |after| read::events_after(conn, schema, after),
            |raw| {
                let (p, t) = raw.task();
                ((p.to_owned(), t.to_owned()), raw.key())
            },
            |ids| read::events_of(conn, schema, project, &read::json_array(ids), signatures.events_max),
        )?);
    }
    Ok(f)
}

/// One append-only table caught up with for `tasks`: the new rows past what
/// `held` has read (all of it, without), and whole the tasks they do not
/// account for. `key` names a task's rows; `raw_key` a row's task and key.
#[allow(clippy::too_many_arguments)]
fn catch_up<K: Hash + Eq + Clone, V: Tallied, Raw>(
    held: Option<&Incremental<K, V>>,
    tasks: &[RawTask],
    max: i64,
    key: impl Fn(&RawTask) -> (K, (i64, i64)),
    after: impl FnOnce(i64) -> rusqlite::Result<Vec<Raw>>,
    raw_key: impl Fn(&Raw) -> (K, i64),
    whole: impl FnOnce(&[String]) -> rusqlite::Result<Vec<Raw>>,
) -> rusqlite::Result<TableRead<Raw>> {
    let catch_up = held.map_or(
        CatchUp {
            restart: true,
            after: None,
        },
        |h| h.catch_up(max),
    );
    let new = match catch_up.after {
        Some(seen) => after(seen)?,
        None => Vec::new(),
    };
    let new_keys: Vec<(K, i64)> = new.iter().map(&raw_key).collect();
    let wanted = tasks.iter().map(&key);
    let unaccounted: Vec<K> = match held {
        Some(h) => h.unaccounted(catch_up, wanted, new_keys.iter().map(|(k, n)| (k, *n))),
        None => wanted.map(|(k, _)| k).collect(),
    };
    let by_key: HashMap<K, String> = tasks.iter().map(|t| (key(t).0, t.id().to_owned())).collect();
    let whole_keys: Vec<String> = unaccounted.iter().filter_map(|k| by_key.get(k).cloned()).collect();
    let whole_rows = if whole_keys.is_empty() {
        Vec::new()
    } else {
        whole(&whole_keys)?
    };
    Ok(TableRead {
        catch_up,
        max,
        new,
        whole: whole_rows,
        whole_keys,
    })
}

/// The rows of the tasks read whole, by task, with the tally the task row gave.
fn whole_rows<R>(
    ids: Vec<String>,
    rows: impl Iterator<Item = (String, i64, R)>,
    tally: impl Fn(&String) -> (i64, i64),
) -> Vec<(String, (i64, i64), Vec<R>)> {
    let mut by_id: HashMap<String, Vec<R>> = ids.into_iter().map(|id| (id, Vec::new())).collect();
    for (id, _, row) in rows {
        if let Some(rows) = by_id.get_mut(&id) {
            rows.push(row);
        }
    }
    by_id
        .into_iter()
        .map(|(id, rows)| {
            let t = tally(&id);
            (id, t, rows)
        })
        .collect()
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
        // Table-valued pragmas show as nested statements (`-- PRAGMA …`): not counted.
        if let rusqlite::trace::TraceEvent::Stmt(_, sql) = event {
            if !sql.starts_with("--") {
                STATEMENTS.with(|c| c.set(c.get() + 1));
            }
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
            let budget = Budget::new(1 << 30);
            let mut db = Database::open(&path, FileState::of(&path).unwrap(), &budget).unwrap();
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

    #[test]
    fn a_selection_larger_than_the_caches_keeps_every_task_s_rows() {
        let (_dir, path) = database(300);
        let budget = Budget::new(1 << 30);
        let mut db = Database::open(&path, FileState::of(&path).unwrap(), &budget).unwrap();
        // Room for the rows of 100 of the 300 tasks.
        let per_task = 3 * size_of::<HistoryRow>() + 200;
        db.history.bounded(Share::fixed(100 * per_task));
        let statuses = ["IN_PROGRESS".to_owned()];
        let selection = Selection {
            project_id: "p",
            statuses: Some(&statuses),
            ..Selection::default()
        };
        for round in 0..2 {
            let snapshot = db
                .read(
                    &selection,
                    FileState::of(&path).unwrap(),
                    Zone::japan(),
                    Duration::from_secs(5),
                )
                .unwrap();
            assert_eq!(snapshot.len(), 300);
            assert!(
                snapshot.iter().all(|t| t.history.len() == 3),
                "round {round}: every task read with its three rows"
            );
            assert!(
                db.history.weight() <= 100 * per_task,
                "and the cache back within its bound"
            );
            db.selections.clear();
        }
    }
}
