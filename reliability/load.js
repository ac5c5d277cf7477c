#!/usr/bin/env node
// Load test: does the addon, reading in a tight loop and watching inside the
// app's process, disturb the worker processes that write the same database, or
// the app's own connection — and does it ever fail or miss a commit?
//
// On a copy of the 10k-task benchmark database (bench/generate.js), once in WAL
// mode (as the app keeps it) and once in the rollback journal (journal_mode=DELETE),
// side by side:
//   in this process: the app's own better-sqlite3 read-write connection, open for
//            the whole run and committing now and then itself (an order's row);
//   phase 1: N Python writers (reliability/writer.py: stdlib sqlite3, timeout=30,
//            in the database's journal mode, as the backend) commit status changes
//            and history rows at R/s each — without the addon: the baseline;
//   phase 2: the same again while this process runs a tight batch reader (sync
//            and async alternately), single-call readers (sync, and async with
//            several in flight) and watchers at 50 ms.
// Then checks, per mode: zero reader and watcher errors; every commit of the
// writers and of the app is in the database, with the final statuses; the
// addon's answers and the watcher's last report give every task's final status;
// `PRAGMA integrity_check` is ok and the journal mode unchanged. With
// --p99-limit-ms N it fails when the writers' p99 commit latency with the
// readers exceeds N ms in any mode. Exits 1 on any failure.
//
//   node reliability/load.js [--duration 12] [--writers 4] [--rate 50] [--hot-tasks 200]
//                            [--modes wal,delete] [--watch-interval-ms 50] [--p99-limit-ms 100]
//                            [--dir /dev/shm] [--json out.json] [--keep]
'use strict'

// The generated databases hold the Python writers' times in Japan time, as real ones do:
// read them in that zone (child processes inherit it), as the Jest suites do.
process.env.TZ ??= 'Asia/Tokyo'

const { spawn } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { parseArgs } = require('node:util')
const Database = require('better-sqlite3')
const addon = require('..')
const { ensureDatabase } = require('../bench/generate')
const { MODES, workingCopy } = require('../bench/workdb')

const ROOT = path.join(__dirname, '..')
const FIXTURES = path.join(ROOT, '__test__', 'fixtures')

const { values: flags } = parseArgs({
  options: {
    duration: { type: 'string', default: '12' },
    writers: { type: 'string', default: '4' },
    rate: { type: 'string', default: '50' },
    // How many of the project's tasks the writers change (its running tasks first).
    'hot-tasks': { type: 'string', default: '200' },
    modes: { type: 'string', default: MODES.map((m) => m.name).join(',') },
    'p99-limit-ms': { type: 'string', default: '100' },
    'watch-interval-ms': { type: 'string', default: '50' },
    // How often the app's own connection commits, ms.
    'app-write-ms': { type: 'string', default: '250' },
    // Async single calls kept in flight.
    'in-flight': { type: 'string', default: '8' },
    json: { type: 'string' },
    keep: { type: 'boolean', default: false },
    // For diagnosis: leave the readers or the watchers out of phase 2.
    'no-reader': { type: 'boolean', default: false },
    'no-watcher': { type: 'boolean', default: false },
    python: { type: 'string', default: process.env.PYTHON || 'python3' },
    // Where the databases live. Default: memory-backed /dev/shm where there is
    // one, so fsync cost of a shared CI disk does not drown what is measured
    // (interference between the readers and the writers).
    dir: { type: 'string', default: fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir() },
  },
})
const config = {
  durationS: Number(flags.duration),
  writers: Number(flags.writers),
  rate: Number(flags.rate),
  hotTasks: Number(flags['hot-tasks']),
  p99LimitMs: Number(flags['p99-limit-ms']),
  watchIntervalMs: Number(flags['watch-interval-ms']),
  appWriteMs: Number(flags['app-write-ms']),
  inFlight: Number(flags['in-flight']),
}
for (const [k, v] of Object.entries(config)) {
  if (!(v > 0)) throw new Error(`--${k} must be a positive number`)
}
const modes = flags.modes.split(',').map((name) => {
  const mode = MODES.find((m) => m.name === name.trim().toLowerCase())
  if (!mode) throw new Error(`--modes: unknown mode ${name} (${MODES.map((m) => m.name).join(', ')})`)
  return mode
})

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)))
const errText = (e) => `${e?.code ?? 'no code'}: ${e?.message ?? e}`

