// The comparison peer: the `history` rules and the status table of
// docs/behaviour.md ("The history rules", "Status table") written directly on
// better-sqlite3 (what the app already uses), as well as we know how.
//
// Set-based: a batch runs two statements whatever the number of tasks (the tasks
// with their lock aggregates, then all their history rows in one ordered scan);
// a single task runs the same two statements narrowed to one id. Both run in one
// read transaction (one snapshot, and one lock round instead of two). Statements
// are prepared once; rows come back as arrays (`raw()`), not objects. It reads only
// the database (no worker logs, no recorded events): on history-only data that
// is the whole evidence, so its answers must equal the addon's.
'use strict'

const Database = require('better-sqlite3')

const STEPS = ['get_task_info', 'assign_worker', 'file_lock', 'execute_task', 'create_report', 'update_status_done', 'auto_review']
const DISPLAY = ['タスク情報取得', 'Worker割当', 'ファイルロック取得', 'AI実行', 'レポート作成', '完了処理', '自動レビュー']
const [, ASSIGN_WORKER, FILE_LOCK, EXECUTE_TASK, CREATE_REPORT, UPDATE_STATUS_DONE] = STEPS.keys()
const NOT_RUNNING = '実行中でない'
const progress = (index) => Math.floor(((index + 1) * 100) / STEPS.length)

const CLASS = {
  IN_PROGRESS: 'running',
  REWORK: 'rework',
  QUEUED: 'waiting',
  BLOCKED: 'waiting',
  DONE: 'finished',
  IN_REVIEW: 'finished',
  COMPLETED: 'finished',
  INTERRUPTED: 'stopped',
  ESCALATED: 'stopped',
  WAITING_INPUT: 'stopped',
}

/** Column positions of the task query. */
const T = { id: 0, project: 1, status: 2, order: 3, assignee: 4, startedAt: 5, updatedAt: 6, locks: 7, firstLock: 8, shared: 9 }
/** Column positions of the history query. */
const H = { task: 0, project: 1, field: 2, newValue: 3, reason: 4, changedAt: 5 }

const TASK_COLUMNS = `t.id, t.project_id, t.status, t.order_id, t.assignee, t.started_at, t.updated_at,
  (SELECT COUNT(*) FROM file_locks l WHERE l.project_id = t.project_id AND l.task_id = t.id),
  (SELECT MIN(locked_at) FROM file_locks l WHERE l.project_id = t.project_id AND l.task_id = t.id),
  EXISTS (SELECT 1 FROM tasks o WHERE o.id = t.id AND o.project_id <> t.project_id)`
const HISTORY_COLUMNS = `h.entity_id, h.project_id, h.field_name, h.new_value, h.change_reason, h.changed_at`
// CROSS JOIN keeps the tasks on the outside (SQLite does not reorder it): the selected
// tasks first, then their rows through the (entity_type, entity_id) index, never a scan
// of every task's history.
const HISTORY_JOIN = `CROSS JOIN change_history h ON h.entity_type = 'task' AND h.entity_id = t.id
  AND (h.project_id = t.project_id OR h.project_id IS NULL)`

/** `YYYY-MM-DD HH:MM:SS` is UTC (SQLite CURRENT_TIMESTAMP); `YYYY-MM-DDTHH:MM:SS[.ffffff]` is local time. */
function parseDbTime(text) {
  if (typeof text !== 'string' || text.length < 19) return null
  const utc = text[10] === ' '
  const ms = Date.parse(utc ? `${text.slice(0, 10)}T${text.slice(11, 23)}Z` : text.slice(0, 23))
  return Number.isNaN(ms) ? null : ms
}

const mentionsReport = (row) =>
  row[H.field] !== 'status' &&
  [row[H.field], row[H.newValue], row[H.reason]].some((t) => t != null && (String(t).toLowerCase().includes('report') || String(t).includes('レポート')))

