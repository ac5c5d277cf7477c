'use strict'
// The Windows test suite: plain Node (no Jest), run by windows/run.js under
// Wine with Windows Node.js (node.exe 20 and 22), loading the Windows x64
// build through the package's own index.js (NAPI_RS_NATIVE_LIBRARY_PATH).
//
//   node.exe windows\suite.js      (env: AIPM_WIN_APPDATA, AIPM_WIN_ANSWERS)
//
// AIPM_WIN_APPDATA is an empty Roaming folder with a Japanese path; the suite
// builds everything in it itself. AIPM_WIN_ANSWERS is where it writes its
// answers for the comparison with the Linux build (windows/answers.js).
// Its last line: `windows suite (node vX.Y.Z): N passed, N failed, N skipped`.
const assert = require('assert/strict')
const fs = require('fs')
const path = require('path')
const { spawn } = require('child_process')
const { Worker } = require('worker_threads')
const { collect, timeless, PROJECT, ORDER } = require('./answers')

const ROOT = path.join(__dirname, '..')
const ROAMING = process.env.AIPM_WIN_APPDATA
const ANSWERS = process.env.AIPM_WIN_ANSWERS
const UD = ROAMING && path.join(ROAMING, 'ai-pm-manager-v2')
const DB = UD && path.join(UD, 'data', 'aipm.db')
const LOGS = UD && path.join(UD, 'PROJECTS', PROJECT, 'RESULT', ORDER, 'LOGS')
const ENV_DEFAULTS = ['AIPM_DB_PATH', 'AI_PM_USERDATA', 'APPDATA']

const tests = []
const test = (name, fn, { skip } = {}) => tests.push({ name, fn, skip })
let addon

// ---------------------------------------------------------------- helpers

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/** The `code` of what `fn` throws (or 'no error'). */
function codeOf(fn) {
  try {
    fn()
  } catch (e) {
    assert.ok(e instanceof Error, `throws an Error, not ${typeof e}`)
    return e.code
  }
  return 'no error'
}

async function rejection(promise) {
  try {
    await promise
  } catch (e) {
    assert.ok(e instanceof Error, `rejects with an Error, not ${typeof e}`)
    return e
  }
  assert.fail('expected a rejection')
}

/** `YYYY-MM-DD HH:MM:SS` in local time, as the worker writes its log lines. */
function localStamp(d = new Date()) {
  const p = (n) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`
}

/** The RFC 3339 offset (`+09:00`) of local time at `d`. */
function localOffset(d) {
  const m = -d.getTimezoneOffset()
  const p = (n) => String(Math.floor(Math.abs(n))).padStart(2, '0')
  return `${m < 0 ? '-' : '+'}${p(m / 60)}:${p(m % 60)}`
}

const logOf = (taskId) => path.join(LOGS, fs.readdirSync(LOGS).find((f) => f.startsWith(`worker_${taskId}_`)))

/** Runs `fn` with these environment defaults (undefined: removed), then restores them. */
async function withEnv(vars, fn) {
  const saved = Object.fromEntries(ENV_DEFAULTS.map((k) => [k, process.env[k]]))
  try {
    for (const k of ENV_DEFAULTS) delete process.env[k]
    for (const [k, v] of Object.entries(vars)) if (v !== undefined) process.env[k] = v
    return await fn()
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k]
      else process.env[k] = v
    }
  }
}

/** Runs node.exe with `args`; resolves to { code, stdout, stderr } (pipes between Windows processes work under Wine). */
function runNode(args, env, timeoutMs = 60000) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env, cwd: ROOT, windowsHide: true })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (s) => (stdout += s))
    child.stderr.setEncoding('utf8').on('data', (s) => (stderr += s))
    const timer = setTimeout(() => {
      child.kill()
      reject(new Error(`node ${args.join(' ')} timed out after ${timeoutMs} ms`))
    }, timeoutMs)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

/** Environment for a child node.exe: no AIPM defaults unless given. */
function childEnv(extra) {
  const env = { ...process.env }
  for (const k of ENV_DEFAULTS) delete env[k]
  return { ...env, ...extra }
}

/** Waits until `pred()` is truthy (polling), or fails after `ms`. */
async function until(what, pred, ms = 10000) {
  const end = Date.now() + ms
  for (;;) {
    const v = pred()
    if (v) return v
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`)
    await sleep(20)
  }
}