// ------------------------------------------------------------------ database

/**
 * A user-data folder holding a copy of the 10k-task database in `mode`, worker
 * logs for some of the hot tasks, and the hot tasks (the project's running ones
 * first, then the next by id) with their orders.
 */
function createUserData(source, mode) {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(flags.dir, `aipm-load-${mode.name}-`)))
  const { root, dbPath } = workingCopy(source.dbPath, dir, 'user-data', mode)
  const db = new Database(dbPath, { readonly: true })
  const hot = db
    .prepare(`SELECT id, order_id AS orderId FROM tasks WHERE project_id = ? ORDER BY status <> 'IN_PROGRESS', id LIMIT ?`)
    .all(source.project, config.hotTasks)
  const orders = db.prepare(`SELECT id FROM orders WHERE project_id = ? ORDER BY id LIMIT 8`).pluck().all(source.project)
  db.close()
  if (hot.length < config.writers) throw new Error(`only ${hot.length} tasks to write`)
  const log = fs.readFileSync(path.join(FIXTURES, 'worker_TASK_2001_20261024_105205.log'), 'utf8')
  hot.forEach((t, i) => {
    if (i % 5 !== 0) return
    const logDir = path.join(root, 'PROJECTS', source.project, 'RESULT', t.orderId, 'LOGS')
    fs.mkdirSync(logDir, { recursive: true })
    fs.writeFileSync(path.join(logDir, `worker_${t.id}_20261024_105205.log`), log.replaceAll('TASK_2001', t.id))
  })
  return { dir, root, dbPath, project: source.project, hot: hot.map((t) => t.id), orders }
}

/**
 * The app's own connection: better-sqlite3, read-write, open for the whole run
 * (in WAL mode it sets WAL, as the app does at start-up). Every `appWriteMs` it
 * commits an order's change_history row and the project's updated_at; each
 * commit is kept (row id, reason) for the final check, with its latency.
 */
function appConnection(ud, mode) {
  const db = new Database(ud.dbPath, { fileMustExist: true })
  if (mode.name === 'wal') db.pragma('journal_mode = WAL')
  const insert = db.prepare(
    `INSERT INTO change_history (entity_type, entity_id, project_id, field_name, old_value, new_value, changed_by, change_reason, changed_at)
     VALUES ('order', ?, ?, 'priority', 'P1', 'P2', 'app', ?, CURRENT_TIMESTAMP)`,
  )
  const touch = db.prepare(`UPDATE projects SET updated_at = CURRENT_TIMESTAMP WHERE id = ?`)
  let n = 0
  const write = db.transaction((order, reason) => {
    const id = insert.run(order, ud.project, reason).lastInsertRowid
    touch.run(ud.project)
    return Number(id)
  })
  const stats = { commits: [], latenciesMs: [], errors: [] }
  let timer = null
  return {
    db,
    stats,
    start(phase) {
      timer = setInterval(() => {
        const reason = `app-${phase}#${n++}`
        const order = ud.orders[n % ud.orders.length]
        const t0 = performance.now()
        try {
          stats.commits.push([write(order, reason), order, reason])
          stats.latenciesMs.push(performance.now() - t0)
        } catch (e) {
          stats.errors.push(errText(e))
        }
      }, config.appWriteMs)
    },
    stop() {
      clearInterval(timer)
    },
  }
}

// ------------------------------------------------------------------- writers