class HistoryPeer {
  constructor(dbPath) {
    this.db = new Database(dbPath, { readonly: true, fileMustExist: true })
    const prepare = (sql) => this.db.prepare(sql).raw(true)
    this.oneTask = prepare(`SELECT ${TASK_COLUMNS} FROM tasks t WHERE t.project_id = ? AND t.id = ?`)
    this.oneHistory = prepare(
      `SELECT ${HISTORY_COLUMNS} FROM tasks t ${HISTORY_JOIN} WHERE t.project_id = ? AND t.id = ? ORDER BY h.changed_at, h.id`,
    )
    const byStatus = `t.project_id = ? AND t.status IN (SELECT value FROM json_each(?))`
    this.statusTasks = prepare(`SELECT ${TASK_COLUMNS} FROM tasks t WHERE ${byStatus}`)
    this.statusHistory = prepare(`SELECT ${HISTORY_COLUMNS} FROM tasks t ${HISTORY_JOIN} WHERE ${byStatus} ORDER BY h.entity_id, h.changed_at, h.id`)
    const byOrder = `t.project_id = ? AND t.order_id = ? AND t.status IN (SELECT value FROM json_each(?))`
    this.orderTasks = prepare(`SELECT ${TASK_COLUMNS} FROM tasks t WHERE ${byOrder}`)
    this.orderHistory = prepare(`SELECT ${HISTORY_COLUMNS} FROM tasks t ${HISTORY_JOIN} WHERE ${byOrder} ORDER BY h.entity_id, h.changed_at, h.id`)
    // one snapshot per call
    this.readTask = this.db.transaction((projectId, taskId) => [this.oneTask.get(projectId, taskId), this.oneHistory.all(projectId, taskId)])
    this.readStatus = this.db.transaction((projectId, json) => [this.statusTasks.all(projectId, json), this.statusHistory.all(projectId, json)])
    this.readOrder = this.db.transaction((projectId, orderId, json) => [
      this.orderTasks.all(projectId, orderId, json),
      this.orderHistory.all(projectId, orderId, json),
    ])
  }

  close() {
    this.db.close()
  }

  /** One task, like getTaskExecutionStepSync (non-verbose, ja). */
  task(projectId, taskId) {
    const [task, history] = this.readTask(projectId, taskId)
    if (!task) return { error: `タスクが見つかりません: ${taskId}`, currentStep: null, stepIndex: -1 }
    return evaluate(task, history)
  }

  /** The project's tasks in the given statuses (default IN_PROGRESS), keyed by id, most recently updated first. */
  tasksByStatus(projectId, statuses = ['IN_PROGRESS']) {
    const json = JSON.stringify(statuses)
    return keyed(...this.readStatus(projectId, json))
  }

  /** One order's tasks in the given statuses, keyed by id, most recently updated first. */
  tasksOfOrder(projectId, orderId, statuses) {
    const json = JSON.stringify(statuses)
    return keyed(...this.readOrder(projectId, orderId, json))
  }
}

/** Pairs tasks with their history rows (both scans ordered by task id) and evaluates each. */
function keyed(tasks, history) {
  const rowsByTask = new Map()
  for (const row of history) {
    let rows = rowsByTask.get(row[H.task])
    if (!rows) rowsByTask.set(row[H.task], (rows = []))
    rows.push(row)
  }
  const results = tasks.map((t) => [t, evaluate(t, rowsByTask.get(t[T.id]) ?? [])])
  const updated = ([t, r]) => parseDbTime(t[T.updatedAt]) ?? r._lastUpdatedMs ?? -Infinity
  results.sort((a, b) => updated(b) - updated(a) || (a[0][T.id] < b[0][T.id] ? -1 : 1))
  const out = {}
  for (const [t, r] of results) out[t[T.id]] = r
  return out
}