/** node:sqlite, Node's built-in SQLite (22.5+), standing in for the app's better-sqlite3. */
function nodeSqlite() {
  const [major, minor] = process.versions.node.split('.').map(Number)
  if (major < 22 || (major === 22 && minor < 5)) return null
  // eslint-disable-next-line node/no-missing-require
  return require('node:sqlite')
}
const NO_SQLITE = nodeSqlite() ? undefined : `node:sqlite needs Node 22.5+, this is ${process.version}`

// ---------------------------------------------------------------- loading

test('runs in Windows x64 Node.js', () => {
  assert.equal(process.platform, 'win32')
  assert.equal(process.arch, 'x64')
  assert.ok(ROAMING && ANSWERS, 'AIPM_WIN_APPDATA and AIPM_WIN_ANSWERS are set')
  assert.match(ROAMING, /^[A-Z]:\\/, 'a Windows path')
  assert.ok(/[^\x00-\x7f]/.test(ROAMING), 'the user-data path is not ASCII')
})

test('index.js loads the Windows build (NAPI_RS_NATIVE_LIBRARY_PATH)', () => {
  const override = process.env.NAPI_RS_NATIVE_LIBRARY_PATH
  assert.ok(override && override.endsWith('.node'), `NAPI_RS_NATIVE_LIBRARY_PATH=${override}`)
  addon = require(ROOT)
  assert.equal(addon.__napiBindingTarget, 'native')
  const direct = require(override)
  assert.equal(addon.getTaskExecutionStepSync, direct.getTaskExecutionStepSync, 'index.js exports the override binding')
  for (const name of [
    'getTaskExecutionStep', 'getTaskExecutionStepSync', 'getMultipleTasksExecutionSteps',
    'getMultipleTasksExecutionStepsSync', 'getStepDurationStats', 'getStepDurationStatsSync',
    'formatExecutionStepDisplay', 'watchExecutionSteps', 'recordExecutionStep', 'createSampleDatabase', 'stepOfSubStep',
  ]) {
    assert.equal(typeof addon[name], 'function', name)
  }
  assert.deepEqual(addon.EXECUTION_STEPS.map((s) => s.step), [
    'get_task_info', 'assign_worker', 'file_lock', 'execute_task', 'create_report', 'update_status_done', 'auto_review',
  ])
  assert.equal(addon.EXECUTION_STEPS[3].display, 'AI実行')
  assert.equal(addon.stepOfSubStep('self_verification'), 'execute_task')
  assert.equal(addon.stepOfSubStep('next_task'), null)
})

// ---------------------------------------------------------------- fixture

test('createSampleDatabase builds the user-data folder under a Japanese path', () => {
  assert.ok(!fs.existsSync(UD), `${UD} starts empty`)
  const db = addon.createSampleDatabase(UD)
  assert.equal(db, DB)
  assert.ok(fs.statSync(DB).size > 0)
  assert.equal(fs.readFileSync(DB).subarray(0, 16).toString('latin1'), 'SQLite format 3\0')
  const logs = fs.readdirSync(LOGS)
  assert.ok(logs.length >= 5, `worker logs: ${logs}`)
  for (const f of logs) assert.match(f, /^worker_TASK_\d+_\d{8}_\d{6}\.log$/)
  assert.equal(codeOf(() => addon.createSampleDatabase(UD)), 'ERR_INVALID_ARG', 'refuses to overwrite')
})

test('worker logs rewritten with CRLF line ends, as on Windows', () => {
  for (const f of fs.readdirSync(LOGS)) {
    const file = path.join(LOGS, f)
    const text = fs.readFileSync(file, 'utf8')
    fs.writeFileSync(file, text.replace(/\r?\n/g, '\r\n'))
    const crlf = fs.readFileSync(file, 'utf8')
    assert.ok(crlf.includes('\r\n') && !/[^\r]\n/.test(crlf), `${f} is CRLF throughout`)
  }
})

// ---------------------------------------------------------------- queries

