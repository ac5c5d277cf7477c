//! One consistent read of a set of tasks and all their evidence in the
//! database: a fixed number of statements (never one per task), inside one
//! short read transaction so the workers' commits are not held up.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::path::Path;
use std::time::Duration;

use rusqlite::{Statement, ToSql};

use super::pool::Reader;
use super::schema::Schema;
use super::snapshot::{quiet_mark, Consistency};
use super::sql_value::{integer, text, text_or_empty};
use crate::error::{Error, ErrorCode, Result};
use crate::evidence::history::{scope_rows, HeldLocks, HistoryRow};
use crate::evidence::recorded::RecordedEvent;
use crate::time::{parse_db_timestamp, Zone};

/// A `tasks` row.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TaskRow {
    pub id: String,
    pub project_id: String,
    pub status: String,
    pub order_id: Option<String>,
    pub title: Option<String>,
    pub assignee: Option<String>,
    pub started_at: Option<String>,
    pub updated_at: Option<String>,
    pub metadata: Option<String>,
}

/// A task with the database evidence about it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TaskRecord {
    pub task: TaskRow,
    /// Its history rows, scoped to its project, oldest first.
    pub history: Vec<HistoryRow>,
    pub locks: Option<HeldLocks>,
    /// Its recorded step events, in insertion order.
    pub events: Vec<RecordedEvent>,
}

/// Which tasks of a project to read.
#[derive(Clone, Debug, Default)]
pub struct Selection<'a> {
    pub project_id: &'a str,
    pub task_ids: Option<&'a [String]>,
    pub order_id: Option<&'a str>,
    pub statuses: Option<&'a [String]>,
}

/// Reads the selected tasks and their evidence in one snapshot.
pub fn read_tasks(reader: &mut Reader, path: &Path, selection: &Selection<'_>, zone: Zone) -> Result<Vec<TaskRecord>> {
    let fetched = in_read_transaction(reader, path, |reader| read_selected(reader, selection, zone))?;
    // Parsing and scoping happen after the shared lock is released:
    // the writers' commits wait on every moment it is held.
    Ok(fetched.assemble(selection, zone))
}

/// Runs `f` inside one read transaction on one consistent snapshot. With
/// [`Consistency::Optimistic`] the read takes no file lock, and is retried
/// (until the reader's busy timeout) while writes overlap it.
pub fn in_read_transaction<T>(
    reader: &mut Reader,
    path: &Path,
    mut f: impl FnMut(&mut Reader) -> rusqlite::Result<Result<T>>,
) -> Result<T> {
    if reader.consistency != Consistency::Optimistic {
        return once_in_transaction(reader, path, &mut f);
    }
    // Borrowed out for the read, and put back: never dropped (closed).
    let Some(db_file) = reader.db_file.take() else {
        return once_in_transaction(reader, path, &mut f);
    };
    let result = once_when_quiet(reader, path, &db_file, &mut f);
    reader.db_file = Some(db_file);
    result
}

/// One read transaction that no write overlapped, retried until the busy timeout.
fn once_when_quiet<T>(
    reader: &mut Reader,
    path: &Path,
    db_file: &File,
    f: &mut impl FnMut(&mut Reader) -> rusqlite::Result<Result<T>>,
) -> Result<T> {
    let deadline = std::time::Instant::now() + reader.busy_timeout;
    let mut pause = Duration::from_millis(1);
    loop {
        if let Some(before) = quiet_mark(db_file, path) {
            let result = once_in_transaction(reader, path, f);
            if quiet_mark(db_file, path) == Some(before) {
                return result;
            }
            reader.forget_pages();
        }
        if std::time::Instant::now() >= deadline {
            return Err(Error::new(
                ErrorCode::DbBusy,
                format!(
                    "database is being written past the busy timeout (its journal stays): {}",
                    path.display()
                ),
            ));
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(10));
    }
}