/** Runs the writers from `startAt` (epoch ms); resolves with their reports. */
function runWriters(ud, phase, startAt, tmp) {
  // Each writer owns a disjoint slice of the hot tasks (so final statuses are checkable).
  const perWriter = Math.floor(ud.hot.length / config.writers)
  return Promise.all(
    Array.from({ length: config.writers }, (_, w) => {
      const tasks = ud.hot.slice(w * perWriter, (w + 1) * perWriter)
      const out = path.join(tmp, `${phase}-w${w}.json`)
      const args = [
        path.join(__dirname, 'writer.py'),
        '--db', ud.dbPath, '--project', ud.project, '--worker', `${phase}-w${w}`, '--tasks', tasks.join(','),
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

// ------------------------------------------------------------------- readers

/**
 * The addon's readers until `done()`: a tight batch loop (sync and async
 * alternately, the app's poll and a wider verbose filter), a tight loop of
 * single sync calls over the hot tasks, and `inFlight` async single calls kept
 * in flight. Each yields to the event loop between calls (watcher deliveries,
 * child exits, the app's writes) without waiting.
 */
function startReaders(ud, done) {
  const { dbPath, project, hot } = ud
  const stats = {
    batch: { calls: 0, errors: [], latenciesMs: [], tasks: 0 },
    singleSync: { calls: 0, errors: [], latenciesMs: [] },
    singleAsync: { calls: 0, errors: [], latenciesMs: [] },
  }
  const yieldNow = () => new Promise(setImmediate)
  const batchOptions = [
    { dbPath }, // the app's poll: tasks IN_PROGRESS
    { dbPath, statusFilter: ['IN_PROGRESS', 'REWORK', 'ESCALATED', 'QUEUED'], verbose: true },
  ]
  const timed = async (s, call) => {
    const t0 = performance.now()
    try {
      const r = await call()
      s.calls++
      s.latenciesMs.push(performance.now() - t0)
      return r
    } catch (e) {
      s.calls++
      s.errors.push(errText(e))
      return null
    }
  }
  const batch = async () => {
    for (let i = 0; !done(); i++) {
      const opts = batchOptions[i % batchOptions.length]
      const r = await timed(stats.batch, () =>
        i % 4 < 2 ? addon.getMultipleTasksExecutionStepsSync(project, opts) : addon.getMultipleTasksExecutionSteps(project, opts),
      )
      if (r) stats.batch.tasks += Object.keys(r).length
      await yieldNow()
    }
  }
  const singleSync = async () => {
    for (let i = 0; !done(); i++) {
      const r = await timed(stats.singleSync, () => addon.getTaskExecutionStepSync(project, hot[i % hot.length], { dbPath }))
      if (r?.error) stats.singleSync.errors.push(`answer: ${r.error}`)
      await yieldNow()
    }
  }
  const singleAsync = async (k) => {
    for (let i = k; !done(); i += config.inFlight) {
      const r = await timed(stats.singleAsync, () => addon.getTaskExecutionStep(project, hot[i % hot.length], { dbPath, verbose: i % 2 === 0 }))
      if (r?.error) stats.singleAsync.errors.push(`answer: ${r.error}`)
    }
  }
  const all = Promise.all([batch(), singleSync(), ...Array.from({ length: config.inFlight }, (_, k) => singleAsync(k))])
  return { stats, finished: all }
}

/** Watchers at `watchIntervalMs`: the app's (its running tasks) and one over the hot tasks in any status. */
function startWatchers(ud) {
  const watchers = []
  const stats = { deliveries: 0, changes: 0, errors: [], lastStatus: new Map() }
  const listen = (keep) => (err, changes) => {
    if (err) return stats.errors.push(errText(err))
    stats.deliveries++
    stats.changes += changes.length
    if (keep) for (const c of changes) stats.lastStatus.set(c.taskId, c.current.status)
  }
  const base = { dbPath: ud.dbPath, intervalMs: config.watchIntervalMs }
  watchers.push(addon.watchExecutionSteps(ud.project, base, listen(false)))
  watchers.push(addon.watchExecutionSteps(ud.project, { ...base, taskIds: ud.hot }, listen(true)))
  return { stats, close: () => watchers.forEach((w) => w.close()) }
}

// ---------------------------------------------------------------- statistics

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]
}

function summary(latenciesMs) {
  const sorted = Float64Array.from(latenciesMs).sort()
  return { n: sorted.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted[sorted.length - 1] }
}

const ms = (x) => (Number.isFinite(x) ? `${x.toFixed(1)} ms` : '–')

// -------------------------------------------------------------- verification

/** Every commit is in the database; final statuses match; integrity and journal mode. */
function verify(ud, writerReports, appCommits) {
  const db = new Database(ud.dbPath, { readonly: true, fileMustExist: true })
  try {
    const row = db.prepare(`SELECT entity_type, entity_id, new_value, change_reason FROM change_history WHERE id = ?`)
    const status = db.prepare(`SELECT status FROM tasks WHERE id = ? AND project_id = ?`)
    const missing = []
    const lastStatus = new Map()
    let checked = 0
    for (const report of writerReports) {
      for (const [id, task, newStatus, reason] of report.commits) {
        const got = row.get(id)
        if (!got || got.entity_id !== task || got.new_value !== newStatus || got.change_reason !== reason) missing.push(`${reason} (history row ${id})`)
        lastStatus.set(task, newStatus)
        checked++
      }
    }
    for (const [id, order, reason] of appCommits) {
      const got = row.get(id)
      if (!got || got.entity_type !== 'order' || got.entity_id !== order || got.change_reason !== reason) missing.push(`${reason} (history row ${id})`)
      checked++
    }
    const finalStatus = new Map(ud.hot.map((t) => [t, status.get(t, ud.project)?.status]))
    const wrongStatus = [...lastStatus].filter(([task, s]) => finalStatus.get(task) !== s).map(([t]) => t)
    const integrity = db.pragma('integrity_check', { simple: true })
    const journalMode = String(db.pragma('journal_mode', { simple: true })).toLowerCase()
    return { checked, missing, wrongStatus, finalStatus, integrity, journalMode }
  } finally {
    db.close()
  }
}

// ---------------------------------------------------------------------- main

async function phase(name, ud, app, withAddon) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'aipm-load-reports-'))
  const startAt = Date.now() + 1500 // time for the Python processes to start
  let writersDone = false
  const writers = runWriters(ud, name, startAt, tmp).finally(() => (writersDone = true))
  const appBefore = app.stats.latenciesMs.length
  await sleep(startAt - Date.now())
  app.start(name)
  const watchers = withAddon && !flags['no-watcher'] ? startWatchers(ud) : null
  const readers = withAddon && !flags['no-reader'] ? startReaders(ud, () => writersDone) : null
  const startedAt = performance.now()
  const reports = await writers
  const elapsedS = (performance.now() - startedAt) / 1000
  if (readers) await readers.finished
  app.stop()
  fs.rmSync(tmp, { recursive: true, force: true })
  return {
    name,
    elapsedS,
    commits: summary(reports.flatMap((r) => r.latencies_ms)),
    committed: reports.reduce((n, r) => n + r.commits.length, 0),
    writerErrors: reports.flatMap((r) => r.errors),
    appCommits: summary(app.stats.latenciesMs.slice(appBefore)),
    reports,
    readers: readers && readers.stats,
    watchers,
  }
}