test('an IN_PROGRESS task is read from its CRLF worker log', () => {
  const info = addon.getTaskExecutionStepSync(PROJECT, 'TASK_1031', { dbPath: DB })
  assert.equal(info.status, 'IN_PROGRESS')
  assert.equal(info.source, 'log')
  assert.equal(info.currentStep, 'execute_task')
  assert.equal(info.stepIndex, 3)
  assert.equal(info.progressPercent, 57)
  assert.equal(info.error, null)
  assert.equal(addon.formatExecutionStepDisplay(info), '[4/7] AI実行中 (57%)')
  assert.equal(addon.formatExecutionStepDisplay(info, 'en'), '[4/7] Run AI (57%)')
  // Local times (log lines, the backend's `T` stamps) come out with this machine's offset.
  const started = new Date(info.startedAt)
  assert.ok(info.startedAt.endsWith(localOffset(started)), `${info.startedAt} has the local offset ${localOffset(started)}`)
  assert.ok(Math.abs(Date.now() - 6 * 60000 - started.getTime()) < 5 * 60000, `started about 6 minutes ago: ${info.startedAt}`)
})

test('the verbose timeline of a CRLF log', () => {
  const info = addon.getTaskExecutionStepSync(PROJECT, 'TASK_1031', { dbPath: DB, verbose: true })
  assert.equal(info.steps.length, 7)
  assert.deepEqual(info.completedSteps.map((s) => s.step), ['get_task_info', 'assign_worker', 'file_lock'])
  assert.equal(info.steps[3].status, 'in_progress')
  assert.equal(info.steps[3].endedAt, null)
  assert.ok(info.steps[0].status === 'completed' && info.steps[0].durationMs >= 0)
  assert.deepEqual(info.steps.slice(4).map((s) => s.status), ['pending', 'pending', 'pending'])
  for (const s of info.steps) for (const v of Object.values(s)) assert.ok(typeof v !== 'string' || !v.includes('\r'), JSON.stringify(s))
})

test("a failed run's message and step, without a stray CR", () => {
  const info = addon.getTaskExecutionStepSync(PROJECT, 'TASK_1040', { dbPath: DB })
  assert.equal(info.status, 'ESCALATED')
  assert.equal(info.failedStep, 'create_report')
  assert.ok(info.error && info.error.startsWith('REPORT作成不可'), info.error)
  assert.ok(!/[\r\n]/.test(info.error), JSON.stringify(info.error))
  assert.ok(info.error.endsWith('。'), JSON.stringify(info.error))
  assert.equal(addon.formatExecutionStepDisplay(info), `エラー: ${info.error}`)
})

test('recorded events outrank the log; not running; missing task', () => {
  const recorded = addon.getTaskExecutionStepSync(PROJECT, 'TASK_1034', { dbPath: DB })
  assert.equal(recorded.source, 'recorded')
  assert.equal(recorded.currentStep, 'update_status_done')
  const queued = addon.getTaskExecutionStepSync(PROJECT, 'TASK_1037', { dbPath: DB, locale: 'en' })
  assert.equal(queued.currentStep, null)
  assert.equal(queued.stepIndex, -1)
  assert.equal(queued.currentStepDisplay, 'Not running')
  assert.equal(addon.formatExecutionStepDisplay(queued, 'ja'), '[QUEUED] 実行中でない')
  const missing = addon.getTaskExecutionStepSync(PROJECT, 'TASK_9999', { dbPath: DB })
  assert.equal(missing.error, 'タスクが見つかりません: TASK_9999')
  assert.equal(missing.stepIndex, -1)
})

test('batch: the IN_PROGRESS tasks, most recently updated first; stats per step', () => {
  const batch = addon.getMultipleTasksExecutionStepsSync(PROJECT, { dbPath: DB })
  assert.deepEqual(Object.keys(batch).sort(), ['TASK_1031', 'TASK_1032', 'TASK_1033', 'TASK_1034'])
  const times = Object.values(batch).map((i) => Date.parse(i.lastUpdated))
  assert.deepEqual(times, [...times].sort((a, b) => b - a))
  const stats = addon.getStepDurationStatsSync(PROJECT, { dbPath: DB })
  assert.deepEqual(stats.map((s) => s.step), addon.EXECUTION_STEPS.map((s) => s.step))
  assert.ok(stats.some((s) => s.count > 0))
})

