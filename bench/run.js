// `npm run bench [-- --quick]`: the addon against an honest better-sqlite3
// implementation of the same rules, against spawning the CLI per call, and
// against a raw rusqlite read of the same rows; plus memory over 1M calls,
// watcher latency and idle CPU. Prints a table and writes bench/RESULTS.md.
'use strict'

const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { execFileSync, spawn, spawnSync } = require('node:child_process')
const readline = require('node:readline')
const Database = require('better-sqlite3')

const addon = require('..')
const { ensureDatabase } = require('./generate')
const { HistoryPeer } = require('./peer/history-peer')
const { agreement } = require('./agreement')
const { timeSync, timeAsync, compare, percentile, formatTime, formatRatio } = require('./measure')

const REPO = path.join(__dirname, '..')
const QUICK = process.argv.includes('--quick')
const SIZES = QUICK ? ['quick'] : ['small', 'large']
const MIN_MS = QUICK ? 300 : 1500
const MEMORY_CALLS = QUICK ? 100_000 : 1_000_000
const SPAWNS = QUICK ? 5 : 20
const LATENCY_SAMPLES = QUICK ? 10 : 40
const IDLE_SECONDS = QUICK ? 3 : 10
const WATCH_INTERVAL_MS = 250
const ALL_STATUSES = ['QUEUED', 'BLOCKED', 'IN_PROGRESS', 'DONE', 'IN_REVIEW', 'REWORK', 'COMPLETED', 'CANCELLED', 'SKIPPED', 'REJECTED', 'INTERRUPTED', 'ESCALATED', 'WAITING_INPUT']

const log = (...a) => console.error('·', ...a)

function buildRawExample() {
  log('building the raw rusqlite example (cargo build --release --example raw_read)')
  execFileSync('cargo', ['build', '--quiet', '--release', '--example', 'raw_read'], { cwd: REPO, stdio: 'inherit' })
  return path.join(REPO, 'target', 'release', 'examples', process.platform === 'win32' ? 'raw_read.exe' : 'raw_read')
}

function runningTaskIds(dbPath, project) {
  const db = new Database(dbPath, { readonly: true })
  const ids = db.prepare(`SELECT id FROM tasks WHERE project_id = ? AND status = 'IN_PROGRESS' ORDER BY id`).pluck().all(project)
  db.close()
  return ids
}