/** One task (docs/behaviour.md, "Attempts", "Status table"): its attempt, the history timeline, the status table. */
function evaluate(task, allRows) {
  const status = task[T.status]
  // Rows tagged with this project win where another project shares the id.
  const rows = task[T.shared] && allRows.some((r) => r[H.project] != null) ? allRows.filter((r) => r[H.project] != null) : allRows
  const cls = CLASS[status] ?? 'inactive'

  // The attempt: the latest transition into the running status (or either, when not running).
  const targets = status === 'IN_PROGRESS' || status === 'REWORK' ? [status] : ['IN_PROGRESS', 'REWORK']
  let entry = -1
  for (let i = rows.length - 1; i >= 0; i--) {
    if (rows[i][H.field] === 'status' && targets.includes(rows[i][H.newValue])) {
      entry = i
      break
    }
  }
  let entered = null
  let enteredAt = null
  let firstRow = 0
  if (entry >= 0) {
    entered = rows[entry][H.newValue] === 'REWORK' ? 'rework' : 'in_progress'
    enteredAt = parseDbTime(rows[entry][H.changedAt])
    if (entered === 'rework') firstRow = entry + 1
    else if (enteredAt == null) firstRow = entry
    else {
      // the assignee row the worker writes in the same second belongs to the attempt
      const second = Math.floor(enteredAt / 1000) * 1000
      firstRow = 0
      for (let i = entry - 1; i >= 0; i--) {
        const at = parseDbTime(rows[i][H.changedAt])
        if (at == null || at < second) {
          firstRow = i + 1
          break
        }
      }
    }
  }

  // The history timeline: the furthest step the attempt's evidence supports.
  let current = -1
  let firstAt = null
  let lastAt = null
  const mark = (at, step) => {
    if (at != null) {
      firstAt ??= at
      lastAt = at
    }
    if (step > current) current = step
  }
  if (entered === 'in_progress') mark(enteredAt, ASSIGN_WORKER)
  for (let i = firstRow; i < rows.length; i++) {
    if (i === entry) continue
    const row = rows[i]
    if (row[H.field] === 'assignee') mark(parseDbTime(row[H.changedAt]), FILE_LOCK)
    else if (row[H.field] === 'status' && row[H.newValue] === 'DONE') mark(parseDbTime(row[H.changedAt]), UPDATE_STATUS_DONE)
    else if (mentionsReport(row)) mark(parseDbTime(row[H.changedAt]), CREATE_REPORT)
  }
  const locksHeld = task[T.locks] > 0
  if (locksHeld) mark(parseDbTime(task[T.firstLock]), EXECUTE_TASK)
  const hasTimeline = current >= 0

  // REWORK runs only with evidence of a run: in the database that is locks held (history rows are not).
  const running = cls === 'running' || (cls === 'rework' && locksHeld)
  let source = 'status'
  if (hasTimeline) source = 'history'
  else if (running) {
    source = rows.length > 0 ? 'history' : 'status'
    current = rows.length > 0 ? ASSIGN_WORKER : 0
  }
  const step = running ? Math.max(current, 0) : -1
  let progressPercent = 0
  if (step >= 0) progressPercent = progress(step)
  else if (cls === 'finished') progressPercent = 100
  else if (cls === 'stopped' && current >= 0) progressPercent = progress(current)

  let startedMs = null
  if (entered === 'in_progress') startedMs = enteredAt
  // docs/behaviour.md, "Attempts": the current attempt began with the move into REWORK, run or not.
  else if (entered === 'rework') startedMs = enteredAt
  else startedMs = firstAt
  startedMs ??= parseDbTime(task[T.startedAt])

  let lastMs = parseDbTime(task[T.updatedAt])
  for (const at of [...rows.map((r) => parseDbTime(r[H.changedAt])), lastAt, parseDbTime(task[T.firstLock])]) {
    if (at != null && (lastMs == null || at > lastMs)) lastMs = at
  }

  return {
    projectId: task[T.project],
    taskId: task[T.id],
    orderId: task[T.order],
    currentStep: step >= 0 ? STEPS[step] : null,
    currentStepDisplay: step >= 0 ? DISPLAY[step] : NOT_RUNNING,
    stepIndex: step,
    totalSteps: STEPS.length,
    progressPercent,
    status,
    assignee: task[T.assignee],
    startedAt: startedMs == null ? null : new Date(startedMs).toISOString(),
    lastUpdated: lastMs == null ? null : new Date(lastMs).toISOString(),
    error: null,
    source,
    _lastUpdatedMs: lastMs,
  }
}

module.exports = { HistoryPeer, parseDbTime }