test('async calls give what their Sync twins give, many at once', async () => {
  const o = { dbPath: DB, verbose: true }
  const [one, many, stats] = await Promise.all([
    addon.getTaskExecutionStep(PROJECT, 'TASK_1032', o),
    addon.getMultipleTasksExecutionSteps(PROJECT, o),
    addon.getStepDurationStats(PROJECT, { dbPath: DB }),
  ])
  assert.deepEqual(timeless(one), timeless(addon.getTaskExecutionStepSync(PROJECT, 'TASK_1032', o)))
  assert.deepEqual(timeless(many), timeless(addon.getMultipleTasksExecutionStepsSync(PROJECT, o)))
  assert.deepEqual(stats, addon.getStepDurationStatsSync(PROJECT, { dbPath: DB }))
  const burst = await Promise.all(Array.from({ length: 24 }, (_, i) => addon.getTaskExecutionStep(PROJECT, `TASK_10${31 + (i % 12)}`, { dbPath: DB })))
  assert.deepEqual(burst.map((i) => i.taskId), Array.from({ length: 24 }, (_, i) => `TASK_10${31 + (i % 12)}`))
})

// ---------------------------------------------------------------- errors

test('a missing database is ERR_DB_NOT_FOUND (sync and async), names the path, and is not created', async () => {
  const missing = path.join(ROAMING, '存在しない', 'data', 'aipm.db')
  let err
  try {
    addon.getTaskExecutionStepSync(PROJECT, 'TASK_1031', { dbPath: missing })
  } catch (e) {
    err = e
  }
  assert.ok(err instanceof Error, 'throws')
  assert.equal(err.code, 'ERR_DB_NOT_FOUND')
  assert.ok(err.message.includes(missing), err.message)
  const rejected = await rejection(addon.getMultipleTasksExecutionSteps(PROJECT, { dbPath: missing }))
  assert.equal(rejected.code, 'ERR_DB_NOT_FOUND')
  assert.equal((await rejection(addon.getStepDurationStats(PROJECT, { dbPath: missing }))).code, 'ERR_DB_NOT_FOUND')
  assert.equal(codeOf(() => addon.recordExecutionStep(PROJECT, 'TASK_1031', 'execute_task', 'start', { dbPath: missing })), 'ERR_DB_NOT_FOUND')
  assert.ok(!fs.existsSync(missing) && !fs.existsSync(path.dirname(missing)), 'nothing created')
})

test('files that are not AI PM databases, and bad arguments', () => {
  const dir = path.join(ROAMING, '壊れた', 'data')
  fs.mkdirSync(dir, { recursive: true })
  const empty = path.join(dir, 'empty.db')
  const text = path.join(dir, 'text.db')
  fs.writeFileSync(empty, '')
  fs.writeFileSync(text, 'hello, this is not sqlite\r\n'.repeat(100))
  assert.equal(codeOf(() => addon.getTaskExecutionStepSync(PROJECT, 'TASK_1', { dbPath: empty })), 'ERR_NOT_AIPM_DB')
  assert.equal(codeOf(() => addon.getTaskExecutionStepSync(PROJECT, 'TASK_1', { dbPath: text })), 'ERR_DB_CORRUPT')
  assert.equal(fs.statSync(empty).size, 0, 'the empty file stays empty')
  for (const args of [[], [42, 'TASK_1'], [PROJECT, 'TASK_1', { dbPath: DB, locale: 'fr' }], [PROJECT, 'TASK_1', { dbPath: DB, busyTimeoutMs: -1 }]]) {
    assert.equal(codeOf(() => addon.getTaskExecutionStepSync(...args)), 'ERR_INVALID_ARG', JSON.stringify(args))
  }
})

// ---------------------------------------------------------------- defaults

test('%APPDATA% default, read from process.env in this process', async () => {
  const expected = timeless(addon.getTaskExecutionStepSync(PROJECT, 'TASK_1032', { dbPath: DB }))
  await withEnv({ APPDATA: ROAMING }, async () => {
    assert.deepEqual(timeless(addon.getTaskExecutionStepSync(PROJECT, 'TASK_1032')), expected)
    assert.deepEqual(timeless(await addon.getTaskExecutionStep(PROJECT, 'TASK_1032')), expected)
    assert.deepEqual(Object.keys(addon.getMultipleTasksExecutionStepsSync(PROJECT)).sort(), ['TASK_1031', 'TASK_1032', 'TASK_1033', 'TASK_1034'])
  })
  const elsewhere = path.join(ROAMING, '空のフォルダ')
  fs.mkdirSync(elsewhere, { recursive: true })
  await withEnv({ APPDATA: elsewhere }, () => {
    let err
    try {
      addon.getTaskExecutionStepSync(PROJECT, 'TASK_1032')
    } catch (e) {
      err = e
    }
    assert.equal(err && err.code, 'ERR_DB_NOT_FOUND')
    assert.ok(err.message.includes(path.join(elsewhere, 'ai-pm-manager-v2', 'data', 'aipm.db')), err.message)
  })
})

