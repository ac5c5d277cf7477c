// `npm run bench [-- --quick]`: the addon against an honest better-sqlite3
// implementation of the same rules (bench/peer/history-peer.js), side by side
// on a WAL database (the mode the app keeps) and a rollback-journal one
// (journal_mode=DELETE), for the 10k- and 100k-task databases:
//
// * after a commit: before every timed call the app's own connection (a
//   better-sqlite3 read-write connection in this process, as in the app)
//   commits one transaction — a change_history row for a running task and that
//   task's updated_at — either to the very task asked for or to another running
//   task; addon and peer then answer from the same snapshot;
// * unchanged database (polling), with many async calls in flight;
// * agreement: the addon's answer equals the peer's on every task, before and
//   after the commits, and on every answer timed after a commit;
// * RSS over 1M calls and on the 100k database, the addon's cache bounds,
//   change→callback latency of a watcher and idle CPU of 1 and 20 watchers.
//
// Writes bench/RESULTS.md, and the raw figures as JSON in bench/.data/.
// `--quick`: a smoke run on the 2k-task database (bench/.data/RESULTS-quick.md);
// `--sizes=small` or `--sizes=large`: only those (bench/.data/RESULTS-<sizes>.md).
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
const { ensureDatabase, DATA_DIR } = require('./generate')
const { MODES, workingCopy, journalMode } = require('./workdb')
const { HistoryPeer } = require('./peer/history-peer')
const { agreement, describeMismatch, Tally } = require('./agreement')
const { timeSync, timeAsync, compare, median, mean, percentile, formatTime, formatRatio } = require('./measure')

const REPO = path.join(__dirname, '..')
const QUICK = process.argv.includes('--quick')
const sizesFlag = process.argv.find((a) => a.startsWith('--sizes='))
/** `--sizes=small` (for development) measures only those; the targets then judge what was measured. */
const SIZES = sizesFlag ? sizesFlag.slice(8).split(',') : QUICK ? ['quick'] : ['small', 'large']
/** Per unchanged-database operation and mode: this long for each side, in alternating rounds. */
const MIN_MS = QUICK ? 600 : 3000
/** Timed calls after a commit, per operation, variant and mode (each after its own commit). */
const AFTER_COMMIT = QUICK ? { single: 100, running: 20, order: 40 } : { single: 1000, running: 120, order: 300 }
const MEMORY_CALLS = QUICK ? 100_000 : 1_000_000
const LARGE_PASSES = QUICK ? 1 : 3
const LATENCY_SAMPLES = QUICK ? 10 : 40
const IDLE_SECONDS = QUICK ? 3 : 10
const WATCH_INTERVAL_MS = 250
/** How long the database files must be still before the addon trusts their stamps (src/io/file_state.rs SETTLE). */
const SETTLE_MS = 2500
const ALL_STATUSES = ['QUEUED', 'BLOCKED', 'IN_PROGRESS', 'DONE', 'IN_REVIEW', 'REWORK', 'COMPLETED', 'CANCELLED', 'SKIPPED', 'REJECTED', 'INTERRUPTED', 'ESCALATED', 'WAITING_INPUT']
/** The unchanged-database figures of the previous run (bench/RESULTS.md of eefef59, rollback databases), µs. */
const PREVIOUS = {
  source: 'bench/RESULTS.md of eefef59 (2026-11-25, rollback databases)',
  small: { single: 23.7, running: 1020, order: 275 },
  large: { single: 17.7, running: 1940, order: 190 },
}
const WORK_DIR = path.join(DATA_DIR, 'run')

