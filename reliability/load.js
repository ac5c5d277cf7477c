#!/usr/bin/env node
// Load test: does the addon, reading in a tight loop and watching, disturb the
// worker processes that write the same database?
//
// Builds a database in the real shape (a few hundred tasks, history, worker
// logs), then
//   phase 1: N Python writers (reliability/writer.py: stdlib sqlite3, rollback
//            journal, timeout=30, as the backend) commit status changes and
//            history rows at R/s each, alone: the baseline;
//   phase 2: the same writers again, while this process reads batches with
//            getMultipleTasksExecutionStepsSync / getMultipleTasksExecutionSteps
//            in a tight loop and a watchExecutionSteps watcher runs.
// Then checks that every commit the writers report is in the database, that
// nobody saw an error, that `PRAGMA integrity_check` passes, and that the
// writers' p99 commit latency in phase 2 is under the limit. Exits 1 otherwise.
//
//   node reliability/load.js [--duration 15] [--writers 4] [--rate 50] [--tasks 300]
//                            [--p99-limit-ms 100] [--dir /dev/shm] [--json out.json] [--keep]
'use strict'

const { spawn } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { parseArgs } = require('node:util')
const Database = require('better-sqlite3')
const addon = require('..')

const PROJECT = 'ai_pm_manager'
const ORDER = 'ORDER_119'
const ROOT = path.join(__dirname, '..')
const FIXTURES = path.join(ROOT, '__test__', 'fixtures')

const { values: flags } = parseArgs({
  options: {
    duration: { type: 'string', default: '15' },
    writers: { type: 'string', default: '4' },
    rate: { type: 'string', default: '50' },
    tasks: { type: 'string', default: '300' },
    'p99-limit-ms': { type: 'string', default: '100' },
    // How many tasks the writers change: all by default; fewer piles the
    // history onto them (e.g. 80: ~75 history rows per task after the run).
    'hot-tasks': { type: 'string' },
    'watch-interval-ms': { type: 'string', default: '250' },
    json: { type: 'string' },
    keep: { type: 'boolean', default: false },
    // For diagnosis: leave one of the two out of phase 2.
    'no-reader': { type: 'boolean', default: false },
    'no-watcher': { type: 'boolean', default: false },
    // Reader call mix: 'both' (sync and async alternately), 'sync' or 'async'.
    mode: { type: 'string', default: 'both' },
    python: { type: 'string', default: process.env.PYTHON || 'python3' },
    // Where the database lives. Default: memory-backed /dev/shm where there is
    // one, so fsync cost of a shared CI disk does not drown what is measured
    // (lock interference between the reader and the writers).
    dir: { type: 'string', default: fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir() },
  },
})
const config = {
  durationS: Number(flags.duration),
  writers: Number(flags.writers),
  rate: Number(flags.rate),
  tasks: Number(flags.tasks),
  p99LimitMs: Number(flags['p99-limit-ms']),
  hotTasks: Number(flags['hot-tasks'] ?? flags.tasks),
  watchIntervalMs: Number(flags['watch-interval-ms']),
}
for (const [k, v] of Object.entries(config)) {
  if (!(v > 0)) throw new Error(`--${k} must be a positive number`)
}

// ------------------------------------------------------------------ database