test('AI_PM_USERDATA and AIPM_DB_PATH outrank %APPDATA%', async () => {
  const expected = timeless(addon.getTaskExecutionStepSync(PROJECT, 'TASK_1032', { dbPath: DB }))
  const nowhere = path.join(ROAMING, '空のフォルダ')
  await withEnv({ APPDATA: nowhere, AI_PM_USERDATA: UD }, () => {
    assert.deepEqual(timeless(addon.getTaskExecutionStepSync(PROJECT, 'TASK_1032')), expected)
  })
  await withEnv({ APPDATA: nowhere, AI_PM_USERDATA: nowhere, AIPM_DB_PATH: DB }, () => {
    assert.deepEqual(timeless(addon.getTaskExecutionStepSync(PROJECT, 'TASK_1032')), expected)
  })
})

test('%APPDATA% default in a spawned node.exe whose environment sets it', async () => {
  const expected = timeless(addon.getTaskExecutionStepSync(PROJECT, 'TASK_1032', { dbPath: DB, verbose: true }))
  const script = `
    const addon = require(process.argv[1])
    const info = addon.getTaskExecutionStepSync('${PROJECT}', 'TASK_1032', { verbose: true })
    process.stdout.write(JSON.stringify({ appdata: process.env.APPDATA, info }))`
  const r = await runNode(['-e', script, ROOT], childEnv({ APPDATA: ROAMING }))
  assert.equal(r.code, 0, r.stderr)
  const out = JSON.parse(r.stdout)
  assert.equal(out.appdata, ROAMING)
  assert.deepEqual(timeless(out.info), expected)
})

// ---------------------------------------------------------------- writing, watching

test('recordExecutionStep: the recorded step wins; bad steps, events and tasks are refused', () => {
  addon.recordExecutionStep(PROJECT, 'TASK_1032', 'update_status_done', 'start', { dbPath: DB, detail: 'ステータス更新中' })
  const info = addon.getTaskExecutionStepSync(PROJECT, 'TASK_1032', { dbPath: DB })
  assert.equal(info.source, 'recorded')
  assert.equal(info.currentStep, 'update_status_done')
  assert.equal(info.stepIndex, 5)
  addon.recordExecutionStep(PROJECT, 'TASK_1032', 'file_lock_release', 'failed', { dbPath: DB, detail: 'ロック解放に失敗しました' })
  const failed = addon.getTaskExecutionStepSync(PROJECT, 'TASK_1032', { dbPath: DB })
  assert.equal(failed.currentStep, 'update_status_done')
  assert.equal(failed.failedStep, 'update_status_done')
  assert.equal(failed.error, 'ロック解放に失敗しました')
  const codes = [
    ['TASK_1032', 'warp_drive', 'start'],
    ['TASK_1032', 'execute_task', 'exploded'],
    ['NO_SUCH_TASK', 'execute_task', 'start'],
  ].map(([t, s, e]) => codeOf(() => addon.recordExecutionStep(PROJECT, t, s, e, { dbPath: DB })))
  assert.deepEqual(codes, ['ERR_INVALID_ARG', 'ERR_INVALID_ARG', 'ERR_TASK_NOT_FOUND'])
})