const log = (...a) => console.error('·', ...a)
const sleep = (ms) => new Promise((r) => setTimeout(r, Math.max(0, ms)))
const hr = () => process.hrtime.bigint()
const usSince = (t) => Number(hr() - t) / 1000

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
  let n = 0
  const insert = db.prepare(
    `INSERT INTO change_history (entity_type, entity_id, project_id, field_name, old_value, new_value, changed_by, changed_at)
     VALUES ('task', ?, NULL, 'priority', ?, ?, 'pm', CURRENT_TIMESTAMP)`,
  )
  const touch = db.prepare(`UPDATE tasks SET updated_at = strftime('%Y-%m-%dT%H:%M:%f', 'now', 'localtime') WHERE project_id = ? AND id = ?`)
  const commit = db.transaction((project, id) => {
    n++
    insert.run(id, n % 2 ? 'P1' : 'P2', n % 2 ? 'P2' : 'P1')
    if (touch.run(project, id).changes !== 1) throw new Error(`no task ${project}/${id}`)
  })
  return { db, commit, commits: () => n }
}

/**
 * Calls timed one by one right after a commit: commit, then addon and peer
 * (the order alternating), both reading the same new snapshot. Their answers
 * are compared (untimed). Returns medians and means in µs.
 */
function afterCommit({ commit, target, addonCall, peerCall, calls, check }) {
  const a = []
  const b = []
  const warmup = Math.max(3, Math.round(calls / 20))
  for (let i = 0; i < warmup + calls; i++) {
    const timed = i >= warmup
    commit(...target(i))
    let ra, rb, t
    if (i & 1) {
      t = hr()
      ra = addonCall(i)
      const ta = usSince(t)
      t = hr()
      rb = peerCall(i)
      const tb = usSince(t)
      if (timed) a.push(ta), b.push(tb)
    } else {
      t = hr()
      rb = peerCall(i)
      const tb = usSince(t)
      t = hr()
      ra = addonCall(i)
      const ta = usSince(t)
      if (timed) a.push(ta), b.push(tb)
    }
    check(ra, rb, i)
  }
  return { addonUs: median(a), peerUs: median(b), addonMeanUs: mean(a), peerMeanUs: mean(b), calls }
}

