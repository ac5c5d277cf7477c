//! The statements a read runs, as raw as the rows come (text times, owned
//! strings), inside one short read transaction; [`Raw`] rows become evidence
//! once the transaction is over, so the snapshot is held for the fetch alone.
//! A fixed number of statements per read, never one per task: lists of ids go
//! in as one JSON array.

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;

use rusqlite::{Connection, Statement, ToSql};

use super::schema::{Schema, TaskFilter};
use super::sql_value::{integer, optional_integer, text, text_or_empty};
use crate::error::{Error, Result};
use crate::evidence::history::{mentions_report, Field, HistoryRow};
use crate::evidence::recorded::RecordedEvent;
use crate::evidence::{HeldLocks, OtherTask, TaskRow};
use crate::time::{parse_db_timestamp, Zone};

/// Runs `f` inside one read transaction: one consistent snapshot, ended
/// whatever happens.
pub fn in_read_transaction<T>(
    conn: &Connection,
    path: &Path,
    f: impl FnOnce(&Connection) -> rusqlite::Result<Result<T>>,
) -> Result<T> {
    let sqlite = |e| Error::from_sqlite(e, path);
    let run = |sql: &str| conn.prepare_cached(sql).and_then(|mut s| s.execute([]));
    run("BEGIN DEFERRED").map_err(sqlite)?;
    let result = f(conn);
    let end = run(if matches!(result, Ok(Ok(_))) {
        "COMMIT"
    } else {
        "ROLLBACK"
    });
    match result {
        Ok(Ok(value)) => end.map(|_| value).map_err(sqlite),
        Ok(Err(e)) => Err(e),
        Err(e) => Err(sqlite(e)),
    }
}

/// `PRAGMA data_version` — on this connection, it moves whenever another
/// connection commits (WAL or rollback journal) — and `PRAGMA schema_version`,
/// which moves with every schema change and every VACUUM; one statement.
pub fn versions(conn: &Connection) -> rusqlite::Result<(i64, i64)> {
    conn.prepare_cached("SELECT * FROM pragma_data_version, pragma_schema_version")?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
}

/// A `tasks` row as read.
#[derive(Clone, Debug)]
pub struct RawTask {
    id: String,
    project_id: String,
    status: String,
    order_id: Option<String>,
    assignee: Option<String>,
    started_at: Option<String>,
    updated_at: Option<String>,
    reviewed_at: Option<String>,
    metadata: Option<String>,
    /// Count and highest key of the task id's history rows.
    history_tally: (i64, i64),
    /// Count and highest key of the task's recorded events.
    events_tally: (i64, i64),
    /// Another project has a task with this id.
    shared: bool,
    /// `target_files` names a file (`None` without the column).
    has_target_files: Option<bool>,
    reject_count: Option<i64>,
}

/// A `change_history` row as read.
#[derive(Clone, Debug)]
pub struct RawHistory {
    key: i64,
    entity_id: String,
    project_id: Option<String>,
    field: String,
    old_value: Option<String>,
    new_value: Option<String>,
    changed_by: Option<String>,
    reason: Option<String>,
    changed_at: Option<String>,
}

/// A `task_step_events` row as read.
#[derive(Clone, Debug)]
pub struct RawEvent {
    key: i64,
    project_id: String,
    task_id: String,
    step: String,
    event: String,
    detail: Option<String>,
    recorded_at: Option<String>,
}

/// Which tasks of a project a read is about, and whether their history is read.
#[derive(Clone, Copy, Debug)]
pub struct Selection<'a> {
    pub project_id: &'a str,
    pub task_ids: Option<&'a [String]>,
    pub order_id: Option<&'a str>,
    pub statuses: Option<&'a [String]>,
    /// Whether the tasks' `change_history` rows are read too (statistics need only the tasks).
    pub history: bool,
}

impl Default for Selection<'_> {
    fn default() -> Self {
        Selection {
            project_id: "",
            task_ids: None,
            order_id: None,
            statuses: None,
            history: true,
        }
    }
}