test('watchExecutionSteps: the first batch, a change after a log write, then after a recorded step', async () => {
  const calls = []
  const watcher = addon.watchExecutionSteps(PROJECT, { dbPath: DB, intervalMs: 50 }, (err, changes) => calls.push({ err, changes }))
  try {
    const first = await until('the first batch', () => calls[0])
    assert.equal(first.err, null)
    assert.deepEqual(first.changes.map((c) => c.taskId).sort(), ['TASK_1031', 'TASK_1032', 'TASK_1033', 'TASK_1034'])
    assert.ok(first.changes.every((c) => c.previous === null && c.current.taskId === c.taskId && c.projectId === PROJECT))

    // The worker of TASK_1031 finishes the AI step and starts the report (CRLF, as on Windows).
    const stamp = localStamp()
    fs.appendFileSync(logOf('TASK_1031'), `${stamp} [INFO] [execute_task] success: \r\n${stamp} [INFO] [create_report] start: \r\n`)
    const seen = () => calls.flatMap((c) => c.changes)
    const moved = await until('the change of TASK_1031', () => seen().find((c) => c.taskId === 'TASK_1031' && c.current.currentStep === 'create_report'))
    assert.equal(moved.previous.currentStep, 'execute_task')
    assert.equal(moved.current.stepIndex, 4)

    addon.recordExecutionStep(PROJECT, 'TASK_1033', 'execute_task', 'start', { dbPath: DB })
    const recorded = await until('the change of TASK_1033', () => seen().find((c) => c.taskId === 'TASK_1033' && c.current.source === 'recorded'))
    assert.equal(recorded.current.currentStep, 'execute_task')
    assert.ok(calls.every((c) => c.err === null), 'no errors')
  } finally {
    watcher.close()
  }
  assert.equal(watcher.closed, true)
  watcher.close()
  const n = calls.length
  fs.appendFileSync(logOf('TASK_1031'), `${localStamp()} [INFO] [create_report] success: 05_REPORT/REPORT.md\r\n`)
  await sleep(400)
  assert.equal(calls.length, n, 'nothing after close()')
})

test('a worker thread loads the addon through index.js and gets the same answer', async () => {
  const expected = timeless(addon.getTaskExecutionStepSync(PROJECT, 'TASK_1041', { dbPath: DB, verbose: true }))
  const code = `
    const { parentPort, workerData } = require('worker_threads')
    const addon = require(workerData.root)
    parentPort.postMessage(addon.getTaskExecutionStepSync('${PROJECT}', 'TASK_1041', { dbPath: workerData.db, verbose: true }))`
  const got = await new Promise((resolve, reject) => {
    const w = new Worker(code, { eval: true, workerData: { root: ROOT, db: DB } })
    w.once('message', resolve)
    w.once('error', reject)
  })
  assert.deepEqual(timeless(got), expected)
})

test('the CLI (bin/aipm-steps.js) under Windows: JSON, list, exit codes', async () => {
  const cli = path.join(ROOT, 'bin', 'aipm-steps.js')
  const env = childEnv({})
  const one = await runNode([cli, PROJECT, 'TASK_1040', '--db', DB, '--json'], env)
  assert.equal(one.code, 0, one.stderr)
  const json = JSON.parse(one.stdout)
  assert.equal(json.task_id, 'TASK_1040')
  assert.equal(json.failed_step, 'create_report')
  assert.equal(json.steps.length, 7)
  const list = await runNode([cli, 'list', PROJECT, '--db', DB, '--json'], env)
  assert.equal(list.code, 0, list.stderr)
  assert.deepEqual(Object.keys(JSON.parse(list.stdout)).sort(), ['TASK_1031', 'TASK_1032', 'TASK_1033', 'TASK_1034'])
  const none = await runNode([cli, PROJECT, 'TASK_9999', '--db', DB, '--json'], env)
  assert.equal(none.code, 1)
  const gone = await runNode([cli, PROJECT, 'TASK_1031', '--db', path.join(ROAMING, '存在しない', 'aipm.db'), '--json'], env)
  assert.equal(gone.code, 3)
})

// ---------------------------------------------------------------- same process as the app's SQLite

/** A fresh sample in its own folder, opened read-write by node:sqlite as the app would. */
function appDatabase(name, journalMode) {
  const { DatabaseSync } = nodeSqlite()
  const ud = path.join(ROAMING, name)
  const db = addon.createSampleDatabase(ud)
  const app = new DatabaseSync(db)
  app.exec('PRAGMA busy_timeout = 0')
  if (journalMode) assert.equal(app.prepare(`PRAGMA journal_mode = ${journalMode}`).get().journal_mode, journalMode.toLowerCase())
  // The addon has connections open before the app starts writing.
  assert.equal(addon.getTaskExecutionStepSync(PROJECT, 'TASK_1031', { dbPath: db }).assignee, 'Worker A')
  return { app, db }
}