/** A user-data folder with data/aipm.db in the real shape and worker logs. */
function createUserData() {
  const root = fs.realpathSync(fs.mkdtempSync(path.join(flags.dir, 'aipm-load-')))
  fs.mkdirSync(path.join(root, 'data'))
  const dbPath = path.join(root, 'data', 'aipm.db')
  const db = new Database(dbPath) // rollback journal (DELETE), as the backend's database
  db.exec(fs.readFileSync(path.join(FIXTURES, 'aipm-schema.sql'), 'utf8'))
  const insertTask = db.prepare(
    `INSERT INTO tasks (id, project_id, order_id, title, status, assignee, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
  )
  const insertHistory = db.prepare(
    `INSERT INTO change_history (entity_type, entity_id, project_id, field_name, old_value, new_value, changed_by, changed_at)
     VALUES ('task', ?, NULL, ?, ?, ?, 'worker', ?)`,
  )
  const statuses = ['IN_PROGRESS', 'DONE', 'QUEUED', 'COMPLETED', 'REWORK']
  const log = fs.readFileSync(path.join(FIXTURES, 'worker_TASK_2001_20261024_105205.log'), 'utf8')
  const logDir = path.join(root, 'PROJECTS', PROJECT, 'RESULT', ORDER, 'LOGS')
  fs.mkdirSync(logDir, { recursive: true })
  db.transaction(() => {
    for (let i = 1; i <= config.tasks; i++) {
      const id = taskId(i)
      const status = statuses[i % statuses.length]
      insertTask.run(id, PROJECT, ORDER, `${id} のタスク`, status, 'Worker A', '2026-10-24T10:51:49')
      insertHistory.run(id, 'assignee', null, 'Worker A', '2026-10-24 01:51:49')
      insertHistory.run(id, 'status', 'QUEUED', 'IN_PROGRESS', '2026-10-24 01:51:49')
      if (status !== 'IN_PROGRESS') insertHistory.run(id, 'status', 'IN_PROGRESS', status, '2026-10-24 01:55:00')
      if (i % 5 === 0) fs.writeFileSync(path.join(logDir, `worker_${id}_20261024_105205.log`), log.replaceAll('TASK_2001', id))
    }
  })()
  db.close()
  return { root, dbPath }
}

const taskId = (i) => `TASK_${String(i).padStart(4, '0')}`

// ------------------------------------------------------------------- writers

/** Runs the writers from `startAt` (epoch ms); resolves with their reports. */
function runWriters(dbPath, phase, startAt, tmp) {
  // Each writer owns a disjoint slice of the tasks (so final statuses are
  // checkable), together all of them (or the first --hot-tasks).
  const perWriter = Math.max(1, Math.floor(Math.min(config.tasks, config.hotTasks) / config.writers))
  return Promise.all(
    Array.from({ length: config.writers }, (_, w) => {
      const tasks = Array.from({ length: perWriter }, (_, k) => taskId(1 + w * perWriter + k))
      const out = path.join(tmp, `${phase}-w${w}.json`)
      const args = [
        path.join(__dirname, 'writer.py'),
        '--db', dbPath, '--project', PROJECT, '--worker', `${phase}-w${w}`, '--tasks', tasks.join(','),
        '--rate', String(config.rate), '--duration', String(config.durationS),
        '--start-at', String(startAt / 1000), '--out', out,
      ]
      return new Promise((resolve, reject) => {
        const child = spawn(flags.python, args, { stdio: ['ignore', 'inherit', 'inherit'] })
        child.once('error', reject)
        child.once('exit', (code) => {
          if (code !== 0) return reject(new Error(`writer ${phase}-w${w} exited with ${code}`))
          resolve(JSON.parse(fs.readFileSync(out, 'utf8')))
        })
      })
    }),
  )
}

// -------------------------------------------------------------------- reader

/** Reads batches in a tight loop (sync and async alternately) until `done()`. */
async function readUntil(dbPath, startAt, done) {
  const stats = { calls: 0, errors: [], latenciesMs: [], tasksSeen: 0 }
  await sleep(startAt - Date.now())
  const options = [
    { dbPath }, // the app's poll: tasks IN_PROGRESS
    { dbPath, statusFilter: ['IN_PROGRESS', 'REWORK', 'ESCALATED', 'QUEUED'], verbose: true },
  ]
  const startedAt = Date.now()
  while (!done()) {
    const opts = options[stats.calls % options.length]
    const t0 = performance.now()
    try {
      const sync = flags.mode === 'sync' || (flags.mode === 'both' && stats.calls % 2 === 0)
      const result =
        sync
          ? addon.getMultipleTasksExecutionStepsSync(PROJECT, opts)
          : await addon.getMultipleTasksExecutionSteps(PROJECT, opts)
      stats.tasksSeen += Object.keys(result).length
    } catch (e) {
      stats.errors.push(`${e.code}: ${e.message}`)
    }
    stats.latenciesMs.push(performance.now() - t0)
    stats.calls++
    // Let the event loop breathe (watcher deliveries, child exits); no idle wait.
    await new Promise(setImmediate)
  }
  stats.elapsedS = (Date.now() - startedAt) / 1000
  return stats
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)))

// ---------------------------------------------------------------- statistics

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]
}

function summary(latenciesMs) {
  const sorted = Float64Array.from(latenciesMs).sort()
  return { n: sorted.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted[sorted.length - 1] }
}

const fmt = (s) => `n=${s.n}  p50=${s.p50.toFixed(1)} ms  p99=${s.p99.toFixed(1)} ms  max=${s.max.toFixed(1)} ms`

// -------------------------------------------------------------- verification

/** Every commit the writers report is in the database; final statuses match. */
function verify(dbPath, reports) {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true })
  try {
    const row = db.prepare(`SELECT entity_id, new_value, change_reason FROM change_history WHERE id = ?`)
    const status = db.prepare(`SELECT status FROM tasks WHERE id = ? AND project_id = ?`)
    const missing = []
    const lastStatus = new Map()
    let checked = 0
    for (const report of reports) {
      for (const [id, task, newStatus, reason] of report.commits) {
        const got = row.get(id)
        if (!got || got.entity_id !== task || got.new_value !== newStatus || got.change_reason !== reason) {
          missing.push(`${reason} (history row ${id})`)
        }
        lastStatus.set(task, newStatus)
        checked++
      }
    }
    const wrongStatus = [...lastStatus].filter(([task, s]) => status.get(task, PROJECT)?.status !== s).map(([t]) => t)
    const integrity = db.pragma('integrity_check', { simple: true })
    const journalMode = db.pragma('journal_mode', { simple: true })
    return { checked, missing, wrongStatus, integrity, journalMode }
  } finally {
    db.close()
  }
}

// ---------------------------------------------------------------------- main

async function phase(name, userData, withReader) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'aipm-load-reports-'))
  const startAt = Date.now() + 1500 // time for the Python processes to start
  let writersDone = false
  const writers = runWriters(userData.dbPath, name, startAt, tmp).finally(() => (writersDone = true))
  let reader = null
  let watcher = null
  const watch = { changes: 0, deliveries: 0, errors: [] }
  if (withReader && !flags['no-watcher']) {
    // At the default interval (250 ms), as the app would run it.
    watcher = addon.watchExecutionSteps(PROJECT, { dbPath: userData.dbPath, intervalMs: config.watchIntervalMs }, (err, changes) => {
      if (err) watch.errors.push(`${err.code}: ${err.message}`)
      else {
        watch.deliveries++
        watch.changes += changes.length
      }
    })
  }
  if (withReader && !flags['no-reader']) reader = readUntil(userData.dbPath, startAt, () => writersDone)
  const reports = await writers
  const readStats = reader ? await reader : null
  if (watcher) {
    await sleep(config.watchIntervalMs + 100) // a last tick for the final commits
    watcher.close()
  }
  fs.rmSync(tmp, { recursive: true, force: true })
  return {
    name,
    commits: summary(reports.flatMap((r) => r.latencies_ms)),
    committed: reports.reduce((n, r) => n + r.commits.length, 0),
    writerErrors: reports.flatMap((r) => r.errors),
    reports,
    read: readStats && { calls: readStats.calls, perSecond: readStats.calls / readStats.elapsedS, errors: readStats.errors, latency: summary(readStats.latenciesMs), tasksPerCall: readStats.tasksSeen / Math.max(1, readStats.calls) },
    watch: watcher ? watch : null,
  }
}

async function main() {
  const started = Date.now()
  const userData = createUserData()
  console.log(`load test: ${config.writers} writers × ${config.rate}/s for ${config.durationS} s, ${config.tasks} tasks, database ${userData.dbPath}`)
  console.log(`machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${os.platform()} ${os.release()}, node ${process.version}`)

  const alone = await phase('alone', userData, false)
  console.log(`phase 1, writers alone:         commits ${fmt(alone.commits)}`)
  const loaded = await phase('loaded', userData, true)
  console.log(`phase 2, with reader + watcher: commits ${fmt(loaded.commits)}`)
  if (loaded.read) console.log(
    `reader: ${loaded.read.calls} batch reads (${loaded.read.perSecond.toFixed(0)}/s, ${loaded.read.tasksPerCall.toFixed(1)} tasks each), latency ${fmt(loaded.read.latency)}`,
  )
  if (loaded.watch) console.log(`watcher: ${loaded.watch.deliveries} deliveries, ${loaded.watch.changes} task changes`)

  const check = verify(userData.dbPath, [...alone.reports, ...loaded.reports])
  console.log(
    `verified ${check.checked} commits: ${check.missing.length} missing, ${check.wrongStatus.length} wrong final statuses; integrity_check: ${check.integrity}; journal_mode: ${check.journalMode}`,
  )

  const failures = []
  const expected = 2 * config.writers * Math.floor(config.rate * config.durationS)
  if (alone.committed + loaded.committed !== expected) failures.push(`writers committed ${alone.committed + loaded.committed} of ${expected}`)
  for (const p of [alone, loaded]) {
    if (p.writerErrors.length) failures.push(`${p.name}: ${p.writerErrors.length} writer errors, first: ${p.writerErrors[0]}`)
  }
  if (loaded.read?.errors.length) failures.push(`${loaded.read.errors.length} reader errors, first: ${loaded.read.errors[0]}`)
  if (loaded.read?.calls === 0) failures.push('the reader made no calls')
  if (loaded.watch?.errors.length) failures.push(`${loaded.watch.errors.length} watcher errors, first: ${loaded.watch.errors[0]}`)
  if (loaded.watch?.changes === 0) failures.push('the watcher saw no changes')
  if (check.missing.length) failures.push(`${check.missing.length} commits missing, first: ${check.missing[0]}`)
  if (check.wrongStatus.length) failures.push(`wrong final status of ${check.wrongStatus.join(', ')}`)
  if (check.integrity !== 'ok') failures.push(`integrity_check: ${check.integrity}`)
  if (check.journalMode !== 'delete') failures.push(`journal_mode is ${check.journalMode}, not the backend's rollback journal`)
  if (!(loaded.commits.p99 < config.p99LimitMs)) {
    failures.push(`writer p99 commit latency with the reader is ${loaded.commits.p99.toFixed(1)} ms, limit ${config.p99LimitMs} ms`)
  }

  if (flags.json) {
    const strip = ({ reports, ...rest }) => rest
    fs.writeFileSync(flags.json, JSON.stringify({ config, date: new Date().toISOString(), cpus: os.cpus().length, cpu: os.cpus()[0]?.model, alone: strip(alone), loaded: strip(loaded), check }, null, 2))
  }
  if (flags.keep) console.log(`kept ${userData.root}`)
  else fs.rmSync(userData.root, { recursive: true, force: true })
  console.log(`wall time ${((Date.now() - started) / 1000).toFixed(1)} s`)
  if (failures.length) {
    console.error(`LOAD TEST FAILED:\n  ${failures.join('\n  ')}`)
    process.exit(1)
  }
  console.log('load test passed')
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