/// One read transaction, ended whatever happens: it has nothing to keep.
fn once_in_transaction<T>(
    reader: &mut Reader,
    path: &Path,
    f: &mut impl FnMut(&mut Reader) -> rusqlite::Result<Result<T>>,
) -> Result<T> {
    let sqlite = |e| Error::from_sqlite(e, path);
    let run = |reader: &Reader, sql: &str| reader.conn.prepare_cached(sql).and_then(|mut s| s.execute([]));
    run(reader, "BEGIN DEFERRED").map_err(sqlite)?;
    let result = f(reader);
    let end = run(reader, if result.is_ok() { "COMMIT" } else { "ROLLBACK" });
    match result {
        Ok(Ok(value)) => {
            end.map_err(sqlite)?;
            Ok(value)
        }
        Ok(Err(e)) => Err(e),
        Err(e) => Err(sqlite(e)),
    }
}

/// What the transaction read, as raw as it came: history times still text.
/// [`Fetched::assemble`] turns it into records once the transaction is over.
#[derive(Default)]
pub struct Fetched {
    tasks: Vec<TaskRow>,
    shared: HashSet<String>,
    history: HashMap<String, Vec<(HistoryRow, Option<String>)>>,
    locks: HashMap<String, HeldLocks>,
    events: HashMap<String, Vec<RecordedEvent>>,
}

impl Fetched {
    pub fn assemble(mut self, selection: &Selection<'_>, zone: Zone) -> Vec<TaskRecord> {
        self.tasks
            .into_iter()
            .map(|task| {
                let rows = self.history.remove(&task.id).unwrap_or_default();
                let rows = rows
                    .into_iter()
                    .map(|(row, changed_at)| HistoryRow {
                        changed_at: changed_at.and_then(|t| parse_db_timestamp(&t, zone)),
                        ..row
                    })
                    .collect();
                let history = scope_rows(
                    rows,
                    selection.project_id,
                    self.shared.contains(&task.id),
                    &task.status,
                    task.assignee.as_deref(),
                );
                TaskRecord {
                    history,
                    locks: self.locks.remove(&task.id),
                    events: self.events.remove(&task.id).unwrap_or_default(),
                    task,
                }
            })
            .collect()
    }
}

/// The selected tasks and their evidence, read on a connection inside a read
/// transaction (see [`in_read_transaction`]).
pub fn read_selected(reader: &mut Reader, selection: &Selection<'_>, zone: Zone) -> rusqlite::Result<Result<Fetched>> {
    let schema = match reader.schema()? {
        Ok(schema) => schema,
        Err(e) => return Ok(Err(e)),
    };
    let conn = &reader.conn;
    let project: &dyn ToSql = &selection.project_id;
    let ids_json = selection.task_ids.map(json_array);
    let statuses_json = selection.statuses.map(json_array);

    let Some(sql) = schema.tasks_query(
        ids_json.is_some(),
        selection.order_id.is_some(),
        statuses_json.is_some(),
    ) else {
        return Ok(Ok(Fetched::default()));
    };
    let mut stmt = conn.prepare_cached(&sql)?;
    bind(
        &mut stmt,
        &[
            (":project", project),
            (":ids", &ids_json),
            (":order", &selection.order_id),
            (":statuses", &statuses_json),
        ],
    )?;
    let mut tasks = Vec::new();
    let mut rows = stmt.raw_query();
    while let Some(row) = rows.next()? {
        tasks.push(TaskRow {
            id: text_or_empty(row, 0)?,
            project_id: text_or_empty(row, 1)?,
            status: text_or_empty(row, 2)?,
            order_id: text(row, 3)?,
            title: text(row, 4)?,
            assignee: text(row, 5)?,
            started_at: text(row, 6)?,
            updated_at: text(row, 7)?,
            metadata: text(row, 8)?,
        });
    }
    drop(rows);
    drop(stmt);
    if tasks.is_empty() {
        return Ok(Ok(Fetched::default()));
    }
    let found_ids: Vec<String> = tasks.iter().map(|t| t.id.clone()).collect();
    let ids: &dyn ToSql = &json_array(&found_ids);

    Ok(Ok(Fetched {
        shared: query_shared(conn, &schema, project, ids)?,
        history: query_history(conn, &schema, project, ids)?,
        locks: query_locks(conn, &schema, project, ids, zone)?,
        events: query_events(conn, &schema, project, ids, zone)?,
        tasks,
    }))
}

