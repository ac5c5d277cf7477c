// `npm run bench [-- options]`: measures the addon and writes what it measured
// as JSON; bench/render.js turns that JSON into the report and judges it
// against the targets of bench/targets.js (and a previous run, if given).
//
// What is measured, per journal mode — a WAL database (the mode the app keeps)
// and a rollback-journal one (journal_mode=DELETE), side by side — against an
// honest better-sqlite3 implementation of the same rules (bench/peer/):
//
// * timings, for the 10k- and 100k-task databases: single calls, batches of the
//   running tasks, batches of one order and watcher ticks, on an unchanged
//   database and right after a commit of the app's own connection (a
//   better-sqlite3 read-write connection in this process, as in the app) to the
//   very task asked for or to another one; agreement of every answer with the
//   peer's, before and after the commits, and schema unchanged by the reads;
// * memory: RSS over 1M sync calls, and the scenario of issue 21 on the
//   100k-task database (bench/memory-scenario.js) over one project and over
//   every project, each in a process of its own;
// * watchers: change→callback latency of commits from another process, idle CPU;
// * calibration (issue 20): getEstimateCalibration on each size's database —
//   its first project, whose recent orders have worker and review logs
//   (bench/generate.js) — and on a fresh sample database, each in a process of
//   its own (bench/calibration.js); and whether those logs tell the story of
//   the database's history (the addon reading them against the peer).
//
// The working copies the timings, memory and watchers measure hold the
// database only, not the logs beside the generated one: there the addon's
// evidence is the database's, as the peer's is (it reads no logs), so their
// answers must be equal. With the logs, the addon says `source: 'log'` for the
// tasks they tell of; the calibration part checks that every other field
// still equals the peer's.
//
// Options:
//   --quick              a smoke run on the 2k-task database
//   --sizes=small,large  only these sizes of bench/generate.js
//   --only=timings,memory,watch,calibration
//                        only these parts
//   --baseline FILE      a previous run's results JSON to compare with
//                        (e.g. bench/results-2026-12-01.json)
//
// A full run writes bench/results.json and bench/RESULTS.md; any other run
// writes bench/.data/results-<label>.json and RESULTS-<label>.md. Every run
// writes its raw figures (per-call times, RSS samples) to bench/.data/raw-<label>.json.
'use strict'

// The generated databases hold the Python writers' times in Japan time, as real ones do:
// read them in that zone (child processes inherit it), as the Jest suites do.
process.env.TZ ??= 'Asia/Tokyo'

const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { execFileSync, spawn } = require('node:child_process')
const readline = require('node:readline')
const Database = require('better-sqlite3')

const addon = require('..')
// The native half of watchExecutionSteps, to time one watcher tick (index.js runs the same on its timer).
const native = require('../native.js')
const { ensureDatabase, DATA_DIR } = require('./generate')
const { MODES, workingCopy, journalMode } = require('./workdb')
const { HistoryPeer } = require('./peer/history-peer')
const { agreement, describeMismatch, diffAnswer, Tally } = require('./agreement')
const { timeSync, timeAsync, compare, median, mean, percentile } = require('./measure')
const { ALL_STATUSES, SETTLE_MS, WATCH_INTERVAL_MS, PROFILES, PARTS, CALIBRATION_RETRY_BUDGET_MB } = require('./config')
const { renderFile, readResults, SCHEMA } = require('./render')

const REPO = path.join(__dirname, '..')
const WORK_DIR = path.join(DATA_DIR, 'run')

const log = (...a) => console.error('·', ...a)
const sleep = (ms) => new Promise((r) => setTimeout(r, Math.max(0, ms)))
const hr = () => process.hrtime.bigint()
const usSince = (t) => Number(hr() - t) / 1000
const n = (x) => x.toLocaleString('en')

// ---------------------------------------------------------------- command line

function usage(message) {
  console.error(`bench: ${message}\nusage: npm run bench -- [--quick] [--sizes=small,large] [--only=${PARTS.join(',')}] [--baseline FILE]`)
  process.exit(2)
}