const rate = (s, seconds) => (s ? `${(s.calls / seconds).toFixed(0)}/s` : '–')

async function runMode(source, mode) {
  const started = Date.now()
  const ud = createUserData(source, mode)
  const app = appConnection(ud, mode)
  const alone = await phase('alone', ud, app, false)
  const loaded = await phase('loaded', ud, app, true)
  // Settle: a last tick of the watchers after the final commits, then the addon's own final answers.
  await sleep(Math.max(500, 5 * config.watchIntervalMs))
  loaded.watchers?.close()
  const check = verify(ud, [...alone.reports, ...loaded.reports], app.stats.commits)
  const finalErrors = []
  let finalAnswers = {}
  try {
    finalAnswers = addon.getMultipleTasksExecutionStepsSync(ud.project, { dbPath: ud.dbPath, taskIds: ud.hot })
  } catch (e) {
    finalErrors.push(errText(e))
  }
  const addonWrong = ud.hot.filter((t) => finalAnswers[t]?.status !== check.finalStatus.get(t))
  const watchWrong = loaded.watchers ? ud.hot.filter((t) => loaded.watchers.stats.lastStatus.get(t) !== check.finalStatus.get(t)) : []
  app.db.close()

  const failures = []
  const f = (msg) => failures.push(`${mode.label}: ${msg}`)
  const expected = 2 * config.writers * Math.floor(config.rate * config.durationS)
  if (alone.committed + loaded.committed !== expected) f(`writers committed ${alone.committed + loaded.committed} of ${expected}`)
  for (const p of [alone, loaded]) if (p.writerErrors.length) f(`${p.name}: ${p.writerErrors.length} writer errors, first: ${p.writerErrors[0]}`)
  if (app.stats.errors.length) f(`${app.stats.errors.length} errors of the app's own connection, first: ${app.stats.errors[0]}`)
  if (loaded.readers) {
    for (const [kind, s] of Object.entries(loaded.readers)) {
      if (s.errors.length) f(`${s.errors.length} ${kind} reader errors, first: ${s.errors[0]}`)
      if (s.calls === 0) f(`the ${kind} reader made no calls`)
    }
  }
  if (finalErrors.length) f(`final read failed: ${finalErrors[0]}`)
  if (addonWrong.length) f(`the addon's final answer has the wrong status for ${addonWrong.length} tasks, first ${addonWrong[0]}: ${finalAnswers[addonWrong[0]]?.status} vs ${check.finalStatus.get(addonWrong[0])}`)
  if (loaded.watchers) {
    const w = loaded.watchers.stats
    if (w.errors.length) f(`${w.errors.length} watcher errors, first: ${w.errors[0]}`)
    if (w.changes === 0) f('the watchers saw no changes')
    if (watchWrong.length) f(`the watcher's last report has the wrong status for ${watchWrong.length} tasks, first ${watchWrong[0]}: ${w.lastStatus.get(watchWrong[0])} vs ${check.finalStatus.get(watchWrong[0])}`)
  }
  if (check.missing.length) f(`${check.missing.length} commits missing, first: ${check.missing[0]}`)
  if (check.wrongStatus.length) f(`wrong final status of ${check.wrongStatus.join(', ')}`)
  if (check.integrity !== 'ok') f(`integrity_check: ${check.integrity}`)
  if (check.journalMode !== mode.name) f(`journal_mode is ${check.journalMode}, not ${mode.name}`)
  if (!(loaded.commits.p99 <= config.p99LimitMs)) f(`writer p99 commit latency with the readers is ${ms(loaded.commits.p99)}, limit ${config.p99LimitMs} ms`)

  if (flags.keep) console.log(`kept ${ud.dir}`)
  else fs.rmSync(ud.dir, { recursive: true, force: true })
  const r = loaded.readers
  const w = loaded.watchers?.stats
  return {
    mode: mode.name,
    label: mode.label,
    failures,
    alone: { commits: alone.commits, committed: alone.committed, app: alone.appCommits },
    loaded: {
      commits: loaded.commits,
      committed: loaded.committed,
      app: loaded.appCommits,
      elapsedS: loaded.elapsedS,
      readers: r && Object.fromEntries(Object.entries(r).map(([k, s]) => [k, { calls: s.calls, errors: s.errors.length, firstError: s.errors[0], latency: summary(s.latenciesMs) }])),
      batchTasksPerCall: r ? r.batch.tasks / Math.max(1, r.batch.calls) : null,
      readRates: r && { batch: rate(r.batch, loaded.elapsedS), singleSync: rate(r.singleSync, loaded.elapsedS), singleAsync: rate(r.singleAsync, loaded.elapsedS) },
      watchers: w && { deliveries: w.deliveries, changes: w.changes, errors: w.errors.length },
    },
    check: { checked: check.checked, missing: check.missing.length, wrongStatus: check.wrongStatus.length, integrity: check.integrity, journalMode: check.journalMode, addonWrong: addonWrong.length, watchWrong: watchWrong.length },
    seconds: (Date.now() - started) / 1000,
  }
}