fn query_shared(
    conn: &rusqlite::Connection,
    schema: &Schema,
    project: &dyn ToSql,
    ids: &dyn ToSql,
) -> rusqlite::Result<HashSet<String>> {
    let mut stmt = conn.prepare_cached(schema.shared_ids_query())?;
    bind(&mut stmt, &[(":project", project), (":ids", ids)])?;
    let mut shared = HashSet::new();
    let mut rows = stmt.raw_query();
    while let Some(row) = rows.next()? {
        shared.insert(text_or_empty(row, 0)?);
    }
    Ok(shared)
}

fn query_history(
    conn: &rusqlite::Connection,
    schema: &Schema,
    project: &dyn ToSql,
    ids: &dyn ToSql,
) -> rusqlite::Result<HashMap<String, Vec<(HistoryRow, Option<String>)>>> {
    let mut by_task: HashMap<String, Vec<(HistoryRow, Option<String>)>> = HashMap::new();
    let Some(sql) = schema.history_query() else {
        return Ok(by_task);
    };
    let mut stmt = conn.prepare_cached(&sql)?;
    bind(&mut stmt, &[(":project", project), (":ids", ids)])?;
    let mut rows = stmt.raw_query();
    while let Some(row) = rows.next()? {
        let row_out = HistoryRow {
            project_id: text(row, 1)?,
            field: text_or_empty(row, 2)?,
            old_value: text(row, 3)?,
            new_value: text(row, 4)?,
            reason: text(row, 5)?,
            changed_at: None, // parsed after the transaction
        };
        by_task
            .entry(text_or_empty(row, 0)?)
            .or_default()
            .push((row_out, text(row, 6)?));
    }
    Ok(by_task)
}

fn query_locks(
    conn: &rusqlite::Connection,
    schema: &Schema,
    project: &dyn ToSql,
    ids: &dyn ToSql,
    zone: Zone,
) -> rusqlite::Result<HashMap<String, HeldLocks>> {
    let mut by_task = HashMap::new();
    let Some(sql) = schema.locks_query() else {
        return Ok(by_task);
    };
    let mut stmt = conn.prepare_cached(&sql)?;
    bind(&mut stmt, &[(":project", project), (":ids", ids)])?;
    let mut rows = stmt.raw_query();
    while let Some(row) = rows.next()? {
        let locks = HeldLocks {
            count: integer(row, 1)?.clamp(0, u32::MAX as i64) as u32,
            first_locked_at: text(row, 2)?.and_then(|t| parse_db_timestamp(&t, zone)),
        };
        by_task.insert(text_or_empty(row, 0)?, locks);
    }
    Ok(by_task)
}

fn query_events(
    conn: &rusqlite::Connection,
    schema: &Schema,
    project: &dyn ToSql,
    ids: &dyn ToSql,
    zone: Zone,
) -> rusqlite::Result<HashMap<String, Vec<RecordedEvent>>> {
    let mut by_task: HashMap<String, Vec<RecordedEvent>> = HashMap::new();
    let Some(sql) = schema.events_query() else {
        return Ok(by_task);
    };
    let mut stmt = conn.prepare_cached(&sql)?;
    bind(&mut stmt, &[(":project", project), (":ids", ids)])?;
    let mut rows = stmt.raw_query();
    while let Some(row) = rows.next()? {
        let event = RecordedEvent {
            step: text_or_empty(row, 1)?,
            event: text_or_empty(row, 2)?,
            detail: text(row, 3)?,
            recorded_at: text(row, 4)?.and_then(|t| parse_db_timestamp(&t, zone)),
        };
        by_task.entry(text_or_empty(row, 0)?).or_default().push(event);
    }
    Ok(by_task)
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

fn json_array(values: &[String]) -> String {
    serde_json::to_string(values).expect("a list of strings always serializes")
}
