// Benchmark databases in the real AI PM shape (src/sample/schema.sql), with the
// logs of the first project's recent runs beside them, generated deterministically
// (the database in one transaction) and cached under bench/.data by size.
//
// The shape follows docs/behaviour.md, "The database": a few projects of unequal size, orders of ~20 tasks,
// most tasks finished, a few hundred IN_PROGRESS / REWORK, change_history rows as
// the real writers leave them (project_id NULL, changed_at UTC `YYYY-MM-DD HH:MM:SS`,
// an assignee row and a status row in the same second when a worker starts), rows
// about orders and other fields in between, and file_locks for some running tasks.
//
// Runs last as real ones do (bench/backend.js, after src/sample/pace.rs): skewed,
// the AI step log-normal around 6 minutes, one run in twelve four times slower,
// the report's time growing with it, bookkeeping steps of seconds, a review's
// model call log-normal around 90 s after a delay of 10 s to 2 min.
//
// Logs (SPEC §4), for the estimate of issue 20 and its calibration: the runs of
// the first project's most recent LOGGED_ORDERS orders (about 620 runs, 580
// reviews and 110 reworks, whatever the size) are the launcher daemon's — its launch rows, then the
// worker log `PROJECTS/<project>/RESULT/<order>/LOGS/worker_<task>_<stamp>.log`
// (Japan time, CRLF) whose every line is at the second of the rows the worker
// writes (its assignee row, `[update_status_done] success` at the move to
// DONE); their reviews are the review worker's, `logs/review_workers/<task>_review.log`
// (first line `<project>/<task>`), about one in five rejected and reworked
// inside the review log (DONE → REWORK, then REWORK → DONE by the rework: the
// task waits, DONE, for its next review). Only recent orders: every one of the
// first project's runs would be 37,000 logs on the 100k-task database, and the
// calibration leaves each run out in turn (its time grows with the square of
// the runs). Every other run — the other projects', older orders', the running
// tasks' current attempts — is in the database only, started by hand as before.
'use strict'

const fs = require('node:fs')
const path = require('node:path')
const Database = require('better-sqlite3')
const { Dice, pipelineSeconds, daemonRun, review, pythonLocal } = require('./backend')

const SCHEMA = fs.readFileSync(path.join(__dirname, '..', 'src', 'sample', 'schema.sql'), 'utf8')
/** Bump when the generated shape changes, so cached databases are rebuilt. */
const GENERATOR_VERSION = 3
const DATA_DIR = path.join(__dirname, '.data')

/** Projects and their share of the tasks: the first is the one the benchmark queries. */
const PROJECTS = [
  ['ai_pm_manager', 0.4],
  ['web_shop', 0.3],
  ['data_pipeline', 0.2],
  ['docs_site', 0.1],
]
const TASKS_PER_ORDER = 20
/** The first project's most recent orders whose runs and reviews have logs. */
const LOGGED_ORDERS = 34
/** Of the logged tasks the review worker reviews, the share it rejects (and reworks at once). */
const REJECTED_SHARE = 0.2
const WORKERS = ['Worker A', 'Worker B', 'Worker C', 'Worker D', 'Worker E', 'Worker F']
const NOISE_FIELDS = ['priority', 'title', 'description', 'recommended_model', 'target_files']
const FINISHED = [
  ['COMPLETED', 0.86],
  ['DONE', 0.04],
  ['IN_REVIEW', 0.01],
  ['CANCELLED', 0.02],
  ['SKIPPED', 0.01],
  ['REJECTED', 0.005],
  ['INTERRUPTED', 0.01],
  ['ESCALATED', 0.005],
  ['WAITING_INPUT', 0.005],
  ['QUEUED', 0.025],
  ['BLOCKED', 0.01],
]