async function measureSizeMode(sizeName, db, mode) {
  const started = Date.now()
  const { dbPath } = workingCopy(db.dbPath, WORK_DIR, `${sizeName}-${mode.name}`, mode)
  const copiedAt = Date.now()
  const { project, order } = db
  const opts = { dbPath }
  const app = appConnection(dbPath)
  const peer = new HistoryPeer(dbPath)
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
  log(`${sizeName}/${mode.label}: ${running.length} running in ${project}; order ${order}: ${orderTasks.length} tasks, ${orderRunning.length} running`)

  const before = agreement(addon, peer, projects, dbPath, ALL_STATUSES, `${mode.label}, unchanged`)
  log(`${sizeName}/${mode.label}: agreement on all ${before.compared} tasks: ${before.mismatches} mismatches`)
  for (const m of before.examples) log(`  MISMATCH ${describeMismatch(m)}`)

  // Stamps of files changed less than SETTLE ago are not trusted: let the fresh copy settle.
  await sleep(copiedAt + SETTLE_MS - Date.now())

  const next = (i) => running[i % running.length]
  const orderOpts = { dbPath, orderId: order, statusFilter: ALL_STATUSES }
  const unchanged = {}
  const pair = async (a, b) => {
    const [addonUs, peerUs] = await compare(a, b, { minMs: MIN_MS })
    return { addonUs, peerUs }
  }
  log(`${sizeName}/${mode.label}: unchanged database`)
  unchanged.single = await pair(
    (o) => timeSync((i) => addon.getTaskExecutionStepSync(project, next(i), opts), o),
    (o) => timeSync((i) => peer.task(project, next(i)), o),
  )
  unchanged.async = await pair(
    (o) => timeAsync(() => Promise.all(running.map((id) => addon.getTaskExecutionStep(project, id, opts))), running.length, o),
    // better-sqlite3 has no asynchronous API: the peer answers the same calls one after another.
    (o) => timeSync(() => running.forEach((id) => peer.task(project, id)), { ...o, warmup: 2 }) / running.length,
  )
  unchanged.running = await pair(
    (o) => timeSync(() => addon.getMultipleTasksExecutionStepsSync(project, opts), { ...o, warmup: 5 }),
    (o) => timeSync(() => peer.tasksByStatus(project), { ...o, warmup: 5 }),
  )
  unchanged.order = await pair(
    (o) => timeSync(() => addon.getMultipleTasksExecutionStepsSync(project, orderOpts), { ...o, warmup: 5 }),
    (o) => timeSync(() => peer.tasksOfOrder(project, order, ALL_STATUSES), { ...o, warmup: 5 }),
  )

  // After a commit of the app's own connection, two variants of what it touches.
  log(`${sizeName}/${mode.label}: after a commit`)
  const checked = new Tally()
  const checkOne = (where) => (ra, rb, i) => checked.one(ra.taskId ?? rb.taskId, ra, rb, `${mode.label}, ${where} #${i}`)
  const checkKeyed = (where) => (ra, rb, i) => checked.keyed(ra, rb, `${mode.label}, ${where} #${i}`)
  const half = Math.max(1, Math.floor(running.length / 2))
  const commits = {
    single: {
      same: (i) => [project, next(i)],
      other: (i) => [project, running[(i + half) % running.length]],
    },
    running: {
      same: (i) => [project, running[i % running.length]],
      other: (i) => {
        const t = otherProjects[i % otherProjects.length]
        return [t.project, t.id]
      },
    },
    order: {
      same: (i) => [project, orderTargets[i % orderTargets.length]],
      other: (i) => [project, outsideOrder[i % outsideOrder.length]],
    },
  }
  const calls = {
    single: [(i) => addon.getTaskExecutionStepSync(project, next(i), opts), (i) => peer.task(project, next(i)), checkOne],
    running: [() => addon.getMultipleTasksExecutionStepsSync(project, opts), () => peer.tasksByStatus(project), checkKeyed],
    order: [
      () => addon.getMultipleTasksExecutionStepsSync(project, orderOpts),
      () => peer.tasksOfOrder(project, order, ALL_STATUSES),
      checkKeyed,
    ],
  }
  const after = {}
  for (const op of ['single', 'running', 'order']) {
    after[op] = {}
    for (const variant of ['same', 'other']) {
      const [addonCall, peerCall, check] = calls[op]
      after[op][variant] = afterCommit({
        commit: app.commit,
        target: commits[op][variant],
        addonCall,
        peerCall,
        calls: AFTER_COMMIT[op],
        check: check(`after a commit, ${op}, ${variant}`),
      })
    }
  }
  log(`${sizeName}/${mode.label}: ${checked.compared} answers compared after commits: ${checked.mismatches} mismatches`)
  for (const m of checked.examples) log(`  MISMATCH ${describeMismatch(m)}`)

  const afterAll = agreement(addon, peer, projects, dbPath, ALL_STATUSES, `${mode.label}, after ${app.commits()} commits`)
  log(`${sizeName}/${mode.label}: agreement after ${app.commits()} commits on all ${afterAll.compared} tasks: ${afterAll.mismatches} mismatches`)
  for (const m of afterAll.examples) log(`  MISMATCH ${describeMismatch(m)}`)

  const finalMode = String(app.db.pragma('journal_mode', { simple: true })).toLowerCase()
  if (finalMode !== mode.name) throw new Error(`${dbPath} left ${mode.name} mode: ${finalMode}`)
  peer.close()
  app.db.close()
  return {
    mode: mode.name,
    dbPath,
    running: running.length,
    orderTasks: orderTasks.length,
    orderRunning: orderRunning.length,
    otherProjectRunning: otherProjects.length,
    commits: app.commits(),
    unchanged,
    after,
    agreement: { before: before.toJSON(), afterCommits: checked.toJSON(), after: afterAll.toJSON() },
    seconds: (Date.now() - started) / 1000,
  }
}