async function measureSize(sizeName, rawBinary) {
  const db = ensureDatabase(sizeName, log)
  const { dbPath, project, order } = db
  const opts = { dbPath }
  const peer = new HistoryPeer(dbPath)
  const running = runningTaskIds(dbPath, project)
  log(`${sizeName}: ${db.tasks} tasks, ${db.historyRows} history rows; ${running.length} running in ${project}, order ${order} has ${db.orderTasks} tasks`)

  const agree = agreement(addon, peer, project, dbPath, ALL_STATUSES)
  log(`agreement on all ${agree.compared} tasks of ${project}: ${agree.mismatches} mismatches`)

  const rows = []
  const row = (operation, addonUs, peerUs, note = '') => rows.push({ operation, addonUs, peerUs, ratio: peerUs / addonUs, note })

  // Each call asks for the next running task, as an app polling its running tasks does.
  // Addon and peer are timed in alternating rounds (see compare()).
  const next = (i) => running[i % running.length]
  const [single, singlePeer] = await compare(
    (o) => timeSync((i) => addon.getTaskExecutionStepSync(project, next(i), opts), o),
    (o) => timeSync((i) => peer.task(project, next(i)), o),
    { minMs: MIN_MS * 2 },
  )
  row('single call (sync)', single, singlePeer)

  const inFlight = running.length
  const [asyncUs, asyncPeer] = await compare(
    (o) => timeAsync(() => Promise.all(running.map((id) => addon.getTaskExecutionStep(project, id, opts))), inFlight, o),
    // better-sqlite3 has no asynchronous API: the peer answers the same calls one after another.
    (o) => timeSync(() => running.forEach((id) => peer.task(project, id)), { ...o, warmup: 2 }) / inFlight,
    { minMs: MIN_MS * 2 },
  )
  row(`${inFlight} async calls in flight (per call)`, asyncUs, asyncPeer, 'peer: same calls, sequential')

  const [batch, batchPeer] = await compare(
    (o) => timeSync(() => addon.getMultipleTasksExecutionStepsSync(project, opts), { ...o, warmup: 5 }),
    (o) => timeSync(() => peer.tasksByStatus(project), { ...o, warmup: 5 }),
    { minMs: MIN_MS * 2 },
  )
  row(`batch: all ${running.length} running tasks`, batch, batchPeer)

  const orderOpts = { dbPath, orderId: order, statusFilter: ALL_STATUSES }
  const [orderBatch, orderPeer] = await compare(
    (o) => timeSync(() => addon.getMultipleTasksExecutionStepsSync(project, orderOpts), { ...o, warmup: 5 }),
    (o) => timeSync(() => peer.tasksOfOrder(project, order, ALL_STATUSES), { ...o, warmup: 5 }),
    { minMs: MIN_MS * 2 },
  )
  row(`batch: one order (${db.orderTasks} tasks)`, orderBatch, orderPeer)

  // The same right after another connection committed (an unrelated row, so the
  // answers stay the same): the addon cannot answer from its memo and reads again.
  const writer = new Database(dbPath)
  writer.pragma('synchronous = OFF')
  // a value that differs each time: SQLite commits nothing for an update that changes nothing
  let commitNo = 0
  const bump = writer.prepare(`UPDATE projects SET updated_at = datetime('now', ? || ' seconds') WHERE id = 'docs_site'`)
  const commit = { run: () => bump.run(String(++commitNo)) }
  // Alternating: each addon call and each peer call right after its own commit.
  const afterCommit = (addonCall, peerCall, calls) => {
    let [a, b] = [0n, 0n]
    for (let i = 0; i < calls; i++) {
      commit.run()
      let started = process.hrtime.bigint()
      addonCall(i)
      a += process.hrtime.bigint() - started
      commit.run()
      started = process.hrtime.bigint()
      peerCall(i)
      b += process.hrtime.bigint() - started
    }
    return [Number(a) / 1000 / calls, Number(b) / 1000 / calls]
  }
  const commits = QUICK ? 50 : 300
  row(
    'single call, after a commit',
    ...afterCommit((i) => addon.getTaskExecutionStepSync(project, next(i), opts), (i) => peer.task(project, next(i)), commits),
  )
  row(
    `batch: running tasks, after a commit`,
    ...afterCommit(() => addon.getMultipleTasksExecutionStepsSync(project, opts), () => peer.tasksByStatus(project), commits / 5),
  )
  row(
    `batch: one order, after a commit`,
    ...afterCommit(
      () => addon.getMultipleTasksExecutionStepsSync(project, orderOpts),
      () => peer.tasksOfOrder(project, order, ALL_STATUSES),
      commits / 5,
    ),
  )
  writer.close()
  peer.close()

  // The old integration: a process per call.
  const cli = path.join(REPO, 'bin', 'aipm-steps.js')
  const started = process.hrtime.bigint()
  for (let i = 0; i < SPAWNS; i++) {
    const r = spawnSync(process.execPath, [cli, project, running[i % running.length], '--db', dbPath, '--json'], { encoding: 'utf8' })
    if (r.status !== 0) throw new Error(`CLI failed: ${r.stderr}`)
  }
  const spawnUs = Number(process.hrtime.bigint() - started) / 1000 / SPAWNS

  const raw = JSON.parse(
    execFileSync(rawBinary, [dbPath, project, running[0], order, String(QUICK ? 2000 : 20000)], { encoding: 'utf8' }).trim(),
  )
  return { sizeName, db, agree, rows, single, spawnUs, raw }
}

/** 1M (or 100k with --quick) sync calls in a fresh process: RSS after a warm-up, and after. */
function measureMemory(dbPath, project, ids) {
  const out = execFileSync(
    process.execPath,
    ['--expose-gc', path.join(__dirname, 'memory.js'), dbPath, project, String(MEMORY_CALLS), ...ids],
    { encoding: 'utf8' },
  )
  return JSON.parse(out.trim())
}

/**
 * Change→callback latency: another process commits a status change, as a worker
 * does; how long from its commit returning to the listener being called.
 * Both sides read the same wall clock (`performance.timeOrigin + performance.now()`).
 */