function parseArgs(argv) {
  const args = { quick: false, sizes: null, only: null, baseline: null }
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s)
    const value = () => inline ?? argv[++i] ?? usage(`${flag} needs a value`)
    if (flag === '--quick') args.quick = true
    else if (flag === '--sizes') args.sizes = value().split(',')
    else if (flag === '--only') args.only = value().split(',')
    else if (flag === '--baseline') args.baseline = value()
    else usage(`unknown argument ${argv[i]}`)
  }
  for (const part of args.only ?? []) if (!PARTS.includes(part)) usage(`unknown part ${part}`)
  return args
}

const ARGS = parseArgs(process.argv.slice(2))
const PROFILE = ARGS.quick ? 'quick' : 'full'
const CONFIG = { ...PROFILES[PROFILE], ...(ARGS.sizes && { sizes: ARGS.sizes }), settleMs: SETTLE_MS, watchIntervalMs: WATCH_INTERVAL_MS }
const ONLY = ARGS.only ?? PARTS
/** A run that is not the full one writes under bench/.data only. */
const PARTIAL = ARGS.quick || !!ARGS.sizes || !!ARGS.only
const LABEL = PARTIAL ? [ARGS.quick ? 'quick' : CONFIG.sizes.join('-'), ...(ARGS.only ? [ARGS.only.join('+')] : [])].join('-') : 'full'

// ---------------------------------------------------------------- helpers

function query(dbPath, sql, ...params) {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true })
  try {
    return db.prepare(sql).all(...params)
  } finally {
    db.close()
  }
}

/** "Running tasks" as in the app's poll and the addon's default filter: IN_PROGRESS. */
const runningTaskIds = (dbPath, project) =>
  query(dbPath, `SELECT id FROM tasks WHERE project_id = ? AND status = 'IN_PROGRESS' ORDER BY id`, project).map((r) => r.id)

/**
 * Waits until the database file and its -wal have been still for SETTLE_MS,
 * by their own modification times (config.js says why). Returns the ms waited.
 */
async function untilStill(dbPath) {
  const stamps = [dbPath, `${dbPath}-wal`].filter((f) => fs.existsSync(f)).map((f) => fs.statSync(f).mtimeMs)
  const wait = Math.max(0, Math.max(...stamps) + SETTLE_MS - Date.now())
  await sleep(wait)
  return wait
}

/**
 * The app's own connection (better-sqlite3, read-write, kept open, in the
 * database's journal mode) and the one transaction it commits before each
 * timed call: a change_history row about a task (a PM's edit of a field that
 * does not move the step: `project_id` NULL, `changed_at` CURRENT_TIMESTAMP, as
 * most writers leave them) and the task's `updated_at` (local time with a `T`,
 * as the backend writes it).
 */
function appConnection(dbPath) {
  const db = new Database(dbPath, { fileMustExist: true })
  db.pragma('synchronous = OFF') // the commit is not what is timed; no fsync wait between calls
  let count = 0
  const insert = db.prepare(
    `INSERT INTO change_history (entity_type, entity_id, project_id, field_name, old_value, new_value, changed_by, changed_at)
     VALUES ('task', ?, NULL, 'priority', ?, ?, 'pm', CURRENT_TIMESTAMP)`,
  )
  const touch = db.prepare(`UPDATE tasks SET updated_at = strftime('%Y-%m-%dT%H:%M:%f', 'now', 'localtime') WHERE project_id = ? AND id = ?`)
  const commit = db.transaction((project, id) => {
    count++
    insert.run(id, count % 2 ? 'P1' : 'P2', count % 2 ? 'P2' : 'P1')
    if (touch.run(project, id).changes !== 1) throw new Error(`no task ${project}/${id}`)
  })
  return { db, commit, commits: () => count }
}

/**
 * A watcher of the project's running tasks, driven by hand: each `tick()` is
 * what index.js's timer runs every interval (a look for changes on the libuv
 * pool, which resolves to a report `{ changes, order }` or null), resolving to
 * the changes or null.
 */
function watchTicker(project, dbPath) {
  const session = native.watchSession(project, { dbPath, intervalMs: WATCH_INTERVAL_MS })
  return {
    tick: () => native.watchSessionTick(session).then((report) => report?.changes ?? null),
    close: () => native.watchSessionClose(session),
  }
}

/** `fn(i)` timed, awaited if it returns a Promise: [its result, µs]. */
async function timed(fn, i) {
  const t = hr()
  let result = fn(i)
  if (result && typeof result.then === 'function') result = await result
  return [result, usSince(t)]
}

