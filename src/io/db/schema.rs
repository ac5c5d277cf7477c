//! What the database at hand has (SPEC §3): real databases have more columns
//! than this product reads, older ones fewer, so tables and columns are probed
//! with `pragma_table_info` and the queries are built from what exists. Only
//! the fixed identifiers below are ever put into SQL text; values are bound
//! (lists of ids as one JSON array).

use rusqlite::Connection;

use crate::error::{Error, ErrorCode};

/// The table this package writes recorded step events to.
pub const STEP_EVENTS_TABLE: &str = "task_step_events";

/// Column names of one table.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Columns(Vec<String>);

impl Columns {
    pub fn has(&self, name: &str) -> bool {
        self.0.iter().any(|c| c.eq_ignore_ascii_case(name))
    }

    fn has_all(&self, names: &[&str]) -> bool {
        names.iter().all(|n| self.has(n))
    }

    /// `name` if the table has it, else `NULL`, for a select list.
    fn or_null(&self, name: &'static str) -> &'static str {
        if self.has(name) {
            name
        } else {
            "NULL"
        }
    }

    /// The column rows are ordered and followed by: `id` (an INTEGER PRIMARY
    /// KEY, so the rowid) where the table has it, else the rowid itself.
    fn key(&self) -> &'static str {
        if self.has("id") {
            "id"
        } else {
            "rowid"
        }
    }
}

/// The tables this product reads, as they are in this database.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Schema {
    pub tasks: Columns,
    /// `None` if missing or without the columns the history rules need.
    pub change_history: Option<Columns>,
    pub file_locks: Option<Columns>,
    pub step_events: Option<Columns>,
}

/// Which tasks of a project to read.
#[derive(Clone, Copy, Debug, Default)]
pub struct TaskFilter {
    pub ids: bool,
    pub order: bool,
    pub statuses: bool,
}