/** Reads during the app's open write see the committed state or are ERR_DB_BUSY, never the uncommitted change. */
async function readDuringWrite(db) {
  const outcomes = []
  const note = (info) => outcomes.push(info.TASK_1031 ? info.TASK_1031.assignee : info.assignee)
  const busy = (e) => {
    assert.equal(e.code, 'ERR_DB_BUSY', e.message)
    outcomes.push('busy')
  }
  for (let i = 0; i < 4; i++) {
    try {
      note(addon.getTaskExecutionStepSync(PROJECT, 'TASK_1031', { dbPath: db, busyTimeoutMs: 30 }))
    } catch (e) {
      busy(e)
    }
  }
  const settled = await Promise.allSettled(
    Array.from({ length: 16 }, (_, i) =>
      i % 2
        ? addon.getMultipleTasksExecutionSteps(PROJECT, { dbPath: db, busyTimeoutMs: 30 })
        : addon.getTaskExecutionStep(PROJECT, 'TASK_1031', { dbPath: db, busyTimeoutMs: 30 }),
    ),
  )
  for (const s of settled) s.status === 'fulfilled' ? note(s.value) : busy(s.reason)
  for (const o of outcomes) assert.ok(o === 'Worker A' || o === 'busy', `a read saw ${o}`)
  return outcomes
}

/** Whether another process can take the write lock right now (busy timeout 0): false while the app holds it. */
async function otherProcessCanWrite(db) {
  const script = `
    const { DatabaseSync } = require('node:sqlite')
    const db = new DatabaseSync(process.argv[1])
    db.exec('PRAGMA busy_timeout = 0')
    try { db.exec('BEGIN IMMEDIATE'); db.exec('ROLLBACK'); console.log('wrote') }
    catch (e) { console.log(/locked|busy/i.test(e.message) ? 'busy' : 'error ' + e.message) }`
  const r = await runNode(['--no-warnings', '-e', script, db], childEnv({}))
  const answer = r.stdout.trim()
  if (answer !== 'wrote' && answer !== 'busy') throw new Error(`probe failed: ${r.stdout}${r.stderr}`)
  return answer === 'wrote'
}

function checkAfterCommit(app, db) {
  assert.equal(addon.getTaskExecutionStepSync(PROJECT, 'TASK_1031', { dbPath: db }).assignee, 'Worker B', 'the commit is seen')
  assert.deepEqual(app.prepare('PRAGMA integrity_check').all().map((r) => r.integrity_check), ['ok'])
  app.close()
}

test(
  "same process, rollback journal: the app's BEGIN IMMEDIATE holds while the addon reads; its COMMIT succeeds at once",
  async () => {
    const { app, db } = appDatabase('同一プロセス-rollback', null)
    assert.equal(app.prepare('PRAGMA journal_mode').get().journal_mode, 'delete')
    app.exec('BEGIN IMMEDIATE')
    const before = await readDuringWrite(db)
    app.exec("UPDATE tasks SET assignee = 'Worker B' WHERE id = 'TASK_1031'")
    const during = await readDuringWrite(db)
    assert.equal(await otherProcessCanWrite(db), false, "the app's write lock still holds after the addon's reads")
    // busy_timeout is 0: any lock the addon still held would make this SQLITE_BUSY.
    app.exec('COMMIT')
    assert.equal(await otherProcessCanWrite(db), true, 'after the commit a worker can write')
    checkAfterCommit(app, db)
    console.log(`  # rollback journal: reads while reserved: ${summary(before)}; after the app's UPDATE: ${summary(during)}`)
  },
  { skip: NO_SQLITE },
)

test(
  "same process, WAL (as the app sets it): reads never block and see the last commit; COMMIT and checkpoint succeed",
  async () => {
    const { app, db } = appDatabase('同一プロセス-wal', 'WAL')
    app.exec('BEGIN IMMEDIATE')
    app.exec("UPDATE tasks SET assignee = 'Worker B' WHERE id = 'TASK_1031'")
    const during = await readDuringWrite(db)
    assert.ok(during.every((o) => o === 'Worker A'), `WAL reads never wait: ${summary(during)}`)
    assert.equal(await otherProcessCanWrite(db), false, "the app's write lock still holds after the addon's reads")
    app.exec('COMMIT')
    const [ckpt] = app.prepare('PRAGMA wal_checkpoint(TRUNCATE)').all()
    assert.equal(ckpt.busy, 0, `checkpoint not blocked by the addon: ${JSON.stringify(ckpt)}`)
    checkAfterCommit(app, db)
  },
  { skip: NO_SQLITE },
)