/** 1M (or 100k with --quick) sync calls in a fresh process: RSS after a warm-up, and after. */
function measureMemory(dbPath, project, ids) {
  const out = execFileSync(process.execPath, ['--expose-gc', path.join(__dirname, 'memory.js'), dbPath, project, String(MEMORY_CALLS), ...ids], {
    encoding: 'utf8',
    maxBuffer: 1 << 24,
  })
  return JSON.parse(out.trim())
}

/** RSS in a fresh process reading the large database (see memory-large.js). */
function measureLargeMemory(dbPath, project) {
  const out = execFileSync(process.execPath, ['--expose-gc', path.join(__dirname, 'memory-large.js'), dbPath, project, String(LARGE_PASSES)], {
    encoding: 'utf8',
  })
  return JSON.parse(out.trim())
}

/** The addon's cache bounds, as its source declares them (`/// doc` then `const NAME: usize = N;`). */
function cacheBounds() {
  const out = []
  for (const file of ['src/tracker/database.rs', 'src/tracker/mod.rs', 'src/tracker/logs.rs']) {
    let text
    try {
      text = fs.readFileSync(path.join(REPO, file), 'utf8')
    } catch {
      continue
    }
    const re = /((?:^\s*\/\/\/.*\n)+)\s*(?:pub )?const ([A-Z_]+_KEPT): usize = ([\d_]+);/gm
    for (const m of text.matchAll(re)) {
      const doc = m[1].split('\n').map((l) => l.replace(/^\s*\/\/\/\s?/, '').trim()).filter(Boolean).join(' ')
      out.push({ file, name: m[2], value: Number(m[3].replaceAll('_', '')), doc })
    }
  }
  return out
}

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
  await sleep(Math.max(WATCH_INTERVAL_MS * 4, SETTLE_MS)) // past the first report of every task
  const samples = []
  for (let i = 0; i < LATENCY_SAMPLES; i++) {
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
  samples.sort((a, b) => a - b)
  return { samples: samples.length, p50: percentile(samples, 50), p95: percentile(samples, 95), max: samples[samples.length - 1], errors }
}

function measureIdleCpu(dbPath, project, watchers) {
  const out = execFileSync(
    process.execPath,
    [path.join(__dirname, 'idle-cpu.js'), dbPath, project, String(watchers), String(WATCH_INTERVAL_MS), String(IDLE_SECONDS)],
    { encoding: 'utf8' },
  )
  return JSON.parse(out.trim()).cpuPercent
}

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
    date: new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC',
    loadStart: os.loadavg(),
  }
}

function table(headers, rows) {
  const lines = [`| ${headers.join(' | ')} |`, `|${headers.map(() => '---').join('|')}|`]
  for (const r of rows) lines.push(`| ${r.join(' | ')} |`)
  return lines.join('\n')
}

const n = (x) => x.toLocaleString('en')
const mb = (x) => `${x.toFixed(1)} MB`
const signedMb = (x) => `${x >= 0 ? '+' : ''}${x.toFixed(1)} MB`
const meets = (ok) => (ok ? 'met' : '**missed**')
/** A target --quick cannot judge (fewer calls, no previous figures for its size): shown, not judged. */
const NOT_JUDGED = 'not judged (--quick)'
const sizeLabel = (r) => `${n(r.db.tasks)}`

