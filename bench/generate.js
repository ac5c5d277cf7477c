// Benchmark databases in the real AI PM shape (__test__/fixtures/aipm-schema.sql),
// generated deterministically in one transaction and cached under bench/.data by size.
//
// The shape follows docs/behaviour.md, "The database": a few projects of unequal size, orders of ~20 tasks,
// most tasks finished, a few hundred IN_PROGRESS / REWORK, change_history rows as
// the real writers leave them (project_id NULL, changed_at UTC `YYYY-MM-DD HH:MM:SS`,
// an assignee row and a status row in the same second when a worker starts), rows
// about orders and other fields in between, and file_locks for some running tasks.
'use strict'

const fs = require('node:fs')
const path = require('node:path')
const Database = require('better-sqlite3')

const SCHEMA = fs.readFileSync(path.join(__dirname, '..', 'src', 'sample', 'schema.sql'), 'utf8')
/** Bump when the generated shape changes, so cached databases are rebuilt. */
const GENERATOR_VERSION = 2
const DATA_DIR = path.join(__dirname, '.data')

/** Projects and their share of the tasks: the first is the one the benchmark queries. */
const PROJECTS = [
  ['ai_pm_manager', 0.4],
  ['web_shop', 0.3],
  ['data_pipeline', 0.2],
  ['docs_site', 0.1],
]
const TASKS_PER_ORDER = 20
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
/** The Python backend's shape: the writer's local time (Japan), `T`-separated, microseconds. */
const pythonLocal = (ms) => {
  const d = new Date(ms + 9 * 3600_000)
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}000`
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
  log(`generated ${sizeName}: ${facts.tasks} tasks, ${facts.historyRows} history rows in ${((Date.now() - started) / 1000).toFixed(1)} s`)
  fs.writeFileSync(path.join(root, 'ready.json'), JSON.stringify(facts, null, 2))
  return { root, dbPath, ...facts }
}

function generate(dbPath, size) {
  const rand = random(20261024)
  const pick = (list) => list[Math.floor(rand() * list.length)]
  const weighted = (table) => {
    let r = rand()
    for (const [value, weight] of table) if ((r -= weight) < 0) return value
    return table[0][0]
  }
  const db = new Database(dbPath)
  db.pragma('journal_mode = DELETE') // the app's default rollback journal
  db.exec(SCHEMA)
  const insertProject = db.prepare('INSERT INTO projects (id, name) VALUES (?, ?)')
  const insertOrder = db.prepare('INSERT INTO orders (id, project_id, title, status, created_at) VALUES (?, ?, ?, ?, ?)')
  const insertTask = db.prepare(
    `INSERT INTO tasks (id, project_id, order_id, title, status, assignee, started_at, completed_at, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
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
  /** One worker run as the real writers leave it; returns the time it ended. */
  const run = (taskId, worker, previousAssignee, from, at, finish) => {
    history('task', taskId, 'assignee', previousAssignee, worker, 'worker', null, at)
    history('task', taskId, 'status', from, 'IN_PROGRESS', 'worker', null, at)
    let t = at + 60_000 + Math.floor(rand() * 900_000)
    if (rand() < 0.3) {
      history('task', taskId, 'report_path', null, `RESULT/REPORT_${taskId}.md`, 'worker', 'report written', t)
      t += 5_000
    }
    if (finish) history('task', taskId, 'status', 'IN_PROGRESS', 'DONE', 'worker', null, t)
    return t
  }

  db.transaction(() => {
    let taskNo = 0
    for (const [project, share] of PROJECTS) {
      insertProject.run(project, project)
      const projectTasks = Math.round(size.tasks * share)
      running[project] = 0
      for (let o = 0; o * TASKS_PER_ORDER < projectTasks; o++) {
        const orderId = `ORDER_${pad(o + 1, 3)}`
        const orderStart = now - (projectTasks / TASKS_PER_ORDER - o) * 3 * 3600_000 - rand() * 3600_000
        insertOrder.run(orderId, project, `${orderId} の作業`, 'IN_PROGRESS', utc(orderStart))
        history('order', orderId, 'status', 'PLANNING', 'IN_PROGRESS', 'pm', null, orderStart)
        orders.push({ project, orderId })
        for (let k = 0; k < TASKS_PER_ORDER && o * TASKS_PER_ORDER + k < projectTasks; k++) {
          const n = taskNo++
          // Ids are unique across projects here, so every task's history is unambiguous.
          const taskId = `TASK_${n + 1000}`
          let status
          if (runningIds.has(n)) status = 'IN_PROGRESS'
          else if (reworkIds.has(n)) status = 'REWORK'
          else status = weighted(FINISHED)
          counts[status] = (counts[status] ?? 0) + 1
          const created = orderStart + k * 60_000
          let t = created + 600_000 + rand() * 3600_000
          let assignee = null
          let startedAt = null
          // Edits of other fields spread over the task's life, to reach the history budget.
          const noise = Math.max(0, Math.round(historyBudget - 4 + (rand() - 0.5) * 6))
          for (let i = 0; i < noise; i++) {
            history('task', taskId, pick(NOISE_FIELDS), 'old', 'new', 'pm', null, created + i * 1000)
          }
          const worker = pick(WORKERS)
          // IN_PROGRESS tasks get their current attempt below; waiting and cancelled ones never ran.
          const started = !['QUEUED', 'BLOCKED', 'CANCELLED', 'IN_PROGRESS'].includes(status)
          if (started) {
            startedAt = t
            t = run(taskId, worker, null, 'QUEUED', t, status !== 'INTERRUPTED' && status !== 'ESCALATED' && status !== 'WAITING_INPUT' && status !== 'IN_PROGRESS')
            assignee = worker
          }
          switch (status) {
            case 'COMPLETED':
            case 'REJECTED':
            case 'SKIPPED':
              history('task', taskId, 'status', 'DONE', status, 'reviewer', null, t + 30_000)
              break
            case 'IN_REVIEW':
              history('task', taskId, 'status', 'DONE', 'IN_REVIEW', 'reviewer', null, t + 30_000)
              break
            case 'INTERRUPTED':
            case 'ESCALATED':
            case 'WAITING_INPUT':
              history('task', taskId, 'status', 'IN_PROGRESS', status, 'worker', null, t)
              break
            case 'REWORK': {
              history('task', taskId, 'status', 'DONE', 'REWORK', 'reviewer', 'レビュー指摘', t + 30_000)
              // Half of them are being reworked right now (a lock shows the run); the rest wait.
              if (rand() < 0.5) {
                const lockAt = now - rand() * 600_000
                insertLock.run(project, taskId, `src/${taskId}/rework.ts`, utc(lockAt))
                lockRows++
              }
              break
            }
            case 'IN_PROGRESS': {
              running[project]++
              // A current attempt: started recently; some hold locks, some wrote a report.
              const at = now - 60_000 - Math.floor(rand() * 3600_000)
              if (rand() < 0.3) {
                // an earlier attempt was interrupted and requeued
                const earlier = run(taskId, worker, null, 'QUEUED', at - 1_800_000, false)
                history('task', taskId, 'status', 'IN_PROGRESS', 'INTERRUPTED', 'worker', null, earlier)
                history('task', taskId, 'status', 'INTERRUPTED', 'QUEUED', 'pm', null, at - 300_000)
                run(taskId, worker, worker, 'QUEUED', at, false)
              } else {
                run(taskId, worker, null, 'QUEUED', at, false)
              }
              assignee = worker
              startedAt = at
              if (rand() < 0.4) {
                const files = 1 + Math.floor(rand() * 3)
                for (let f = 0; f < files; f++) {
                  insertLock.run(project, taskId, `src/${taskId}/file_${f}.ts`, utc(at + 30_000 + f * 1000))
                  lockRows++
                }
              }
              break
            }
          }
          const updated = Math.max(t, startedAt ?? 0, created)
          insertTask.run(
            taskId,
            project,
            orderId,
            `${taskId} のタスク`,
            status,
            assignee,
            startedAt && pythonLocal(startedAt),
            status === 'COMPLETED' ? pythonLocal(t + 30_000) : null,
            pythonLocal(created),
            pythonLocal(updated),
          )
        }
      }
    }
  })()
  db.close()
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
  }
}

module.exports = { ensureDatabase, SIZES, DATA_DIR }

if (require.main === module) {
  for (const name of process.argv.slice(2).length ? process.argv.slice(2) : ['small']) {
    console.log(JSON.stringify(ensureDatabase(name, console.log), null, 2))
  }
}