/**
 * Calls timed one by one right after a commit: commit, then addon and peer
 * (the order alternating), both reading the same new snapshot. Their answers
 * are compared (untimed). Returns medians and means in µs, and the samples.
 */
async function afterCommit({ commit, target, addonCall, peerCall, calls, check }) {
  const a = []
  const b = []
  const warmup = Math.max(3, Math.round(calls / 20))
  for (let i = 0; i < warmup + calls; i++) {
    commit(...target(i))
    let ra, rb, ta, tb
    if (i & 1) {
      ;[ra, ta] = await timed(addonCall, i)
      ;[rb, tb] = await timed(peerCall, i)
    } else {
      ;[rb, tb] = await timed(peerCall, i)
      ;[ra, ta] = await timed(addonCall, i)
    }
    if (i >= warmup) a.push(ta), b.push(tb)
    check(ra, rb, i)
  }
  return {
    figures: { addonUs: median(a), peerUs: median(b), addonMeanUs: mean(a), peerMeanUs: mean(b), calls },
    samples: { addonUs: a, peerUs: b },
  }
}

// ---------------------------------------------------------------- timings

async function measureSizeMode(sizeName, db, mode) {
  const started = Date.now()
  const { dbPath } = workingCopy(db.dbPath, WORK_DIR, `${sizeName}-${mode.name}`, mode)
  const { project, order } = db
  const opts = { dbPath }
  const app = appConnection(dbPath)
  const peer = new HistoryPeer(dbPath)
  const ticker = watchTicker(project, dbPath)
  const projects = query(dbPath, 'SELECT id FROM projects ORDER BY id').map((r) => r.id)
  const running = runningTaskIds(dbPath, project)
  const orderTasks = query(dbPath, `SELECT id, status FROM tasks WHERE project_id = ? AND order_id = ? ORDER BY id`, project, order)
  const orderRunning = orderTasks.filter((t) => t.status === 'IN_PROGRESS').map((t) => t.id)
  const orderTargets = orderRunning.length ? orderRunning : orderTasks.map((t) => t.id)
  const inOrder = new Set(orderTasks.map((t) => t.id))
  const outsideOrder = running.filter((id) => !inOrder.has(id))
  const otherProjects = query(
    dbPath,
    `SELECT project_id AS project, id FROM tasks WHERE project_id <> ? AND status = 'IN_PROGRESS' ORDER BY project_id, id`,
    project,
  )
  const where = `${sizeName}/${mode.label}`
  log(`${where}: ${running.length} running in ${project}; order ${order}: ${orderTasks.length} tasks, ${orderRunning.length} running`)

  const before = agreement(addon, peer, projects, dbPath, ALL_STATUSES, `${mode.label}, unchanged`)
  log(`${where}: agreement on all ${n(before.compared)} tasks: ${before.mismatches} mismatches`)
  for (const m of before.examples) log(`  MISMATCH ${describeMismatch(m)}`)
  const first = await ticker.tick() // a watcher's first tick reports every task once
  if (!first || first.length !== running.length) throw new Error(`${where}: the first tick reported ${first?.length} of ${running.length} running tasks`)

  const waitedMs = await untilStill(dbPath)
  const next = (i) => running[i % running.length]
  const orderOpts = { dbPath, orderId: order, statusFilter: ALL_STATUSES }
  const unchanged = {}
  const rounds = {}
  const pair = async (op, a, b) => {
    const [addonUs, peerUs, addonRounds, peerRounds] = await compare(a, b, { minMs: CONFIG.minMs })
    unchanged[op] = { addonUs, peerUs }
    rounds[op] = { addonUs: addonRounds, peerUs: peerRounds }
  }
  log(`${where}: unchanged database (after ${(waitedMs / 1000).toFixed(1)} s for its files to be still)`)
  await pair(
    'single',
    (o) => timeSync((i) => addon.getTaskExecutionStepSync(project, next(i), opts), o),
    (o) => timeSync((i) => peer.task(project, next(i)), o),
  )
  await pair(
    'async',
    (o) => timeAsync(() => Promise.all(running.map((id) => addon.getTaskExecutionStep(project, id, opts))), running.length, o),
    // better-sqlite3 has no asynchronous API: the peer answers the same calls one after another.
    (o) => timeSync(() => running.forEach((id) => peer.task(project, id)), { ...o, warmup: 2 }) / running.length,
  )
  await pair(
    'running',
    (o) => timeSync(() => addon.getMultipleTasksExecutionStepsSync(project, opts), { ...o, warmup: 5 }),
    (o) => timeSync(() => peer.tasksByStatus(project), { ...o, warmup: 5 }),
  )
  await pair(
    'order',
    (o) => timeSync(() => addon.getMultipleTasksExecutionStepsSync(project, orderOpts), { ...o, warmup: 5 }),
    (o) => timeSync(() => peer.tasksOfOrder(project, order, ALL_STATUSES), { ...o, warmup: 5 }),
  )
  // A watcher's tick against what the peer needs to answer the same question: all running tasks.
  await pair(
    'watch',
    (o) => timeAsync(() => ticker.tick(), 1, { ...o, warmup: 5 }),
    (o) => timeSync(() => peer.tasksByStatus(project), { ...o, warmup: 5 }),
  )

  // After a commit of the app's own connection, two variants of what it touches.
  log(`${where}: after a commit`)
  const checked = new Tally()
  const checkOne = (what) => (ra, rb, i) => checked.one(ra.taskId ?? rb.taskId, ra, rb, `${mode.label}, ${what} #${i}`)
  const checkKeyed = (what) => (ra, rb, i) => checked.keyed(ra, rb, `${mode.label}, ${what} #${i}`)
  const unchecked = () => () => {} // a tick reports changes, not answers
  const half = Math.max(1, Math.floor(running.length / 2))
  const inProject = (ids) => (i) => [project, ids[i % ids.length]]
  const elsewhere = (i) => {
    const t = otherProjects[i % otherProjects.length]
    return [t.project, t.id]
  }
  const commits = {
    single: { same: inProject(running), other: (i) => [project, running[(i + half) % running.length]] },
    running: { same: inProject(running), other: elsewhere },
    order: { same: inProject(orderTargets), other: inProject(outsideOrder) },
    watch: { same: inProject(running), other: elsewhere },
  }
  const calls = {
    single: [(i) => addon.getTaskExecutionStepSync(project, next(i), opts), (i) => peer.task(project, next(i)), checkOne],
    running: [() => addon.getMultipleTasksExecutionStepsSync(project, opts), () => peer.tasksByStatus(project), checkKeyed],
    order: [() => addon.getMultipleTasksExecutionStepsSync(project, orderOpts), () => peer.tasksOfOrder(project, order, ALL_STATUSES), checkKeyed],
    watch: [() => ticker.tick(), () => peer.tasksByStatus(project), unchecked],
  }
  const after = {}
  const samples = {}
  for (const op of Object.keys(calls)) {
    after[op] = {}
    samples[op] = {}
    for (const variant of ['same', 'other']) {
      const [addonCall, peerCall, check] = calls[op]
      const measured = await afterCommit({
        commit: app.commit,
        target: commits[op][variant],
        addonCall,
        peerCall,
        calls: CONFIG.afterCommit[op],
        check: check(`after a commit, ${op}, ${variant}`),
      })
      after[op][variant] = measured.figures
      samples[op][variant] = measured.samples
    }
  }
  log(`${where}: ${n(checked.compared)} answers compared after commits: ${checked.mismatches} mismatches`)
  for (const m of checked.examples) log(`  MISMATCH ${describeMismatch(m)}`)

  const afterAll = agreement(addon, peer, projects, dbPath, ALL_STATUSES, `${mode.label}, after ${app.commits()} commits`)
  log(`${where}: agreement after ${n(app.commits())} commits on all ${n(afterAll.compared)} tasks: ${afterAll.mismatches} mismatches`)
  for (const m of afterAll.examples) log(`  MISMATCH ${describeMismatch(m)}`)

  const finalMode = String(app.db.pragma('journal_mode', { simple: true })).toLowerCase()
  if (finalMode !== mode.name) throw new Error(`${dbPath} left ${mode.name} mode: ${finalMode}`)
  ticker.close()
  peer.close()
  app.db.close()
  return {
    dbPath,
    result: {
      running: running.length,
      orderTasks: orderTasks.length,
      orderRunning: orderRunning.length,
      otherProjectRunning: otherProjects.length,
      commits: app.commits(),
      unchanged,
      afterCommit: after,
      agreement: { before: before.toJSON(), afterCommits: checked.toJSON(), after: afterAll.toJSON() },
      seconds: (Date.now() - started) / 1000,
    },
    raw: { unchangedRounds: rounds, afterCommitSamples: samples },
  }
}