async function measureLatency(db) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aipm-bench-watch-'))
  fs.mkdirSync(path.join(dir, 'data'))
  const dbPath = path.join(dir, 'data', 'aipm.db')
  fs.copyFileSync(db.dbPath, dbPath)
  const ids = runningTaskIds(dbPath, db.project)
  const writer = spawn(process.execPath, [path.join(__dirname, 'latency-writer.js'), dbPath], { stdio: ['pipe', 'pipe', 'inherit'] })
  const committed = readline.createInterface({ input: writer.stdout })
  const nextCommit = () => new Promise((resolve) => committed.once('line', (line) => resolve(Number(line))))
  const wallMs = () => performance.timeOrigin + performance.now()

  let waiting = null
  const watcher = addon.watchExecutionSteps(db.project, { dbPath, taskIds: ids, intervalMs: WATCH_INTERVAL_MS }, (err, changes) => {
    if (err) throw err
    if (waiting && changes.some((c) => c.taskId === waiting.id && c.current.status === waiting.to)) {
      waiting.resolve(wallMs())
      waiting = null
    }
  })
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
  await sleep(WATCH_INTERVAL_MS * 4) // past the first report of every task
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
  return { samples: samples.length, p50: percentile(samples, 50), p95: percentile(samples, 95), max: samples[samples.length - 1] }
}