/// The selected task rows.
pub fn tasks(conn: &Connection, schema: &Schema, selection: &Selection<'_>) -> rusqlite::Result<Vec<RawTask>> {
    let one_id = match selection.task_ids {
        Some([id]) => Some(id.as_str()),
        _ => None,
    };
    let ids = selection.task_ids.filter(|_| one_id.is_none()).map(json_array);
    let statuses = selection.statuses.map(json_array);
    let filter = TaskFilter {
        ids: ids.is_some(),
        one_id: one_id.is_some(),
        order: selection.order_id.is_some(),
        statuses: statuses.is_some(),
    };
    let Some(sql) = schema.tasks_query(filter) else {
        return Ok(Vec::new());
    };
    let mut stmt = conn.prepare_cached(sql)?;
    bind(
        &mut stmt,
        &[
            (":project", &selection.project_id),
            (":id", &one_id),
            (":ids", &ids),
            (":order", &selection.order_id),
            (":statuses", &statuses),
        ],
    )?;
    collect(stmt, |row| {
        Ok(RawTask {
            id: text_or_empty(row, 0)?,
            project_id: text_or_empty(row, 1)?,
            status: text_or_empty(row, 2)?,
            order_id: text(row, 3)?,
            assignee: text(row, 4)?,
            started_at: text(row, 5)?,
            updated_at: text(row, 6)?,
            reviewed_at: text(row, 7)?,
            metadata: text(row, 8)?,
            history_tally: (integer(row, 9)?, integer(row, 10)?),
            events_tally: (integer(row, 11)?, integer(row, 12)?),
            shared: integer(row, 13)? != 0,
            has_target_files: row.get::<_, Option<i64>>(14)?.map(|v| v != 0),
            reject_count: optional_integer(row, 15)?,
        })
    })
}

/// A task of another project sharing an id, as read.
#[derive(Clone, Debug)]
pub struct RawOther {
    id: String,
    project_id: String,
    status: String,
    assignee: Option<String>,
    started_at: Option<String>,
    reject_count: Option<i64>,
}

/// Tasks of other projects sharing one of `ids`.
pub fn other_tasks(conn: &Connection, schema: &Schema, project_id: &str, ids: &str) -> rusqlite::Result<Vec<RawOther>> {
    let mut stmt = conn.prepare_cached(schema.other_tasks_query())?;
    bind(&mut stmt, &[(":project", &project_id), (":ids", &ids)])?;
    collect(stmt, |row| {
        Ok(RawOther {
            id: text_or_empty(row, 0)?,
            project_id: text_or_empty(row, 1)?,
            status: text_or_empty(row, 2)?,
            assignee: text(row, 3)?,
            started_at: text(row, 4)?,
            reject_count: optional_integer(row, 5)?,
        })
    })
}

/// A task of another project, times parsed: (id, the task).
pub fn other_task(raw: RawOther, zone: Zone) -> (String, OtherTask) {
    let other = OtherTask {
        project_id: Arc::from(raw.project_id),
        status: raw.status,
        assignee: raw.assignee,
        started_at: raw.started_at.and_then(|t| parse_db_timestamp(&t, zone)),
        reject_count: raw.reject_count,
    };
    (raw.id, other)
}

/// Every history row of the task ids `ids` (a JSON array) up to key `upto`.
pub fn history_of(conn: &Connection, schema: &Schema, ids: &str, upto: i64) -> rusqlite::Result<Vec<RawHistory>> {
    let Some(sql) = schema.history_of_query() else {
        return Ok(Vec::new());
    };
    let mut stmt = conn.prepare_cached(sql)?;
    bind(&mut stmt, &[(":ids", &ids), (":upto", &upto)])?;
    collect(stmt, raw_history)
}

/// Every task history row added after key `after`.
pub fn history_after(conn: &Connection, schema: &Schema, after: i64) -> rusqlite::Result<Vec<RawHistory>> {
    let Some(sql) = schema.history_after_query() else {
        return Ok(Vec::new());
    };
    let mut stmt = conn.prepare_cached(sql)?;
    bind(&mut stmt, &[(":after", &after)])?;
    collect(stmt, raw_history)
}

/// What [`Schema::signatures_query`] gives.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct Signatures {
    pub history_max: i64,
    pub events_max: i64,
    /// `file_locks`' (row count, highest rowid); `None` without the table.
    pub locks: Option<(i64, i64)>,
}