const schemaOf = (dbPath) => JSON.stringify(query(dbPath, `SELECT type, name, sql FROM sqlite_master ORDER BY name`))

const dbFacts = (db) => ({
  tasks: db.tasks,
  historyRows: db.historyRows,
  projects: db.projects,
  orders: db.orders,
  lockRows: db.lockRows,
  project: db.project,
  order: db.order,
})

async function measureTimings(sizes, raw) {
  const out = {}
  let schemaUnchanged = true
  for (const [sizeName, db] of sizes) {
    const schema = schemaOf(db.dbPath)
    const modes = {}
    raw[sizeName] = {}
    for (const mode of MODES) {
      const m = await measureSizeMode(sizeName, db, mode)
      log(`${sizeName}/${mode.label}: ${m.result.seconds.toFixed(0)} s`)
      if (schemaOf(m.dbPath) !== schema) schemaUnchanged = false
      if (journalMode(m.dbPath) !== mode.name) throw new Error(`${m.dbPath} is no longer in ${mode.name} mode`)
      modes[mode.name] = m.result
      raw[sizeName][mode.name] = m.raw
    }
    out[sizeName] = { db: dbFacts(db), modes }
  }
  return { sizes: out, schemaUnchanged }
}

// ---------------------------------------------------------------- memory