function printTable(results) {
  const rows = [
    ['', ...results.map((r) => r.label)],
    ['writer p99 / max, without the addon', ...results.map((r) => `${ms(r.alone.commits.p99)} / ${ms(r.alone.commits.max)}`)],
    ['writer p99 / max, with readers + watchers', ...results.map((r) => `${ms(r.loaded.commits.p99)} / ${ms(r.loaded.commits.max)}`)],
    ['writer p50 without / with', ...results.map((r) => `${ms(r.alone.commits.p50)} / ${ms(r.loaded.commits.p50)}`)],
    ["app's own commits p99 without / with (n)", ...results.map((r) => `${ms(r.alone.app.p99)} / ${ms(r.loaded.app.p99)} (${r.alone.app.n}+${r.loaded.app.n})`)],
    ['batch reads (p99)', ...results.map((r) => (r.loaded.readers ? `${r.loaded.readRates.batch}, ${r.loaded.batchTasksPerCall.toFixed(0)} tasks (${ms(r.loaded.readers.batch.latency.p99)})` : '–'))],
    ['single sync reads (p99)', ...results.map((r) => (r.loaded.readers ? `${r.loaded.readRates.singleSync} (${ms(r.loaded.readers.singleSync.latency.p99)})` : '–'))],
    [`single async reads, ${config.inFlight} in flight (p99)`, ...results.map((r) => (r.loaded.readers ? `${r.loaded.readRates.singleAsync} (${ms(r.loaded.readers.singleAsync.latency.p99)})` : '–'))],
    ['reader errors', ...results.map((r) => (r.loaded.readers ? String(Object.values(r.loaded.readers).reduce((n, s) => n + s.errors, 0)) : '–'))],
    [`watchers (2 at ${config.watchIntervalMs} ms): deliveries, changes, errors`, ...results.map((r) => (r.loaded.watchers ? `${r.loaded.watchers.deliveries}, ${r.loaded.watchers.changes}, ${r.loaded.watchers.errors}` : '–'))],
    ['commits verified, missing, wrong final status', ...results.map((r) => `${r.check.checked}, ${r.check.missing}, ${r.check.wrongStatus}`)],
    ["final status wrong in the addon's answer / the watcher's", ...results.map((r) => `${r.check.addonWrong} / ${r.check.watchWrong}`)],
    ['integrity_check, journal_mode', ...results.map((r) => `${r.check.integrity}, ${r.check.journalMode}`)],
    ['time', ...results.map((r) => `${r.seconds.toFixed(0)} s`)],
  ]
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => String(r[c]).length)))
  for (const [i, r] of rows.entries()) {
    console.log(r.map((x, c) => String(x).padEnd(widths[c])).join('  │  '))
    if (i === 0) console.log(widths.map((w) => '─'.repeat(w)).join('──┼──'))
  }
}

