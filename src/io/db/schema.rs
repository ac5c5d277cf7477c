//! What the database at hand has (docs/behaviour.md, "Tables read"): real databases have more columns
//! than this product reads, older ones fewer, so tables and columns are probed
//! with `pragma_table_info` and the queries are built from what exists. Only
//! the fixed identifiers below are ever put into SQL text; values are bound
//! (lists of ids as one JSON array).

use std::sync::Arc;

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
    /// The queries below, built once from the columns.
    queries: Arc<Queries>,
}

/// The SQL text of every query, for one schema.
#[derive(Debug, Default, PartialEq, Eq)]
struct Queries {
    /// By [`TaskFilter::index`].
    tasks: [Option<String>; 16],
    other_tasks: String,
    history_of: Option<String>,
    history_after: Option<String>,
    signatures: String,
    project_locks: Option<String>,
    events_of: Option<String>,
    events_after: Option<String>,
    /// By whether an order is named.
    task_orders: [Option<String>; 2],
    project_events: Option<String>,
}

/// Which tasks of a project to read.
#[derive(Clone, Copy, Debug, Default)]
pub struct TaskFilter {
    /// The ids in `:ids` (a JSON array).
    pub ids: bool,
    /// The one id `:id` (a plain comparison: a single task is the common call).
    pub one_id: bool,
    pub order: bool,
    pub statuses: bool,
}

impl TaskFilter {
    const ALL: [TaskFilter; 16] = {
        let mut all = [TaskFilter {
            ids: false,
            one_id: false,
            order: false,
            statuses: false,
        }; 16];
        let mut i = 0;
        while i < 16 {
            all[i] = TaskFilter {
                ids: i & 1 != 0,
                order: i & 2 != 0,
                statuses: i & 4 != 0,
                one_id: i & 8 != 0,
            };
            i += 1;
        }
        all
    };