/** Sync calls in a fresh process (bench/memory.js): RSS after a warm-up, and after. */
function measureCalls(sizeName, db) {
  const mode = MODES[0]
  const { dbPath } = workingCopy(db.dbPath, WORK_DIR, `memory-calls-${mode.name}`, mode)
  const ids = runningTaskIds(dbPath, db.project)
  log(`memory: ${n(CONFIG.memoryCalls)} sync calls on the ${n(db.tasks)}-task database (${mode.label})`)
  const out = execFileSync(process.execPath, ['--expose-gc', path.join(__dirname, 'memory.js'), dbPath, db.project, String(CONFIG.memoryCalls), ...ids], {
    encoding: 'utf8',
    maxBuffer: 1 << 24,
  })
  return { size: sizeName, tasks: db.tasks, mode: mode.name, ...JSON.parse(out.trim()) }
}

/**
 * The scenario of issue 21 (bench/memory-scenario.js) on a fresh copy in each
 * mode, over one project (the one every timing asks about) and over every
 * project of the database.
 */
function measureScenarios(sizeName, db, raw) {
  const scenarios = {}
  for (const scope of ['project', 'database']) {
    const modes = {}
    raw[scope] = {}
    let plan
    for (const mode of MODES) {
      // With the logs, as the app's folder has them: the statistics and the estimate's history read them.
      const { root, dbPath } = workingCopy(db.dbPath, WORK_DIR, `memory-${scope}-${mode.name}`, mode, { logs: true })
      const projectIds = scope === 'project' ? [db.project] : query(dbPath, 'SELECT id FROM projects ORDER BY id').map((r) => r.id)
      const projects = projectIds.map((project) => ({
        project,
        taskIds: query(dbPath, 'SELECT id FROM tasks WHERE project_id = ? ORDER BY id', project).map((r) => r.id),
        orderIds: query(dbPath, 'SELECT id FROM orders WHERE project_id = ? ORDER BY id', project).map((r) => r.id),
      }))
      plan = { dbPath, projects, sweeps: CONFIG.sweeps, statuses: ALL_STATUSES, sampleEvery: CONFIG.sampleEvery }
      const planPath = path.join(root, 'plan.json')
      fs.writeFileSync(planPath, JSON.stringify(plan))
      const tasks = projects.reduce((k, p) => k + p.taskIds.length, 0)
      const orders = projects.reduce((k, p) => k + p.orderIds.length, 0)
      log(`memory: issue 21's scenario over ${scope === 'project' ? db.project : 'every project'}, ${mode.label}: ${CONFIG.sweeps} sweeps over ${n(tasks)} tasks, stats, ${n(orders)} order batches`)
      const started = Date.now()
      const out = execFileSync(process.execPath, ['--expose-gc', path.join(__dirname, 'memory-scenario.js'), planPath], { encoding: 'utf8', maxBuffer: 1 << 26 })
      const { samples, ...result } = JSON.parse(out.trim())
      result.seconds = (Date.now() - started) / 1000
      log(
        `memory: ${mode.label}: baseline ${result.baseline.rssMb.toFixed(1)} MB; growth at the end ${result.growth.endMb.toFixed(1)} MB, ` +
          `at the peak ${result.growth.peakMb.toFixed(1)} MB (${result.peak.where}); ${result.seconds.toFixed(0)} s`,
      )
      modes[mode.name] = result
      raw[scope][mode.name] = samples
    }
    const { tasks, orders } = modes[MODES[0].name]
    scenarios[scope] = { scope, size: sizeName, db: dbFacts(db), projects: plan.projects.map((p) => p.project), tasks, orders, sweeps: CONFIG.sweeps, modes }
  }
  return scenarios
}