function report(all) {
  const { m, sizes, memory, large, bounds, latency, idle, seconds } = all
  const out = []
  out.push(
    `Machine: ${m.model}, ${m.cores} cores, ${m.memGb.toFixed(0)} GB, ${m.platform}; Node ${m.node}; ${m.date}${QUICK ? ' (--quick)' : ''}. ` +
      `Load average at start ${m.loadStart.map((x) => x.toFixed(2)).join(' / ')}, at end ${m.loadEnd.map((x) => x.toFixed(2)).join(' / ')}. ` +
      `Whole run ${(seconds / 60).toFixed(1)} min.`,
  )
  out.push('')
  out.push(
    'Method. Each size is copied fresh from the generated database (bench/generate.js) twice: one copy switched to WAL (the mode the app keeps its database in), ' +
      'one left in the rollback journal (journal_mode=DELETE). In this process the app\'s own connection (better-sqlite3, read-write) stays open on the copy, the peer ' +
      '(bench/peer/history-peer.js, better-sqlite3 read-only) and the addon read it. **After a commit**: before every timed call the app\'s connection commits one ' +
      'transaction (a change_history row about a running task, `project_id` NULL, and that task\'s `updated_at`), then addon and peer each answer once from that ' +
      'snapshot, in alternating order; per-call medians, after a few untimed warm-up calls. "Running tasks" are the project\'s IN_PROGRESS tasks, the addon\'s and ' +
      'the peer\'s default filter (the app\'s poll). **Unchanged database**: nothing commits; addon and peer are timed in alternating rounds (A B, B A, …; median ' +
      'round), after the copy\'s files have been still for 2.5 s. Ratio = peer time / addon time.',
  )
  for (const s of sizes) {
    const d = s.db
    const [w, r] = [s.modes.wal, s.modes.delete]
    out.push('')
    out.push(`### ${n(d.tasks)} tasks / ${n(d.historyRows)} history rows (${d.projects} projects, ${n(d.orders)} orders, ${d.lockRows} file locks)`)
    out.push('')
    out.push(
      `Project \`${d.project}\`: ${w.running} running (IN_PROGRESS) tasks; order \`${d.order}\`: ${w.orderTasks} tasks (${w.orderRunning} running), read in every status. ` +
        `Commits per mode: ${n(w.commits)}.`,
    )
    out.push('')
    out.push('**After a commit** (median per call)')
    out.push('')
    const cells = (x) => [formatTime(x.addonUs), formatTime(x.peerUs), `**${formatRatio(x.peerUs / x.addonUs)}**`]
    const touches = {
      single: { same: 'the task asked for', other: 'another running task of the project' },
      running: { same: 'a task of the batch', other: 'a running task of another project' },
      order: { same: 'a running task of the order', other: 'a running task outside the order' },
    }
    const opName = { single: 'single call (sync)', running: `batch: all ${w.running} running tasks`, order: `batch: one order (${w.orderTasks} tasks)` }
    const rows = []
    for (const op of ['single', 'running', 'order']) {
      for (const v of ['same', 'other']) {
        rows.push([opName[op], touches[op][v], ...cells(w.after[op][v]), ...cells(r.after[op][v])])
      }
    }
    out.push(table(['operation', 'the commit touches', 'WAL: addon', 'peer', 'ratio', 'rollback: addon', 'peer', 'ratio'], rows))
    out.push('')
    out.push('**Unchanged database** (polling)')
    out.push('')
    const prev = PREVIOUS[s.sizeName]
    const urows = [
      ['single call (sync)', ...cells(w.unchanged.single), ...cells(r.unchanged.single), prev ? formatTime(prev.single) : '–'],
      [`${w.running} async calls in flight (per call; peer: the same calls, sequential)`, ...cells(w.unchanged.async), ...cells(r.unchanged.async), '–'],
      [opName.running, ...cells(w.unchanged.running), ...cells(r.unchanged.running), prev ? formatTime(prev.running) : '–'],
      [opName.order, ...cells(w.unchanged.order), ...cells(r.unchanged.order), prev ? formatTime(prev.order) : '–'],
    ]
    out.push(table(['operation', 'WAL: addon', 'peer', 'ratio', 'rollback: addon', 'peer', 'ratio', 'previous addon'], urows))
    out.push('')
    const ag = (x) =>
      `${x.label}: all ${n(x.agreement.before.compared)} tasks before the commits ${x.agreement.before.mismatches} mismatches, ` +
      `after them ${x.agreement.after.mismatches}; ${n(x.agreement.afterCommits.compared)} answers timed after a commit ${x.agreement.afterCommits.mismatches}`
    out.push(`Agreement with the peer (every field compared, and the key order of batches) — ${ag({ ...w, label: 'WAL' })}; ${ag({ ...r, label: 'rollback' })}.`)
    const kindsOf = (x) => {
      const kinds = {}
      for (const t of [x.agreement.before, x.agreement.afterCommits, x.agreement.after]) {
        for (const [k, v] of Object.entries(t.kinds)) kinds[k] = (kinds[k] ?? 0) + v
      }
      return Object.entries(kinds).map(([k, v]) => `${k} × ${v}`).join('; ') || 'none'
    }
    const examples = [w, r].flatMap((x) => [...x.agreement.before.examples, ...x.agreement.afterCommits.examples, ...x.agreement.after.examples])
    if (examples.length) out.push('', `Mismatches by status and field — WAL: ${kindsOf(w)}; rollback: ${kindsOf(r)}. The first ones:`, '')
    for (const e of examples.slice(0, 10)) out.push(`- mismatch: ${describeMismatch(e)}`)
  }

  out.push('')
  out.push('### Memory and live updates')
  out.push('')
  const small = sizes[0].db
  const lastLarge = large.stages[large.stages.length - 1]
  const mrows = [
    [
      `RSS over ${n(memory.calls)} sync calls, ${n(small.tasks)}-task DB (WAL), after a warm-up of 20,000, own process`,
      `${mb(memory.beforeMb)} → ${mb(memory.afterMb)} (**${signedMb(memory.growthMb)}**, ${memory.seconds.toFixed(1)} s; peak ${mb(memory.peakRssMb)}, uncollected JS garbage included)`,
    ],
    ...large.stages.map((st) => [
      `RSS, ${n(large.tasks)}-task DB (WAL, ${n(large.historyRows)} history rows), own process: ${st.name}`,
      `${mb(st.rssMb)} (JS heap ${mb(st.heapMb)})${st.seconds != null ? `, ${st.seconds.toFixed(1)} s` : ''}`,
    ]),
    [`… RSS along the first pass, every ${n(large.tasks / 10)} calls`, large.curve ? `${large.curve.map((c) => c.rssMb.toFixed(0)).join(' → ')} MB` : '–'],
    [
      `… growth from the addon loaded (the harness's ${n(large.tasks)} task ids already in the JS heap) to the end; peak RSS`,
      `**${signedMb(lastLarge.rssMb - large.stages[0].rssMb)}** (JS heap ${signedMb(lastLarge.heapMb - large.stages[0].heapMb)}); peak ${mb(large.peakRssMb)}`,
    ],
    [
      "the addon's cache bounds (its source)",
      bounds.length ? bounds.map((b) => `${b.name} = ${n(b.value)} (${b.doc.replace(/\|/g, '/')})`).join('; ') : 'not visible',
    ],
  ]
  for (const mode of MODES) {
    const l = latency[mode.name]
    mrows.push([
      `change→callback latency, ${WATCH_INTERVAL_MS} ms interval, ${mode.label} (${l.samples} commits from another process at random phases)`,
      `p50 ${l.p50.toFixed(0)} ms, p95 ${l.p95.toFixed(0)} ms, max ${l.max.toFixed(0)} ms${l.errors.length ? `; ${l.errors.length} watcher errors` : ''}`,
    ])
  }
  for (const mode of MODES) {
    mrows.push([
      `idle CPU, watchers at ${WATCH_INTERVAL_MS} ms on the ${n(small.tasks)}-task DB, ${mode.label} (${IDLE_SECONDS} s)`,
      `1 watcher ${idle[mode.name].one.toFixed(2)} %, 20 watchers ${idle[mode.name].twenty.toFixed(2)} % of a core`,
    ])
  }
  out.push(table(['measure', 'result'], mrows))

  out.push('')
  out.push('### Targets')
  out.push('')
  const trows = []
  // After a commit: worst over sizes and both variants, per mode.
  for (const [op, what] of [
    ['single', 'single call'],
    ['running', 'batch of all running tasks'],
  ]) {
    for (const mode of MODES) {
      const cases = sizes.flatMap((s) =>
        ['same', 'other'].map((v) => ({ ratio: s.modes[mode.name].after[op][v].peerUs / s.modes[mode.name].after[op][v].addonUs, size: sizeLabel(s), v })),
      )
      const worst = cases.reduce((a, b) => (b.ratio < a.ratio ? b : a))
      const detail = sizes
        .map((s) => `${sizeLabel(s)}: ${formatRatio(s.modes[mode.name].after[op].same.peerUs / s.modes[mode.name].after[op].same.addonUs)} / ${formatRatio(s.modes[mode.name].after[op].other.peerUs / s.modes[mode.name].after[op].other.addonUs)}`)
        .join('; ')
      trows.push([
        `after a commit, ${what} ≥ 3× the peer, ${mode.label}`,
        `worst ${formatRatio(worst.ratio)} (${worst.size} tasks, ${worst.v === 'same' ? 'commit to the task(s) asked for' : 'commit elsewhere'}); same / other: ${detail}`,
        meets(worst.ratio >= 3),
      ])
    }
  }
  // Unchanged database: no worse than the previous run.
  for (const [op, what] of [
    ['single', 'single call'],
    ['running', 'batch of all running tasks'],
    ['order', 'batch of one order'],
  ]) {
    const comparable = sizes.filter((s) => PREVIOUS[s.sizeName])
    if (!comparable.length) {
      trows.push([`unchanged database, ${what} no slower than the previous run`, 'no previous figures for the --quick size', QUICK ? NOT_JUDGED : '**missed**'])
      continue
    }
    let ok = true
    const parts = comparable.map((s) => {
      const prev = PREVIOUS[s.sizeName][op]
      const [w, r] = [s.modes.wal.unchanged[op].addonUs, s.modes.delete.unchanged[op].addonUs]
      ok &&= w <= prev && r <= prev
      return `${sizeLabel(s)}: WAL ${formatTime(w)}, rollback ${formatTime(r)} (previous ${formatTime(prev)})`
    })
    trows.push([`unchanged database, ${what} no slower than the previous run`, parts.join('; '), meets(ok)])
  }
  trows.push([
    `RSS growth < 20 MB over 1M calls`,
    `${signedMb(memory.growthMb)} over ${n(memory.calls)} calls${memory.calls < 1_000_000 ? ' (--quick: fewer calls)' : ''}`,
    memory.calls < 1_000_000 ? NOT_JUDGED : meets(memory.growthMb < 20),
  ])
  for (const mode of MODES) {
    const l = latency[mode.name]
    trows.push([
      `change→callback ≤ interval + 50 ms (${WATCH_INTERVAL_MS + 50} ms), every commit, ${mode.label}`,
      `max ${l.max.toFixed(0)} ms (p95 ${l.p95.toFixed(0)} ms) over ${l.samples} commits`,
      meets(l.max <= WATCH_INTERVAL_MS + 50 && !l.errors.length),
    ])
  }
  for (const mode of MODES) {
    trows.push([
      `idle CPU < 1 % of a core at ${WATCH_INTERVAL_MS} ms, ${mode.label}`,
      `${idle[mode.name].one.toFixed(2)} % with 1 watcher (20 watchers in one process: ${idle[mode.name].twenty.toFixed(2)} %)`,
      meets(idle[mode.name].one < 1),
    ])
  }
  for (const mode of MODES) {
    const t = sizes.reduce(
      (acc, s) => {
        const a = s.modes[mode.name].agreement
        for (const x of [a.before, a.afterCommits, a.after]) (acc.compared += x.compared), (acc.mismatches += x.mismatches)
        return acc
      },
      { compared: 0, mismatches: 0 },
    )
    trows.push([`addon answers equal the peer's on every task, ${mode.label}`, `${t.mismatches} mismatches in ${n(t.compared)} comparisons`, meets(t.mismatches === 0)])
  }
  trows.push(['no index created, nothing written by the reads', all.schemaUnchanged ? 'schema of every copy unchanged after the run' : 'schema changed', meets(all.schemaUnchanged)])
  out.push(table(['target', 'measured', ''], trows))
  out.push('')
  out.push(
    `"After a commit" targets: the worst of the sizes and of both variants (the commit to the task or tasks asked for, and elsewhere). ` +
      `Previous unchanged-database figures: ${PREVIOUS.source}; judged strictly (no allowance for noise).`,
  )
  return out.join('\n')
}