/// The table-wide signatures ([`Schema::signatures_query`]).
pub fn signatures(conn: &Connection, schema: &Schema) -> rusqlite::Result<Signatures> {
    conn.prepare_cached(schema.signatures_query())?.query_row([], |r| {
        let locks = (integer(r, 2)?, integer(r, 3)?);
        Ok(Signatures {
            history_max: integer(r, 0)?,
            events_max: integer(r, 1)?,
            locks: (locks.0 >= 0).then_some(locks),
        })
    })
}

/// The locks held on one task: (task id, count, earliest lock time).
pub type TaskLocks = (String, i64, Option<String>);

/// The locks held on `project_id`'s tasks.
pub fn project_locks(conn: &Connection, schema: &Schema, project_id: &str) -> rusqlite::Result<Vec<TaskLocks>> {
    let Some(sql) = schema.project_locks_query() else {
        return Ok(Vec::new());
    };
    let mut stmt = conn.prepare_cached(sql)?;
    bind(&mut stmt, &[(":project", &project_id)])?;
    collect(stmt, |row| {
        Ok((text_or_empty(row, 0)?, integer(row, 1)?, text(row, 2)?))
    })
}

/// Recorded events of the tasks `ids` of `project_id` up to key `upto`.
pub fn events_of(
    conn: &Connection,
    schema: &Schema,
    project_id: &str,
    ids: &str,
    upto: i64,
) -> rusqlite::Result<Vec<RawEvent>> {
    let Some(sql) = schema.events_of_query() else {
        return Ok(Vec::new());
    };
    let mut stmt = conn.prepare_cached(sql)?;
    bind(
        &mut stmt,
        &[(":project", &project_id), (":ids", &ids), (":upto", &upto)],
    )?;
    collect(stmt, raw_event)
}

/// The id and order of the tasks of `project` (of `order`, if given).
pub fn task_orders(
    conn: &Connection,
    schema: &Schema,
    project_id: &str,
    order_id: Option<&str>,
) -> rusqlite::Result<Vec<(String, Option<String>)>> {
    let Some(sql) = schema.task_orders_query(order_id.is_some()) else {
        return Ok(Vec::new());
    };
    let mut stmt = conn.prepare_cached(sql)?;
    bind(&mut stmt, &[(":project", &project_id), (":order", &order_id)])?;
    collect(stmt, |row| Ok((text_or_empty(row, 0)?, text(row, 1)?)))
}

/// Every recorded event of `project_id`, in insertion order.
pub fn project_events(conn: &Connection, schema: &Schema, project_id: &str) -> rusqlite::Result<Vec<RawEvent>> {
    let Some(sql) = schema.project_events_query() else {
        return Ok(Vec::new());
    };
    let mut stmt = conn.prepare_cached(sql)?;
    bind(&mut stmt, &[(":project", &project_id)])?;
    collect(stmt, raw_event)
}

/// Recorded events (of every project) added after key `after`.
pub fn events_after(conn: &Connection, schema: &Schema, after: i64) -> rusqlite::Result<Vec<RawEvent>> {
    let Some(sql) = schema.events_after_query() else {
        return Ok(Vec::new());
    };
    let mut stmt = conn.prepare_cached(sql)?;
    bind(&mut stmt, &[(":after", &after)])?;
    collect(stmt, raw_event)
}

fn raw_history(row: &rusqlite::Row<'_>) -> rusqlite::Result<RawHistory> {
    Ok(RawHistory {
        key: integer(row, 0)?,
        entity_id: text_or_empty(row, 1)?,
        project_id: text(row, 2)?,
        field: text_or_empty(row, 3)?,
        old_value: text(row, 4)?,
        new_value: text(row, 5)?,
        changed_by: text(row, 6)?,
        reason: text(row, 7)?,
        changed_at: text(row, 8)?,
    })
}

fn raw_event(row: &rusqlite::Row<'_>) -> rusqlite::Result<RawEvent> {
    Ok(RawEvent {
        key: integer(row, 0)?,
        project_id: text_or_empty(row, 1)?,
        task_id: text_or_empty(row, 2)?,
        step: text_or_empty(row, 3)?,
        event: text_or_empty(row, 4)?,
        detail: text(row, 5)?,
        recorded_at: text(row, 6)?,
    })
}