test(
  "same process: a watcher runs through the app's write; recordExecutionStep waits for the app's lock (ERR_DB_BUSY), the app's transaction intact",
  async () => {
    const { app, db } = appDatabase('同一プロセス-watch', null)
    app.exec('PRAGMA busy_timeout = 5000') // better-sqlite3's default, as in the app
    const heard = []
    const watcher = addon.watchExecutionSteps(PROJECT, { dbPath: db, intervalMs: 10 }, (err, changes) => {
      if (err) heard.push(`error ${err.code}`)
      for (const c of changes) heard.push(c.taskId)
    })
    try {
      await until('the first batch', () => heard.length)
      app.exec('BEGIN IMMEDIATE')
      app.exec("UPDATE tasks SET assignee = 'Worker B' WHERE id = 'TASK_1031'")
      const t0 = Date.now()
      assert.equal(codeOf(() => addon.recordExecutionStep(PROJECT, 'TASK_1031', 'execute_task', 'start', { dbPath: db, busyTimeoutMs: 200 })), 'ERR_DB_BUSY')
      assert.ok(Date.now() - t0 >= 150, 'it waited for its busy timeout')
      await sleep(100) // the watcher ticks meanwhile
      app.exec('COMMIT')
      await until("the watcher's report of the commit", () => heard.filter((h) => h === 'TASK_1031').length >= 2)
    } finally {
      watcher.close()
    }
    assert.deepEqual(heard.filter((h) => h.startsWith('error')), [])
    addon.recordExecutionStep(PROJECT, 'TASK_1031', 'execute_task', 'start', { dbPath: db })
    assert.equal(app.prepare("SELECT count(*) AS n FROM task_step_events WHERE task_id = 'TASK_1031'").get().n, 1)
    checkAfterCommit(app, db)
  },
  { skip: NO_SQLITE },
)

function summary(outcomes) {
  const counts = {}
  for (const o of outcomes) counts[o] = (counts[o] || 0) + 1
  return Object.entries(counts).map(([k, v]) => `${v}× ${k}`).join(', ')
}

// ---------------------------------------------------------------- answers for the Linux comparison

test('answers for the comparison with the Linux build', () => {
  const answers = collect(addon, UD)
  assert.ok(Object.keys(answers).length > 20)
  fs.writeFileSync(ANSWERS, JSON.stringify(answers, null, 1))
})

// ---------------------------------------------------------------- runner

async function main() {
  const counts = { passed: 0, failed: 0, skipped: 0 }
  console.log(`windows suite: ${process.version} ${process.platform}-${process.arch}, TZ=${process.env.TZ || '(unset)'}, user data in ${UD}`)
  for (const [i, t] of tests.entries()) {
    const n = i + 1
    if (t.skip) {
      counts.skipped++
      console.log(`ok ${n} - ${t.name} # SKIP ${t.skip}`)
      continue
    }
    // Whatever the loader test left undone, later tests cannot do without it.
    if (!addon && i > 1) {
      counts.failed++
      console.log(`not ok ${n} - ${t.name}\n  # the addon did not load`)
      continue
    }
    const t0 = Date.now()
    let timer
    try {
      await Promise.race([
        t.fn(),
        new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('timed out after 60 s')), 60000))),
      ])
      counts.passed++
      console.log(`ok ${n} - ${t.name} (${Date.now() - t0} ms)`)
    } catch (e) {
      counts.failed++
      console.log(`not ok ${n} - ${t.name}`)
      console.log(String((e && e.stack) || e).replace(/^/gm, '  # '))
    } finally {
      clearTimeout(timer)
    }
  }
  console.log(`windows suite (node ${process.version}): ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`)
  process.exitCode = counts.failed ? 1 : 0
}

main().catch((e) => {
  console.log(`windows suite (node ${process.version}): crashed: ${(e && e.stack) || e}`)
  process.exitCode = 1
})