function schemaOf(dbPath) {
  return JSON.stringify(query(dbPath, `SELECT type, name, sql FROM sqlite_master ORDER BY name`))
}

async function main() {
  const started = Date.now()
  const m = machine()
  const sizes = []
  let schemaUnchanged = true
  for (const sizeName of SIZES) {
    const db = ensureDatabase(sizeName, log)
    const schema = schemaOf(db.dbPath)
    const modes = {}
    for (const mode of MODES) {
      modes[mode.name] = await measureSizeMode(sizeName, db, mode)
      log(`${sizeName}/${mode.label}: ${modes[mode.name].seconds.toFixed(0)} s`)
    }
    for (const mode of MODES) {
      if (schemaOf(modes[mode.name].dbPath) !== schema) schemaUnchanged = false
      if (journalMode(modes[mode.name].dbPath) !== mode.name) throw new Error(`${modes[mode.name].dbPath} is no longer in ${mode.name} mode`)
    }
    sizes.push({ sizeName, db, modes })
  }
  const smallest = sizes[0]
  const largest = sizes[sizes.length - 1]
  log(`memory: ${n(MEMORY_CALLS)} sync calls on the ${n(smallest.db.tasks)}-task database (WAL)`)
  const smallWal = smallest.modes.wal.dbPath
  const memory = measureMemory(smallWal, smallest.db.project, runningTaskIds(smallWal, smallest.db.project))
  log(`memory: the ${n(largest.db.tasks)}-task database (WAL)`)
  const large = measureLargeMemory(largest.modes.wal.dbPath, largest.db.project)
  const latency = {}
  const idle = {}
  for (const mode of MODES) {
    log(`watcher latency, ${mode.label}`)
    latency[mode.name] = await measureLatency(smallest.db, mode)
    log(`idle CPU (1 and 20 watchers), ${mode.label}`)
    const dbPath = smallest.modes[mode.name].dbPath
    idle[mode.name] = { one: measureIdleCpu(dbPath, smallest.db.project, 1), twenty: measureIdleCpu(dbPath, smallest.db.project, 20) }
  }
  m.loadEnd = os.loadavg()
  const all = { m, sizes, memory, large, bounds: cacheBounds(), latency, idle, schemaUnchanged, seconds: (Date.now() - started) / 1000 }
  const text = report(all)
  console.log(text)
  fs.mkdirSync(DATA_DIR, { recursive: true })
  fs.writeFileSync(path.join(DATA_DIR, `results-${SIZES.join('-')}.json`), JSON.stringify(all, null, 2))
  // Only the full run writes bench/RESULTS.md; --quick and --sizes= runs write theirs under bench/.data.
  const partial = QUICK || sizesFlag
  const header = `# Benchmark results\n\nWritten by \`npm run bench${partial ? ` -- ${process.argv.slice(2).join(' ')}` : ''}\`.\n\n`
  const out = partial ? path.join(DATA_DIR, `RESULTS-${SIZES.join('-')}.md`) : path.join(__dirname, 'RESULTS.md')
  fs.writeFileSync(out, `${header}${text}\n`)
  log(`wrote ${path.relative(REPO, out)}`)
  fs.rmSync(WORK_DIR, { recursive: true, force: true })
  log(`done in ${((Date.now() - started) / 60000).toFixed(1)} min`)
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