// ---------------------------------------------------------------- watchers

/**
 * Change→callback latency: another process commits a task's status change, as
 * a worker does; how long from its commit returning to the listener being
 * called. Both sides read the same wall clock (`performance.timeOrigin + performance.now()`).
 */
async function measureLatency(db, mode) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aipm-bench-watch-'))
  const { dbPath } = workingCopy(db.dbPath, dir, 'user-data', mode)
  const ids = runningTaskIds(dbPath, db.project)
  const writer = spawn(process.execPath, [path.join(__dirname, 'latency-writer.js'), dbPath], { stdio: ['pipe', 'pipe', 'inherit'] })
  const committed = readline.createInterface({ input: writer.stdout })
  const nextCommit = () => new Promise((resolve) => committed.once('line', (line) => resolve(Number(line))))
  const wallMs = () => performance.timeOrigin + performance.now()

  let waiting = null
  const errors = []
  const watcher = addon.watchExecutionSteps(db.project, { dbPath, taskIds: ids, intervalMs: WATCH_INTERVAL_MS }, (err, changes) => {
    if (err) return errors.push(`${err.code}: ${err.message}`)
    if (waiting && changes.some((c) => c.taskId === waiting.id && c.current.status === waiting.to)) {
      waiting.resolve(wallMs())
      waiting = null
    }
  })
  // Past the first report of every task, from files that have been still.
  await Promise.all([sleep(WATCH_INTERVAL_MS * 4), untilStill(dbPath)])
  const samples = []
  for (let i = 0; i < CONFIG.latencySamples; i++) {
    const id = ids[i % ids.length]
    const [from, to] = Math.floor(i / ids.length) % 2 === 0 ? ['IN_PROGRESS', 'INTERRUPTED'] : ['INTERRUPTED', 'IN_PROGRESS']
    // Commit at a random phase of the polling interval.
    await sleep(Math.random() * WATCH_INTERVAL_MS)
    const heard = new Promise((resolve) => (waiting = { id, to, resolve }))
    const commit = nextCommit()
    writer.stdin.write(`${db.project} ${id} ${from} ${to}\n`)
    const [heardAt, committedAt] = await Promise.all([Promise.race([heard, sleep(5000).then(() => Infinity)]), commit])
    samples.push(heardAt - committedAt)
  }
  watcher.close()
  writer.stdin.end()
  await new Promise((r) => writer.once('exit', r))
  fs.rmSync(dir, { recursive: true, force: true })
  const sorted = [...samples].sort((a, b) => a - b)
  return {
    figures: { samples: samples.length, p50: percentile(sorted, 50), p95: percentile(sorted, 95), max: sorted[sorted.length - 1], errors },
    samples,
  }
}

/** CPU of a process that only watches (bench/idle-cpu.js), % of one core. */
function measureIdleCpu(dbPath, project, watchers) {
  const out = execFileSync(
    process.execPath,
    [path.join(__dirname, 'idle-cpu.js'), dbPath, project, String(watchers), String(WATCH_INTERVAL_MS), String(CONFIG.idleSeconds)],
    { encoding: 'utf8' },
  )
  return JSON.parse(out.trim()).cpuPercent
}