/** Deterministic pseudo-random numbers (mulberry32), so every run measures the same data. */
function random(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const pad = (n, w = 2) => String(n).padStart(w, '0')
/** SQLite CURRENT_TIMESTAMP shape: UTC, space-separated (every changed_at). */
const utc = (ms) => {
  const d = new Date(ms)
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`
}

/**
 * The benchmark sizes. `historyPerTask` is what the writers leave on average
 * (status and assignee rows of one or more runs, plus edits of other fields).
 */
const SIZES = {
  small: { tasks: 10_000, history: 200_000, running: 200, rework: 60 },
  large: { tasks: 100_000, history: 2_000_000, running: 400, rework: 120 },
  quick: { tasks: 2_000, history: 40_000, running: 60, rework: 20 },
}

/** The user-data folder of a size (`<root>/data/aipm.db`), generated if missing. */
function ensureDatabase(sizeName, log = () => {}) {
  const size = SIZES[sizeName]
  if (!size) throw new Error(`unknown size ${sizeName}`)
  const root = path.join(DATA_DIR, `${sizeName}-v${GENERATOR_VERSION}`)
  const dbPath = path.join(root, 'data', 'aipm.db')
  if (fs.existsSync(path.join(root, 'ready.json'))) {
    return { root, dbPath, ...JSON.parse(fs.readFileSync(path.join(root, 'ready.json'), 'utf8')) }
  }
  fs.rmSync(root, { recursive: true, force: true })
  fs.mkdirSync(path.join(root, 'data'), { recursive: true })
  const started = Date.now()
  const facts = generate(dbPath, size)
  facts.seconds = (Date.now() - started) / 1000
  facts.bytes = fs.statSync(dbPath).size
  const { logs } = facts
  log(
    `generated ${sizeName}: ${facts.tasks} tasks, ${facts.historyRows} history rows, ${(facts.bytes / 2 ** 20).toFixed(0)} MB; ` +
      `${logs.workerLogs} worker logs and ${logs.reviewLogs} review logs (${logs.reworks} with a rework) in ${logs.orders} orders, ` +
      `${(logs.bytes / 2 ** 20).toFixed(1)} MB; ${facts.seconds.toFixed(1)} s`,
  )
  fs.writeFileSync(path.join(root, 'ready.json'), JSON.stringify(facts, null, 2))
  return { root, dbPath, ...facts }
}

function generate(dbPath, size) {
  const rand = random(20261024)
  // Durations, reviews' verdicts and the review's delay come from a stream of their own
  // (bench/backend.js), so which tasks run and in what status is as in version 2.
  const dice = new Dice(20261206)
  const pick = (list) => list[Math.floor(rand() * list.length)]
  const weighted = (table) => {
    let r = rand()
    for (const [value, weight] of table) if ((r -= weight) < 0) return value
    return table[0][0]
  }
  const root = path.dirname(path.dirname(dbPath))
  const db = new Database(dbPath)
  db.pragma('journal_mode = DELETE') // the app's default rollback journal
  db.exec(SCHEMA)
  const insertProject = db.prepare('INSERT INTO projects (id, name) VALUES (?, ?)')
  const insertOrder = db.prepare('INSERT INTO orders (id, project_id, title, status, created_at) VALUES (?, ?, ?, ?, ?)')
  const insertTask = db.prepare(
    `INSERT INTO tasks (id, project_id, order_id, title, status, assignee, started_at, completed_at, created_at, updated_at, reviewed_at, reject_count)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  )
  const insertHistory = db.prepare(
    `INSERT INTO change_history (entity_type, entity_id, project_id, field_name, old_value, new_value, changed_by, change_reason, changed_at)
     VALUES (?, ?, NULL, ?, ?, ?, ?, ?, ?)`,
  )
  const insertLock = db.prepare('INSERT INTO file_locks (project_id, task_id, file_path, locked_at) VALUES (?, ?, ?, ?)')

  const now = Date.parse('2026-11-20T03:00:00Z')
  const historyBudget = size.history / size.tasks
  let historyRows = 0
  let lockRows = 0
  const counts = {}
  const orders = []
  const running = {} // per project: IN_PROGRESS task count
  /** The log files to write once the database is: path, text, last written (ms). */
  const files = []
  const logs = { orders: [], workerLogs: 0, reviewLogs: 0, reworks: 0, bytes: 0 }

  // Which tasks run now: spread over the projects, the first project has most.
  const runningIds = new Set()
  const reworkIds = new Set()
  while (runningIds.size < size.running) runningIds.add(Math.floor(rand() * size.tasks))
  while (reworkIds.size < size.rework) {
    const id = Math.floor(rand() * size.tasks)
    if (!runningIds.has(id)) reworkIds.add(id)
  }

  const history = (entity, id, field, oldValue, newValue, by, reason, at) => {
    insertHistory.run(entity, id, field, oldValue, newValue, by, reason, utc(at))
    historyRows++
  }
  /**
   * One worker run started by hand (no log: its output went nowhere), as the
   * worker leaves it in the database, paced by `p`: the assignee row and the move
   * into IN_PROGRESS in the same second, sometimes a row about its report, and
   * the move to DONE when `finish`. Nothing is written after `until`. Returns
   * the time it ended (or stopped at `until`).
   */
  const run = (taskId, worker, previousAssignee, from, at, finish, p, until = Infinity) => {
    history('task', taskId, 'assignee', previousAssignee, worker, 'worker', null, at)
    history('task', taskId, 'status', from, 'IN_PROGRESS', 'worker', null, at)
    rand() // version 2 drew the run's length here
    const reportAt = at + (p.start + p.getTaskInfo + p.assignWorker + p.executeTask + p.createReport) * 1000
    if (rand() < 0.3 && reportAt <= until) history('task', taskId, 'report_path', null, `RESULT/REPORT_${taskId}.md`, 'worker', 'report written', reportAt)
    const t = Math.min(reportAt + p.updateStatusDone * 1000, until)
    if (finish) history('task', taskId, 'status', 'IN_PROGRESS', 'DONE', 'worker', null, t)
    return t
  }
  /** Rows of a logged run (bench/backend.js calls these at the moments it writes them). */
  const rowsOf = (taskId, row) => ({
    assignee: (at, from, to, by, reason) => history('task', taskId, 'assignee', from, to, by, reason, at),
    status: (at, from, to, by, reason) => history('task', taskId, 'status', from, to, by, reason, at),
    report: (at) => {
      if (row.reportRow) history('task', taskId, 'report_path', null, `RESULT/REPORT_${taskId}.md`, 'worker', 'report written', at)
    },
    task: (fields) => Object.assign(row, fields),
  })

  db.transaction(() => {
    let taskNo = 0
    for (const [project, share] of PROJECTS) {
      insertProject.run(project, project)
      const projectTasks = Math.round(size.tasks * share)
      const projectOrders = Math.ceil(projectTasks / TASKS_PER_ORDER)
      running[project] = 0
      for (let o = 0; o * TASKS_PER_ORDER < projectTasks; o++) {
        const orderId = `ORDER_${pad(o + 1, 3)}`
        const orderStart = now - (projectTasks / TASKS_PER_ORDER - o) * 3 * 3600_000 - rand() * 3600_000
        insertOrder.run(orderId, project, `${orderId} の作業`, 'IN_PROGRESS', utc(orderStart))
        history('order', orderId, 'status', 'PLANNING', 'IN_PROGRESS', 'pm', null, orderStart)
        orders.push({ project, orderId })
        // The first project's most recent orders keep the logs of their runs.
        const logged = project === PROJECTS[0][0] && o >= projectOrders - LOGGED_ORDERS
        if (logged) logs.orders.push(orderId)
        const logsDir = path.join(root, 'PROJECTS', project, 'RESULT', orderId, 'LOGS')
        for (let k = 0; k < TASKS_PER_ORDER && o * TASKS_PER_ORDER + k < projectTasks; k++) {
          const n = taskNo++
          // Ids are unique across projects here, so every task's history is unambiguous.
          const taskId = `TASK_${n + 1000}`
          let status
          if (runningIds.has(n)) status = 'IN_PROGRESS'
          else if (reworkIds.has(n)) status = 'REWORK'
          else status = weighted(FINISHED)
          let created = orderStart + k * 60_000
          let t = Math.floor((created + 600_000 + rand() * 3600_000) / 1000) * 1000
          let assignee = null
          let startedAt = null
          // IN_PROGRESS tasks get their current attempt below; waiting and cancelled ones never ran.
          const started = !['QUEUED', 'BLOCKED', 'CANCELLED', 'IN_PROGRESS'].includes(status)
          const stopped = ['INTERRUPTED', 'ESCALATED', 'WAITING_INPUT'].includes(status)
          // A run's pace, and what follows it: a review's verdict after a delay.
          const p = started ? dice.pace() : null
          const reviewed = started && !stopped && status !== 'DONE'
          const verdict = status === 'COMPLETED' && logged ? (dice.unit() < REJECTED_SHARE ? 'REJECTED' : 'APPROVED') : null
          const reviewDelay = reviewed ? dice.between(10, 120) : 0
          const reviewPace = reviewed ? dice.pace() : null
          if (started) {
            // Everything it did ended before now: a long run starts earlier.
            const reworkSeconds = verdict === 'REJECTED' ? pipelineSeconds(reviewPace) : 0
            const span = (p.start + pipelineSeconds(p) + reviewDelay + (reviewPace?.review ?? 0) + reworkSeconds) * 1000
            t = Math.min(t, Math.floor((now - 120_000 - span) / 1000) * 1000)
            created = Math.min(created, t - 60_000)
          }
          if (status === 'COMPLETED' && verdict === 'REJECTED') status = 'DONE' // reworked, awaiting its next review
          counts[status] = (counts[status] ?? 0) + 1
          // Edits of other fields spread over the task's life, to reach the history budget.
          const noise = Math.max(0, Math.round(historyBudget - 4 + (rand() - 0.5) * 6))
          for (let i = 0; i < noise; i++) {
            history('task', taskId, pick(NOISE_FIELDS), 'old', 'new', 'pm', null, created + i * 1000)
          }
          const worker = pick(WORKERS)
          const row = { completedAt: null, reviewedAt: null, rejectCount: 0, updatedAt: null, reportRow: false }
          if (started && logged && !stopped) {
            // Launched by the daemon, its worker log kept; reviewed by the review worker, its log kept.
            rand(), (row.reportRow = rand() < 0.3) // the draws of version 2's run()
            const task = { project, order: orderId, id: taskId, worker }
            const state = { status: 'QUEUED', assignee: null, rejectCount: 0 }
            const rows = rowsOf(taskId, row)
            startedAt = t
            const worked = daemonRun(task, t, p, state, rows)
            files.push({ file: path.join(logsDir, worked.name), text: worked.text, at: worked.endedAt })
            logs.workerLogs++
            t = worked.endedAt
            row.updatedAt = t
            const reviewAt = t + reviewDelay * 1000
            if (verdict) {
              const reviewedRun = review(task, reviewAt, verdict, reviewPace, reviewPace, state, rows)
              files.push({ file: path.join(root, 'logs', 'review_workers', reviewedRun.name), text: reviewedRun.text, at: reviewedRun.endedAt })
              logs.reviewLogs++
              if (verdict === 'REJECTED') logs.reworks++
              row.updatedAt = reviewedRun.endedAt
            } else if (status !== 'DONE') {
              // A verdict of an older reviewer, in the database only.
              const at = reviewAt + (reviewPace?.review ?? 0) * 1000
              history('task', taskId, 'status', 'DONE', status, 'reviewer', status === 'REWORK' ? 'レビュー指摘' : null, at)
              row.updatedAt = at
            }
            if (state.status !== status && !['IN_REVIEW', 'REJECTED', 'SKIPPED', 'REWORK'].includes(status)) {
              throw new Error(`${taskId}: logged as ${state.status}, status ${status}`)
            }
            assignee = worker
          } else if (started) {
            startedAt = t
            t = run(taskId, worker, null, 'QUEUED', t, !stopped, p)
            assignee = worker
          }
          const verdictAt = t + (reviewDelay + (reviewPace?.review ?? 0)) * 1000
          switch (logged && started && !stopped ? null : status) {
            case 'COMPLETED':
              row.completedAt = verdictAt
            // falls through
            case 'REJECTED':
            case 'SKIPPED':
            case 'IN_REVIEW':
              history('task', taskId, 'status', 'DONE', status, 'reviewer', null, verdictAt)
              break
            case 'INTERRUPTED':
            case 'ESCALATED':
            case 'WAITING_INPUT':
              history('task', taskId, 'status', 'IN_PROGRESS', status, 'worker', null, t)
              break
            case 'REWORK':
              history('task', taskId, 'status', 'DONE', 'REWORK', 'reviewer', 'レビュー指摘', verdictAt)
              break
            case 'IN_PROGRESS': {
              running[project]++
              // A current attempt: started recently; some hold locks, some wrote a report.
              const at = now - 60_000 - Math.floor(rand() * 3600_000)
              if (rand() < 0.3) {
                // an earlier attempt was interrupted and requeued
                const earlier = run(taskId, worker, null, 'QUEUED', at - 1_800_000, false, dice.pace(), at - 360_000)
                history('task', taskId, 'status', 'IN_PROGRESS', 'INTERRUPTED', 'worker', null, earlier)
                history('task', taskId, 'status', 'INTERRUPTED', 'QUEUED', 'pm', null, at - 300_000)
                run(taskId, worker, worker, 'QUEUED', at, false, dice.pace(), now)
              } else {
                run(taskId, worker, null, 'QUEUED', at, false, dice.pace(), now)
              }
              assignee = worker
              startedAt = at
              if (rand() < 0.4) {
                const lockFiles = 1 + Math.floor(rand() * 3)
                for (let f = 0; f < lockFiles; f++) {
                  insertLock.run(project, taskId, `src/${taskId}/file_${f}.ts`, utc(at + 30_000 + f * 1000))
                  lockRows++
                }
              }
              break
            }
          }
          if (status === 'REWORK' && rand() < 0.5) {
            // Half of the REWORK tasks are being reworked right now (a lock shows the run); the rest wait.
            const lockAt = now - rand() * 600_000
            insertLock.run(project, taskId, `src/${taskId}/rework.ts`, utc(lockAt))
            lockRows++
          }
          const updated = row.updatedAt ?? Math.max(t, startedAt ?? 0, created)
          insertTask.run(
            taskId,
            project,
            orderId,
            `${taskId} のタスク`,
            status,
            assignee,
            startedAt && pythonLocal(startedAt),
            row.completedAt && pythonLocal(row.completedAt),
            pythonLocal(created),
            pythonLocal(updated),
            row.reviewedAt && pythonLocal(row.reviewedAt),
            row.rejectCount,
          )
        }
      }
    }
  })()
  db.close()
  // The logs, each last written when its writer ended.
  for (const { file, text, at } of files) {
    fs.mkdirSync(path.dirname(file), { recursive: true })
    fs.writeFileSync(file, text)
    fs.utimesSync(file, at / 1000, at / 1000)
    logs.bytes += Buffer.byteLength(text)
  }
  // The order the benchmark's per-order batch reads: the first project's order with most running tasks.
  const check = new Database(dbPath, { readonly: true })
  const busiestOrder = check
    .prepare(
      `SELECT order_id AS orderId, COUNT(*) AS n FROM tasks WHERE project_id = ? GROUP BY order_id
       ORDER BY SUM(status IN ('IN_PROGRESS','REWORK')) DESC, n DESC, order_id LIMIT 1`,
    )
    .get(PROJECTS[0][0])
  const sample = check
    .prepare(`SELECT id FROM tasks WHERE project_id = ? AND status = 'IN_PROGRESS' ORDER BY id LIMIT 1`)
    .get(PROJECTS[0][0])
  check.close()
  return {
    project: PROJECTS[0][0],
    projects: PROJECTS.length,
    orders: orders.length,
    tasks: size.tasks,
    historyRows,
    lockRows,
    statuses: counts,
    runningInProject: running[PROJECTS[0][0]],
    order: busiestOrder.orderId,
    orderTasks: busiestOrder.n,
    sampleTask: sample.id,
    logs: { ...logs, orders: logs.orders.length, firstOrder: logs.orders[0], lastOrder: logs.orders[logs.orders.length - 1] },
  }
}

module.exports = { ensureDatabase, SIZES, DATA_DIR }

if (require.main === module) {
  for (const name of process.argv.slice(2).length ? process.argv.slice(2) : ['small']) {
    console.log(JSON.stringify(ensureDatabase(name, console.log), null, 2))
  }
}