    fn index(self) -> usize {
        usize::from(self.ids)
            | usize::from(self.order) << 1
            | usize::from(self.statuses) << 2
            | usize::from(self.one_id) << 3
    }
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
        let mut schema = Schema {
            tasks,
            change_history: usable(history, &["entity_type", "entity_id", "field_name", "new_value"]),
            file_locks: usable(locks, &["task_id"]),
            step_events: usable(events, &["project_id", "task_id", "step", "event"]),
            queries: Arc::default(),
        };
        schema.queries = Arc::new(Queries {
            tasks: TaskFilter::ALL.map(|f| schema.build_tasks_query(f)),
            other_tasks: schema.build_other_tasks_query(),
            history_of: schema.build_history_of_query(),
            history_after: schema.build_history_after_query(),
            signatures: schema.build_signatures_query(),
            project_locks: schema.build_project_locks_query(),
            events_of: schema.build_events_of_query(),
            events_after: schema.build_events_after_query(),
            task_orders: [false, true].map(|order| schema.build_task_orders_query(order)),
            project_events: schema.build_project_events_query(),
        });
        Ok(Ok(schema))
    }

    /// The task rows of `:project` a filter selects, in [`super::read::RawTask`]'s
    /// column order; `None` when it filters on a column this database lacks
    /// (nothing matches). Each row carries the count and highest key of the
    /// task's history rows and recorded events (index lookups): what tells rows
    /// deleted from rows added.
    pub fn tasks_query(&self, filter: TaskFilter) -> Option<&str> {
        self.queries.tasks[filter.index()].as_deref()
    }

    /// Tasks of other projects with one of the ids `:ids`.
    pub fn other_tasks_query(&self) -> &str {
        &self.queries.other_tasks
    }

    /// Every row about the task ids `:ids` up to key `:upto`, oldest first.
    pub fn history_of_query(&self) -> Option<&str> {
        self.queries.history_of.as_deref()
    }

    /// Every task row added after key `:after`, oldest first. The key range
    /// drives the search (`+entity_type` keeps SQLite off the entity index, which
    /// would visit every task row): it costs the new rows, not the table.
    pub fn history_after_query(&self) -> Option<&str> {
        self.queries.history_after.as_deref()
    }

    /// The table-wide signatures in one statement: the highest key of
    /// `change_history` and of the recorded events (0 when empty or missing),
    /// and `file_locks`' row count and highest rowid (-1 without the table; its
    /// rowids come from AUTOINCREMENT, so a new lock always raises the highest
    /// and a released one lowers the count).
    pub fn signatures_query(&self) -> &str {
        &self.queries.signatures
    }

    /// The locks held on `:project`'s tasks: count and earliest time per task.
    pub fn project_locks_query(&self) -> Option<&str> {
        self.queries.project_locks.as_deref()
    }

    /// Recorded events of the tasks `:ids` of `:project` up to key `:upto`, in insertion order.
    pub fn events_of_query(&self) -> Option<&str> {
        self.queries.events_of.as_deref()
    }

    /// Recorded events added after key `:after` (every project).
    pub fn events_after_query(&self) -> Option<&str> {
        self.queries.events_after.as_deref()
    }

    /// The id and order of every task of `:project` (of order `:order`, with
    /// `order`): what statistics need of the tasks; `None` when the order
    /// column is missing and an order is named.
    pub fn task_orders_query(&self, order: bool) -> Option<&str> {
        self.queries.task_orders[usize::from(order)].as_deref()
    }

    /// Every recorded event of `:project`, in insertion order.
    pub fn project_events_query(&self) -> Option<&str> {
        self.queries.project_events.as_deref()
    }

    fn build_task_orders_query(&self, order: bool) -> Option<String> {
        let t = &self.tasks;
        if order && !t.has("order_id") {
            return None;
        }
        let filter = if order { " AND order_id = :order" } else { "" };
        Some(format!(
            "SELECT id, {} FROM tasks WHERE project_id = :project{filter}",
            t.or_null("order_id")
        ))
    }

    fn build_project_events_query(&self) -> Option<String> {
        let e = self.step_events.as_ref()?;
        Some(format!(
            "{} WHERE project_id = :project ORDER BY {key}",
            Schema::events_select(e),
            key = e.key()
        ))
    }

    fn build_tasks_query(&self, filter: TaskFilter) -> Option<String> {
        let t = &self.tasks;
        if filter.order && !t.has("order_id") {
            return None;
        }
        let history_tally = match &self.change_history {
            Some(h) => format!(
                "(SELECT count(*) FROM change_history h WHERE h.entity_type = 'task' AND h.entity_id = tasks.id), \
                 (SELECT coalesce(max(h.{key}), 0) FROM change_history h WHERE h.entity_type = 'task' AND h.entity_id = tasks.id)",
                key = h.key()
            ),
            None => "0, 0".to_owned(),
        };
        let events_tally = match &self.step_events {
            Some(e) => format!(
                "(SELECT count(*) FROM {STEP_EVENTS_TABLE} e WHERE e.project_id = tasks.project_id AND e.task_id = tasks.id), \
                 (SELECT coalesce(max(e.{key}), 0) FROM {STEP_EVENTS_TABLE} e WHERE e.project_id = tasks.project_id AND e.task_id = tasks.id)",
                key = e.key()
            ),
            None => "0, 0".to_owned(),
        };
        let shared = "EXISTS (SELECT 1 FROM tasks o WHERE o.id = tasks.id AND o.project_id <> tasks.project_id)";
        // The worker locks `target_files` when it is a JSON array of at least one path.
        let has_targets = if t.has("target_files") {
            "CASE WHEN json_valid(target_files) AND json_type(target_files) = 'array' \
             AND json_array_length(target_files) > 0 THEN 1 ELSE 0 END"
        } else {
            "NULL"
        };
        let mut sql = format!(
            "SELECT id, project_id, status, {}, {}, {}, {}, {}, {}, {history_tally}, {events_tally}, {shared}, {has_targets}, {} \
             FROM tasks WHERE project_id = :project",
            t.or_null("order_id"),
            t.or_null("assignee"),
            t.or_null("started_at"),
            t.or_null("updated_at"),
            t.or_null("reviewed_at"),
            t.or_null("metadata"),
            t.or_null("reject_count"),
        );
        if filter.one_id {
            sql.push_str(" AND id = :id");
        } else if filter.ids {
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

    fn build_other_tasks_query(&self) -> String {
        format!(
            "SELECT id, project_id, status, {}, {}, {} FROM tasks \
             WHERE id IN (SELECT value FROM json_each(:ids)) AND project_id <> :project",
            self.tasks.or_null("assignee"),
            self.tasks.or_null("started_at"),
            self.tasks.or_null("reject_count"),
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

    fn build_history_of_query(&self) -> Option<String> {
        let h = self.change_history.as_ref()?;
        Some(format!(
            "{} AND entity_id IN (SELECT value FROM json_each(:ids)) AND {key} <= :upto ORDER BY {key}",
            Schema::history_select(h),
            key = h.key()
        ))
    }

    fn build_history_after_query(&self) -> Option<String> {
        let h = self.change_history.as_ref()?;
        let select = Schema::history_select(h).replace("WHERE entity_type = 'task'", "WHERE +entity_type = 'task'");
        Some(format!("{select} AND {key} > :after ORDER BY {key}", key = h.key()))
    }

    fn build_signatures_query(&self) -> String {
        let max = |table: &str, c: Option<&Columns>| {
            c.map_or("0".to_owned(), |c| {
                format!("(SELECT coalesce(max({}), 0) FROM {table})", c.key())
            })
        };
        let locks = match self.file_locks {
            Some(_) => "(SELECT count(*) FROM file_locks), (SELECT coalesce(max(rowid), 0) FROM file_locks)",
            None => "-1, -1",
        };
        format!(
            "SELECT {}, {}, {locks}",
            max("change_history", self.change_history.as_ref()),
            max(STEP_EVENTS_TABLE, self.step_events.as_ref())
        )
    }

    fn build_project_locks_query(&self) -> Option<String> {
        let l = self.file_locks.as_ref()?;
        let project_filter = if l.has("project_id") {
            " WHERE project_id = :project"
        } else {
            ""
        };
        Some(format!(
            "SELECT task_id, COUNT(*), MIN({}) FROM file_locks{project_filter} GROUP BY task_id",
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

    fn build_events_of_query(&self) -> Option<String> {
        let e = self.step_events.as_ref()?;
        Some(format!(
            "{} WHERE project_id = :project AND task_id IN (SELECT value FROM json_each(:ids)) AND {key} <= :upto \
             ORDER BY {key}",
            Schema::events_select(e),
            key = e.key()
        ))
    }

    fn build_events_after_query(&self) -> Option<String> {
        let e = self.step_events.as_ref()?;
        Some(format!(
            "{} WHERE {key} > :after ORDER BY {key}",
            Schema::events_select(e),
            key = e.key()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The plans of the statements a read after a commit runs: none may scan a
    /// table or a whole index (the bench database has 200,000 history rows).
    #[test]
    fn reads_after_a_commit_search_and_never_scan() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(crate::sample::SCHEMA).unwrap();
        conn.execute_batch(crate::io::db::write::STEP_EVENTS_DDL).unwrap();
        let schema = Schema::probe(&conn).unwrap().unwrap();
        let all = TaskFilter {
            ids: true,
            ..TaskFilter::default()
        };
        let one = TaskFilter {
            one_id: true,
            ..TaskFilter::default()
        };
        let queries = [
            schema.tasks_query(all).unwrap(),
            schema.tasks_query(one).unwrap(),
            schema
                .tasks_query(TaskFilter {
                    statuses: true,
                    ..TaskFilter::default()
                })
                .unwrap(),
            schema.other_tasks_query(),
            schema.history_of_query().unwrap(),
            schema.history_after_query().unwrap(),
            // Counting `file_locks` walks it: it holds only the locks of running tasks.
            &schema
                .signatures_query()
                .replace("(SELECT count(*) FROM file_locks), ", ""),
            schema.events_of_query().unwrap(),
            schema.events_after_query().unwrap(),
            schema.project_locks_query().unwrap(),
        ];
        for sql in queries {
            let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
            let mut rows = stmt.raw_query();
            let mut plan: Vec<String> = Vec::new();
            while let Some(row) = rows.next().unwrap() {
                plan.push(row.get(3).unwrap());
            }
            let scans: Vec<&String> = plan
                .iter()
                .filter(|p| p.starts_with("SCAN") && !p.contains("json_each") && *p != "SCAN CONSTANT ROW")
                .collect();
            assert!(scans.is_empty(), "{sql}\n{plan:#?}");
            assert!(
                !plan.iter().any(|p| p.contains("(entity_type=?)")),
                "the whole entity index: {sql}\n{plan:#?}"
            );
        }
    }
}