function measureIdleCpu(db, watchers) {
  const out = execFileSync(
    process.execPath,
    [path.join(__dirname, 'idle-cpu.js'), db.dbPath, db.project, String(watchers), String(WATCH_INTERVAL_MS), String(IDLE_SECONDS)],
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
  return { model, cores: cpus.length, node: process.version, platform: `${os.platform()} ${os.arch()}`, date: new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC' }
}

function table(headers, rows) {
  const lines = [`| ${headers.join(' | ')} |`, `|${headers.map(() => '---').join('|')}|`]
  for (const r of rows) lines.push(`| ${r.join(' | ')} |`)
  return lines.join('\n')
}

function report(results, memory, latency, idle, m) {
  const meets = (ok) => (ok ? 'met' : '**missed**')
  const out = []
  out.push(`Machine: ${m.model}, ${m.cores} cores, ${m.platform}, Node ${m.node}; ${m.date}${QUICK ? ' (--quick)' : ''}`)
  for (const r of results) {
    const d = r.db
    out.push('')
    out.push(`### ${d.tasks.toLocaleString('en')} tasks / ${d.historyRows.toLocaleString('en')} history rows (${d.projects} projects, ${d.orders} orders, ${d.lockRows} file locks)`)
    out.push('')
    const rows = r.rows.map((x) => [x.operation, formatTime(x.addonUs), formatTime(x.peerUs), formatRatio(x.ratio), x.note])
    rows.push(['spawning the CLI per call', formatTime(r.single), formatTime(r.spawnUs), formatRatio(r.spawnUs / r.single), 'peer column: `node bin/aipm-steps.js … --json`'])
    out.push(table(['operation', 'addon', 'peer (better-sqlite3)', 'addon faster by', 'note'], rows))
    out.push('')
    const raw = r.raw
    const rawRow = (name, op) => [
      name,
      formatTime(raw[`raw_${op}_miss_us`]),
      formatTime(raw[`core_${op}_miss_us`]),
      formatRatio(raw[`core_${op}_miss_us`] / raw[`raw_${op}_miss_us`]),
      formatTime(raw[`core_${op}_us`]),
    ]
    out.push(
      table(
        ['in Rust, same process', 'raw rusqlite read (after a commit)', 'StepTracker (after a commit)', 'overhead', 'StepTracker, unchanged DB (memo)'],
        [rawRow('one task', 'single'), rawRow(`running tasks (${raw.batch_tasks})`, 'batch'), rawRow(`one order (${raw.order_tasks})`, 'order')],
      ),
    )
    out.push('')
    out.push(
      `SQL statements per read: ${raw.statements_single} for one task, ${raw.statements_batch} for ${raw.batch_tasks} running tasks, ${raw.statements_order} for an order of ${raw.order_tasks}. ` +
        `Peer agrees with the addon on ${r.agree.compared - r.agree.mismatches}/${r.agree.compared} tasks (${r.agree.mismatches} mismatches${r.agree.example ? `; e.g. ${r.agree.example}` : ''}).`,
    )
  }
  const small = results[0]
  const worst = (i) => Math.min(...results.map((r) => r.rows[i].ratio))
  const [singleRatio, batchRatio, orderRatio] = [worst(0), worst(2), worst(3)]
  const [singleMiss, batchMiss, orderMiss] = [worst(4), worst(5), worst(6)]
  const fixed = results.every((r) => r.raw.statements_single === r.raw.statements_batch && r.raw.statements_batch === r.raw.statements_order)
  out.push('')
  out.push('### Memory and live updates')
  out.push('')
  out.push(
    table(
      ['measure', 'result'],
      [
        [`RSS over ${memory.calls.toLocaleString('en')} sync calls (after warm-up)`, `${memory.beforeMb.toFixed(1)} MB → ${memory.afterMb.toFixed(1)} MB (${memory.growthMb >= 0 ? '+' : ''}${memory.growthMb.toFixed(1)} MB, ${memory.seconds.toFixed(1)} s)`],
        [`change→callback latency, ${WATCH_INTERVAL_MS} ms interval (${latency.samples} commits)`, `p50 ${latency.p50.toFixed(0)} ms, p95 ${latency.p95.toFixed(0)} ms, max ${latency.max.toFixed(0)} ms`],
        [`idle CPU, 1 watcher at ${WATCH_INTERVAL_MS} ms (${small.db.tasks.toLocaleString('en')}-task DB)`, `${idle.one.toFixed(2)} % of a core`],
        [`idle CPU, 20 watchers at ${WATCH_INTERVAL_MS} ms`, `${idle.twenty.toFixed(2)} % of a core`],
      ],
    ),
  )
  out.push('')
  out.push('### Targets')
  out.push('')
  out.push(
    table(
      ['target', 'measured', ''],
      [
        ['single call ≥ 5× faster than the better-sqlite3 peer: unchanged database (polling)', `${formatRatio(singleRatio)} (worst size)`, meets(singleRatio >= 5)],
        ['… right after a commit (both read)', `${formatRatio(singleMiss)} (worst size)`, meets(singleMiss >= 5)],
        ['batch ≥ 3× faster than the set-based peer: unchanged database', `${formatRatio(Math.min(batchRatio, orderRatio))} (worst of running / order, worst size)`, meets(Math.min(batchRatio, orderRatio) >= 3)],
        ['… right after a commit (both read)', `${formatRatio(Math.min(batchMiss, orderMiss))} (worst of running / order, worst size)`, meets(Math.min(batchMiss, orderMiss) >= 3)],
        ['fixed number of SQL statements whatever the task count', fixed ? `yes (${small.raw.statements_batch} for 1 task or ${Math.max(...results.map((r) => r.raw.batch_tasks))})` : 'no', meets(fixed)],
        ['RSS growth < 20 MB over 1M calls', `${memory.growthMb.toFixed(1)} MB over ${memory.calls.toLocaleString('en')}`, meets(memory.growthMb < 20)],
        [`change→callback ≤ interval + 50 ms (${WATCH_INTERVAL_MS + 50} ms)`, `p95 ${latency.p95.toFixed(0)} ms, max ${latency.max.toFixed(0)} ms`, meets(latency.p95 <= WATCH_INTERVAL_MS + 50)],
        ['idle CPU < 1 % of a core at 250 ms', `${idle.one.toFixed(2)} % (1 watcher), ${idle.twenty.toFixed(2)} % (20)`, meets(idle.one < 1)],
        ['no index created in the user database', 'reads are read-only connections; the bench DB schema is checked unchanged', meets(true)],
      ],
    ),
  )
  return out.join('\n')
}

function schemaOf(dbPath) {
  const db = new Database(dbPath, { readonly: true })
  const sql = db.prepare(`SELECT type, name, sql FROM sqlite_master ORDER BY name`).all()
  db.close()
  return JSON.stringify(sql)
}

async function main() {
  const m = machine()
  const rawBinary = buildRawExample()
  const results = []
  const schemas = []
  for (const size of SIZES) {
    const db = ensureDatabase(size, log)
    const schema = schemaOf(db.dbPath)
    results.push(await measureSize(size, rawBinary))
    schemas.push([db.dbPath, schema])
  }
  const small = results[0].db
  log(`memory: ${MEMORY_CALLS.toLocaleString('en')} sync calls`)
  const memory = measureMemory(small.dbPath, small.project, runningTaskIds(small.dbPath, small.project))
  log('watcher latency')
  const latency = await measureLatency(small)
  log('idle CPU (1 and 20 watchers)')
  const idle = { one: measureIdleCpu(small, 1), twenty: measureIdleCpu(small, 20) }
  for (const [dbPath, schema] of schemas) {
    if (schemaOf(dbPath) !== schema) throw new Error(`the schema of ${dbPath} changed during the benchmark`)
  }
  const text = report(results, memory, latency, idle, m)
  console.log(text)
  if (!QUICK) fs.writeFileSync(path.join(__dirname, 'RESULTS.md'), `# Benchmark results\n\nWritten by \`npm run bench\`.\n\n${text}\n`)
  else fs.writeFileSync(path.join(__dirname, '.data', 'RESULTS-quick.md'), `${text}\n`)
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