async function measureWatchers(sizeName, db, raw) {
  const latency = {}
  const idleCpu = {}
  raw.latency = {}
  for (const mode of MODES) {
    log(`watcher latency, ${mode.label}`)
    const l = await measureLatency(db, mode)
    latency[mode.name] = l.figures
    raw.latency[mode.name] = l.samples
    log(`idle CPU (1 and 20 watchers), ${mode.label}`)
    const { dbPath } = workingCopy(db.dbPath, WORK_DIR, `idle-${mode.name}`, mode)
    idleCpu[mode.name] = { one: measureIdleCpu(dbPath, db.project, 1), twenty: measureIdleCpu(dbPath, db.project, 20) }
  }
  return { size: sizeName, tasks: db.tasks, intervalMs: WATCH_INTERVAL_MS, latency, idleCpu }
}

// ---------------------------------------------------------------- calibration

/** getEstimateCalibration in a process of its own (bench/calibration.js), at the default cache budget or `budgetMb`. */
function calibrate(dbPath, project, budgetMb = null) {
  const args = [path.join(__dirname, 'calibration.js'), dbPath, project, ...(budgetMb ? [String(budgetMb)] : [])]
  return JSON.parse(execFileSync(process.execPath, args, { encoding: 'utf8' }).trim())
}

/**
 * One database's calibration: at the app's default cache budget, and again
 * with CALIBRATION_RETRY_BUDGET_MB when that gave no kind (config.js says why).
 */
function calibrationOf(source, dbPath, project, facts) {
  const atDefault = calibrate(dbPath, project)
  let measured = atDefault
  if (!atDefault.kinds.length) {
    log(`calibration, ${source}: no kind at the default cache budget; again at ${CALIBRATION_RETRY_BUDGET_MB} MB`)
    measured = calibrate(dbPath, project, CALIBRATION_RETRY_BUDGET_MB)
  }
  for (const k of measured.kinds) {
    log(
      `calibration, ${source}: ${k.kind}: ${n(k.runs)} runs, ${n(k.estimates)} estimates, median error ${(k.medianAbsErrorMs / 1000).toFixed(1)} s ` +
        `(naive ${(k.naiveMedianAbsErrorMs / 1000).toFixed(1)} s), coverage ${k.coverage.toFixed(4)}`,
    )
  }
  return {
    source,
    ...facts,
    project,
    atDefaultBudget: { kinds: atDefault.kinds.length, firstMs: atDefault.firstMs },
    budgetMb: measured.budgetMb,
    firstMs: measured.firstMs,
    secondMs: measured.secondMs,
    kinds: measured.kinds,
  }
}

/**
 * Whether a database's logs tell the story of its history: the addon, reading
 * the generated database with its logs, against the peer, reading the
 * database alone, on every task of the project — every field compared but
 * `source`, which the logs make `log`.
 */
function logsAgainstHistory(db) {
  const peer = new HistoryPeer(db.dbPath)
  try {
    const ours = addon.getMultipleTasksExecutionStepsSync(db.project, { dbPath: db.dbPath, statusFilter: ALL_STATUSES })
    const theirs = peer.tasksByStatus(db.project, ALL_STATUSES)
    const tally = new Tally()
    let fromLogs = 0
    for (const id of new Set([...Object.keys(ours), ...Object.keys(theirs)])) {
      tally.compared++
      if (ours[id]?.source === 'log') fromLogs++
      const diff = diffAnswer(ours[id], theirs[id]).filter((d) => d.field !== 'source')
      if (diff.length) tally.miss({ where: 'the generated database with its logs', taskId: id, status: ours[id]?.status ?? theirs[id]?.status ?? null, diff })
    }
    return { ...tally.toJSON(), fromLogs }
  } finally {
    peer.close()
  }
}