impl Schema {
    /// Probes the schema in one statement. A database without a usable `tasks`
    /// table is not an AI PM database.
    pub fn probe(conn: &Connection) -> rusqlite::Result<Result<Schema, Error>> {
        let mut stmt = conn.prepare_cached(
            "SELECT m.name, p.name FROM sqlite_master AS m JOIN pragma_table_info(m.name) AS p \
             WHERE m.type IN ('table', 'view') \
             AND m.name IN ('tasks', 'change_history', 'file_locks', 'task_step_events') \
             ORDER BY m.name, p.cid",
        )?;
        let mut tables: [Columns; 4] = Default::default();
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let table: String = row.get(0)?;
            let column: String = row.get(1)?;
            let slot = match table.as_str() {
                "tasks" => 0,
                "change_history" => 1,
                "file_locks" => 2,
                _ => 3,
            };
            tables[slot].0.push(column);
        }
        let [tasks, history, locks, events] = tables;
        if !tasks.has_all(&["id", "project_id", "status"]) {
            return Ok(Err(Error::new(
                ErrorCode::NotAipmDb,
                "not an AI PM database: no tasks table with id, project_id and status",
            )));
        }
        let usable = |c: Columns, needed: &[&str]| c.has_all(needed).then_some(c);
        Ok(Ok(Schema {
            tasks,
            change_history: usable(history, &["entity_type", "entity_id", "field_name", "new_value"]),
            file_locks: usable(locks, &["task_id"]),
            step_events: usable(events, &["project_id", "task_id", "step", "event"]),
        }))
    }

    /// The task rows of `:project` a filter selects, in [`super::read::RawTask`]'s
    /// column order; `None` when it filters on a column this database lacks (nothing matches).
    pub fn tasks_query(&self, filter: TaskFilter) -> Option<String> {
        let t = &self.tasks;
        if filter.order && !t.has("order_id") {
            return None;
        }
        let mut sql = format!(
            "SELECT id, project_id, status, {}, {}, {}, {}, {}, {} FROM tasks WHERE project_id = :project",
            t.or_null("order_id"),
            t.or_null("assignee"),
            t.or_null("started_at"),
            t.or_null("updated_at"),
            t.or_null("reviewed_at"),
            t.or_null("metadata"),
        );
        if filter.ids {
            sql.push_str(" AND id IN (SELECT value FROM json_each(:ids))");
        }
        if filter.order {
            sql.push_str(" AND order_id = :order");
        }
        if filter.statuses {
            sql.push_str(" AND status IN (SELECT value FROM json_each(:statuses))");
        }
        Some(sql)
    }

    /// Tasks of other projects with one of the ids `:ids`.
    pub fn other_tasks_query(&self) -> String {
        format!(
            "SELECT id, project_id, status, {} FROM tasks \
             WHERE id IN (SELECT value FROM json_each(:ids)) AND project_id <> :project",
            self.tasks.or_null("assignee")
        )
    }

    /// `SELECT … FROM change_history WHERE entity_type = 'task'` with the columns
    /// [`super::read::RawHistory`] reads, in its order.
    fn history_select(h: &Columns) -> String {
        format!(
            "SELECT {}, entity_id, {}, field_name, {}, new_value, {}, {}, {} FROM change_history WHERE entity_type = 'task'",
            h.key(),
            h.or_null("project_id"),
            h.or_null("old_value"),
            h.or_null("changed_by"),
            h.or_null("change_reason"),
            h.or_null("changed_at"),
        )
    }

    /// Every row about the task ids `:ids` up to key `:upto`, oldest first.
    pub fn history_of_query(&self) -> Option<String> {
        let h = self.change_history.as_ref()?;
        Some(format!(
            "{} AND entity_id IN (SELECT value FROM json_each(:ids)) AND {key} <= :upto ORDER BY {key}",
            Schema::history_select(h),
            key = h.key()
        ))
    }

    /// Every task row added after key `:after`, oldest first.
    pub fn history_after_query(&self) -> Option<String> {
        let h = self.change_history.as_ref()?;
        Some(format!(
            "{} AND {key} > :after ORDER BY {key}",
            Schema::history_select(h),
            key = h.key()
        ))
    }

    /// How many rows each of the task ids `:ids` has, and their highest key:
    /// what tells rows deleted from rows added.
    pub fn history_tally_query(&self) -> Option<String> {
        let h = self.change_history.as_ref()?;
        Some(format!(
            "SELECT entity_id, count(*), max({key}) FROM change_history \
             WHERE entity_type = 'task' AND entity_id IN (SELECT value FROM json_each(:ids)) GROUP BY entity_id",
            key = h.key()
        ))
    }

    /// The highest key in the table (0 when empty).
    pub fn history_max_query(&self) -> Option<String> {
        let h = self.change_history.as_ref()?;
        Some(format!("SELECT coalesce(max({}), 0) FROM change_history", h.key()))
    }

    /// Locks held on the tasks `:ids` of `:project`: count and earliest time per task.
    pub fn locks_query(&self) -> Option<String> {
        let l = self.file_locks.as_ref()?;
        let project_filter = if l.has("project_id") {
            " AND project_id = :project"
        } else {
            ""
        };
        Some(format!(
            "SELECT task_id, COUNT(*), MIN({}) FROM file_locks \
             WHERE task_id IN (SELECT value FROM json_each(:ids)){project_filter} GROUP BY task_id",
            l.or_null("locked_at"),
        ))
    }

    fn events_select(e: &Columns) -> String {
        format!(
            "SELECT {}, project_id, task_id, step, event, {}, {} FROM {STEP_EVENTS_TABLE}",
            e.key(),
            e.or_null("detail"),
            e.or_null("recorded_at"),
        )
    }

    /// Recorded events of the tasks `:ids` of `:project` up to key `:upto`, in insertion order.
    pub fn events_of_query(&self) -> Option<String> {
        let e = self.step_events.as_ref()?;
        Some(format!(
            "{} WHERE project_id = :project AND task_id IN (SELECT value FROM json_each(:ids)) AND {key} <= :upto \
             ORDER BY {key}",
            Schema::events_select(e),
            key = e.key()
        ))
    }

    /// Recorded events added after key `:after` (every project).
    pub fn events_after_query(&self) -> Option<String> {
        let e = self.step_events.as_ref()?;
        Some(format!(
            "{} WHERE {key} > :after ORDER BY {key}",
            Schema::events_select(e),
            key = e.key()
        ))
    }

    /// Count and highest key of the recorded events of each task `:ids` of `:project`.
    pub fn events_tally_query(&self) -> Option<String> {
        let e = self.step_events.as_ref()?;
        Some(format!(
            "SELECT task_id, count(*), max({key}) FROM {STEP_EVENTS_TABLE} \
             WHERE project_id = :project AND task_id IN (SELECT value FROM json_each(:ids)) GROUP BY task_id",
            key = e.key()
        ))
    }

    /// The highest key of the recorded events (0 when empty).
    pub fn events_max_query(&self) -> Option<String> {
        let e = self.step_events.as_ref()?;
        Some(format!("SELECT coalesce(max({}), 0) FROM {STEP_EVENTS_TABLE}", e.key()))
    }
}