fn collect<T>(
    mut stmt: rusqlite::CachedStatement<'_>,
    mut each: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> rusqlite::Result<Vec<T>> {
    let mut out = Vec::new();
    let mut rows = stmt.raw_query();
    while let Some(row) = rows.next()? {
        out.push(each(row)?);
    }
    Ok(out)
}

/// Binds the named parameters the statement uses; the others are ignored.
fn bind(stmt: &mut Statement<'_>, params: &[(&str, &dyn ToSql)]) -> rusqlite::Result<()> {
    for (name, value) in params {
        if let Some(index) = stmt.parameter_index(name)? {
            stmt.raw_bind_parameter(index, value)?;
        }
    }
    Ok(())
}

/// A list of strings as the JSON array `json_each` reads.
pub fn json_array(values: &[String]) -> String {
    serde_json::to_string(values).expect("a list of strings always serializes")
}

/// Shares repeated text (statuses, workers, projects) between rows.
#[derive(Default)]
pub struct Interner(HashSet<Arc<str>>);

/// What the interner keeps: statuses, workers, projects, writers — short
/// values that repeat; not paths or reasons, which mostly do not.
const INTERNED_MAX_LEN: usize = 24;
const INTERNED_MAX_COUNT: usize = 4096;

impl Interner {
    pub fn get(&mut self, text: &str) -> Arc<str> {
        if let Some(shared) = self.0.get(text) {
            return Arc::clone(shared);
        }
        let shared: Arc<str> = Arc::from(text);
        if text.len() <= INTERNED_MAX_LEN && self.0.len() < INTERNED_MAX_COUNT {
            self.0.insert(Arc::clone(&shared));
        }
        shared
    }
}

impl RawTask {
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Count and highest key of the task id's history rows.
    pub fn history_tally(&self) -> (i64, i64) {
        self.history_tally
    }

    /// Count and highest key of the task's recorded events.
    pub fn events_tally(&self) -> (i64, i64) {
        self.events_tally
    }

    /// Whether another project has a task with this id.
    pub fn shared(&self) -> bool {
        self.shared
    }

    pub fn into_row(self, zone: Zone) -> TaskRow {
        let time = |t: Option<String>| t.and_then(|t| parse_db_timestamp(&t, zone));
        TaskRow {
            id: self.id,
            project_id: self.project_id,
            status: self.status,
            order_id: self.order_id,
            assignee: self.assignee,
            started_at: time(self.started_at),
            updated_at: time(self.updated_at),
            reviewed_at: time(self.reviewed_at),
            metadata: self.metadata,
            reject_count: self.reject_count,
            has_target_files: self.has_target_files,
        }
    }
}

impl RawHistory {
    pub fn key(&self) -> i64 {
        self.key
    }

    pub fn entity_id(&self) -> &str {
        &self.entity_id
    }

    pub fn into_row(self, zone: Zone, interner: &mut Interner) -> HistoryRow {
        let field = match self.field.as_str() {
            "status" => Field::Status,
            "assignee" => Field::Assignee,
            _ => Field::Other,
        };
        let mentions_report = mentions_report(&self.field, self.new_value.as_deref(), self.reason.as_deref());
        let mut shared = |t: Option<String>| t.map(|t| interner.get(&t));
        HistoryRow {
            id: self.key,
            project_id: shared(self.project_id),
            field,
            old_value: shared(self.old_value),
            new_value: shared(self.new_value),
            changed_by: shared(self.changed_by),
            mentions_report,
            changed_at: self.changed_at.and_then(|t| parse_db_timestamp(&t, zone)),
        }
    }
}

impl RawEvent {
    pub fn key(&self) -> i64 {
        self.key
    }

    /// The task the event is about: (project, task).
    pub fn task(&self) -> (&str, &str) {
        (&self.project_id, &self.task_id)
    }

    /// The event, if it names a step this product knows.
    pub fn into_event(self, zone: Zone) -> Option<RecordedEvent> {
        let at = self.recorded_at.and_then(|t| parse_db_timestamp(&t, zone));
        RecordedEvent::from_row(&self.step, &self.event, self.detail, at)
    }
}

/// Locks as read: count and earliest time.
pub fn held_locks(count: i64, first_locked_at: Option<String>, zone: Zone) -> HeldLocks {
    HeldLocks {
        count: count.clamp(0, u32::MAX as i64) as u32,
        first_locked_at: first_locked_at.and_then(|t| parse_db_timestamp(&t, zone)),
    }
}