/** The calibration of each size's database (its first project) and of a fresh sample database. */
function measureCalibration(sizes) {
  const sources = []
  for (const [sizeName, db] of sizes) {
    const consistency = logsAgainstHistory(db)
    log(
      `calibration, ${sizeName}: the logs against the history: ${n(consistency.compared)} tasks of ${db.project}, ${n(consistency.fromLogs)} read from logs, ` +
        `${consistency.mismatches} mismatches but source`,
    )
    for (const m of consistency.examples) log(`  MISMATCH ${describeMismatch(m)}`)
    const { workerLogs, reviewLogs, reworks, orders } = db.logs
    sources.push({ ...calibrationOf(sizeName, db.dbPath, db.project, { tasks: db.tasks, logs: { workerLogs, reviewLogs, reworks, orders } }), logsAgainstHistory: consistency })
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aipm-bench-sample-'))
  try {
    const dbPath = addon.createSampleDatabase(dir)
    const tasks = query(dbPath, 'SELECT COUNT(*) AS n FROM tasks')[0].n
    sources.push(calibrationOf('sample', dbPath, 'ai_pm_manager', { tasks, logs: null }))
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
  return { retryBudgetMb: CALIBRATION_RETRY_BUDGET_MB, sources }
}

// ---------------------------------------------------------------- the run

function machine() {
  const cpus = os.cpus()
  let model = cpus[0]?.model ?? 'unknown CPU'
  try {
    const line = fs.readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((l) => l.startsWith('model name'))
    if (line) model = line.split(':')[1].trim()
  } catch {}
  return {
    model,
    cores: cpus.length,
    memGb: os.totalmem() / 2 ** 30,
    node: process.version,
    platform: `${os.platform()} ${os.arch()} ${os.release()}`,
    loadStart: os.loadavg(),
  }
}

/** The commit measured, and whether the work tree had changes beside it (not counting Markdown and results files, which measure nothing). */
function revision() {
  try {
    const git = (...a) => execFileSync('git', ['-C', REPO, ...a], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
    const changed = git('status', '--porcelain', '--untracked-files=no', '--', '.', ':(exclude)*.md', ':(exclude)bench/results*.json')
    return { commit: git('rev-parse', '--short=12', 'HEAD'), dirty: changed !== '' }
  } catch {
    return { commit: null, dirty: null }
  }
}

async function main() {
  const started = Date.now()
  const baselinePath = ARGS.baseline && path.resolve(ARGS.baseline)
  if (baselinePath) readResults(baselinePath) // a baseline that cannot be read fails now, not after the run
  const jsonPath = PARTIAL ? path.join(DATA_DIR, `results-${LABEL}.json`) : path.join(__dirname, 'results.json')
  const rawPath = path.join(DATA_DIR, `raw-${LABEL}.json`)
  const results = {
    schema: SCHEMA,
    run: {
      command: ['npm run bench', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' '),
      profile: PROFILE,
      partial: PARTIAL,
      parts: ONLY,
      baseline: baselinePath ? path.relative(REPO, baselinePath) : null,
      date: new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC',
      ...revision(),
    },
    machine: machine(),
    config: CONFIG,
  }
  const raw = {}
  fs.mkdirSync(DATA_DIR, { recursive: true })

  const sizes = CONFIG.sizes.map((name) => [name, ensureDatabase(name, log)])
  const [smallestName, smallest] = sizes[0]
  const [largestName, largest] = sizes[sizes.length - 1]
  if (ONLY.includes('timings')) {
    raw.timings = {}
    Object.assign(results, await measureTimings(sizes, raw.timings))
  }
  if (ONLY.includes('memory')) {
    raw.memory = {}
    results.memory = { calls: measureCalls(smallestName, smallest), scenarios: measureScenarios(largestName, largest, raw.memory) }
  }
  if (ONLY.includes('watch')) {
    raw.watch = {}
    results.watch = await measureWatchers(smallestName, smallest, raw.watch)
  }
  if (ONLY.includes('calibration')) {
    results.calibration = measureCalibration(sizes)
  }
  results.machine.loadEnd = os.loadavg()
  results.run.seconds = (Date.now() - started) / 1000

  fs.writeFileSync(jsonPath, `${JSON.stringify(results, null, 1)}\n`)
  fs.writeFileSync(rawPath, JSON.stringify(raw))
  log(`wrote ${path.relative(REPO, jsonPath)} and ${path.relative(REPO, rawPath)}`)
  const { mdPath, text } = renderFile(jsonPath, { baselinePath })
  console.log(text)
  log(`wrote ${path.relative(REPO, mdPath)}`)
  fs.rmSync(WORK_DIR, { recursive: true, force: true })
  log(`done in ${((Date.now() - started) / 60000).toFixed(1)} min`)
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