async function main() {
  const started = Date.now()
  const source = ensureDatabase('small', (...a) => console.log(...a))
  console.log(
    `load test: ${config.writers} Python writers × ${config.rate}/s for ${config.durationS} s on ${config.hotTasks} tasks of the ${source.tasks.toLocaleString('en')}-task database, ` +
      `modes ${modes.map((m) => m.label).join(' and ')}, watchers at ${config.watchIntervalMs} ms, the app's connection committing every ${config.appWriteMs} ms; in ${flags.dir}`,
  )
  console.log(`machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${os.platform()} ${os.release()}, node ${process.version}, load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`)
  const results = []
  for (const mode of modes) {
    results.push(await runMode(source, mode))
    console.log(`${results.at(-1).label}: done in ${results.at(-1).seconds.toFixed(0)} s`)
  }
  console.log('')
  printTable(results)
  console.log('')
  if (flags.json) {
    fs.writeFileSync(flags.json, JSON.stringify({ config, date: new Date().toISOString(), cpus: os.cpus().length, cpu: os.cpus()[0]?.model, results }, null, 2))
  }
  console.log(`wall time ${((Date.now() - started) / 1000).toFixed(1)} s`)
  const failures = results.flatMap((r) => r.failures)
  if (failures.length) {
    console.error(`LOAD TEST FAILED:\n  ${failures.join('\n  ')}`)
    process.exit(1)
  }
  console.log(`load test passed (p99 limit ${config.p99LimitMs} ms)`)
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
