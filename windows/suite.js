'use strict'
// The Windows test suite, on node:test. windows/run.js runs it under Wine with
// Windows Node.js (node.exe 20 and 22), loading the Windows x64 build through
// the package's own index.js (NAPI_RS_NATIVE_LIBRARY_PATH), so every call
// passes this process's `process.env` as the app's would:
//
//   node.exe --test-reporter=spec --test-reporter-destination=stdout
//            --test-reporter=tap --test-reporter-destination=<file.tap> windows\suite.js
//   (env: AIPM_WIN_APPDATA, AIPM_WIN_ANSWERS)
//
// and reads the counts of passed, failed and skipped tests from the TAP file.
// AIPM_WIN_APPDATA is an empty Roaming folder with a Japanese path; the suite
// builds everything in it itself (the bundled sample, worker and review logs
// rewritten with CRLF). AIPM_WIN_ANSWERS is where it writes its answers for
// the comparison with the Linux build (windows/answers.js).
//
// The suite also runs on Linux against the Linux build, which is the quick way
// to work on it: `node windows/suite.js` (or `node --test windows/suite.js`).
// Without AIPM_WIN_APPDATA it builds its folder in a temporary directory and
// removes it at the end; what only Windows can show is skipped with the reason.
// Tests run one after another, in the order written: later ones use the
// folder, the database and the changes the earlier ones made.
const { describe, test, before, after } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { spawn } = require('node:child_process')
const { isDeepStrictEqual } = require('node:util')
const { Worker } = require('node:worker_threads')
const { collect, timeless, PROJECT, ORDER, TASKS, EARLIER_ORDER, EARLIER_TASKS } = require('./answers')

// Users are in Japan; run.js sets the same zone for Windows Node.
process.env.TZ ??= 'Asia/Tokyo'

const WINDOWS = process.platform === 'win32'
/** Why a check that only Windows can make is skipped elsewhere (false on Windows). */
const WINDOWS_ONLY = !WINDOWS && `Windows only (this is ${process.platform}-${process.arch}; npm run test:windows runs it)`
const ROOT = path.join(__dirname, '..')
/** Without run.js (a run on Linux): a Roaming folder of our own under a Japanese name, removed at the end. */
const TEMP = !process.env.AIPM_WIN_APPDATA && fs.mkdtempSync(path.join(os.tmpdir(), 'aipm-windows-suite-'))
const ROAMING = process.env.AIPM_WIN_APPDATA || path.join(TEMP, '佐藤', 'AppData', 'Roaming')
const ANSWERS = process.env.AIPM_WIN_ANSWERS || path.join(TEMP, 'answers.json')
const UD = path.join(ROAMING, 'ai-pm-manager-v2')
const DB = path.join(UD, 'data', 'aipm.db')
const LOGS = path.join(UD, 'PROJECTS', PROJECT, 'RESULT', ORDER, 'LOGS')
const EARLIER_LOGS = path.join(UD, 'PROJECTS', PROJECT, 'RESULT', EARLIER_ORDER, 'LOGS')
const REVIEWS = path.join(UD, 'logs', 'review_workers')
const ENV_DEFAULTS = ['AIPM_DB_PATH', 'AI_PM_USERDATA', 'APPDATA']
/** The sample's IN_PROGRESS tasks: the default filter of batches and watchers. */
const IN_PROGRESS = ['TASK_1031', 'TASK_1032', 'TASK_1033', 'TASK_1034', 'TASK_1044']
const VERSION = process.versions.node
/** For tests that wait on something (children, watchers, other connections): a hang fails the test, not the run. */
const WAITS = { timeout: 60000 }

/** The package as the app loads it; every test needs it, so a failure to load fails them all with its reason. */
let addon
before(() => {
  console.log(`windows suite: node ${VERSION} ${process.platform}-${process.arch}, TZ=${process.env.TZ}, user data in ${UD}`)
  if (TEMP) fs.mkdirSync(ROAMING, { recursive: true })
  addon = require(ROOT)
})
after(() => {
  if (TEMP) fs.rmSync(TEMP, { recursive: true, force: true })
})

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

/** The newest worker log of a task (the current attempt's). */
function logOf(taskId) {
  const names = fs.readdirSync(LOGS).filter((f) => f.startsWith(`worker_${taskId}_`)).sort()
  assert.ok(names.length, `a worker log of ${taskId}`)
  return path.join(LOGS, names[names.length - 1])
}

/** Minutes between an RFC 3339 time and now. */
const minutesAgo = (rfc3339) => (Date.now() - Date.parse(rfc3339)) / 60000

/** The sample's "now" (createSampleDatabase writes everything up to it) lies between these, in ms: set by the fixture. */
const SAMPLE_NOW = { from: NaN, to: NaN }

/**
 * Asserts that `rfc3339` is `seconds` before the sample's "now", to the second
 * the database and the logs keep: exact however slowly Wine got here.
 */
function assertBeforeSample(rfc3339, seconds, what) {
  const t = Date.parse(rfc3339)
  const [from, to] = [SAMPLE_NOW.from - seconds * 1000 - 2000, SAMPLE_NOW.to - seconds * 1000 + 1000]
  assert.ok(from <= t && t <= to, `${what}: ${seconds} s before the sample's now (${new Date(from).toISOString()} … ${new Date(to).toISOString()}), got ${rfc3339}`)
}

/** A result without its estimate, which moves as time passes (docs/behaviour.md, "Estimate"). */
function withoutEta(info) {
  if (!info) return info
  const { eta, ...rest } = info
  return rest
}

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

/** Runs node.exe with `args`; resolves to { code, stdout, stderr, ms } (pipes between Windows processes work under Wine). */
function runNode(args, env, timeoutMs = 60000) {
  return new Promise((resolve, reject) => {
    const t0 = Date.now()
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
      resolve({ code, stdout, stderr, ms: Date.now() - t0 })
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

/** Collects a watcher's listener calls. */
function listen() {
  const calls = []
  const listener = (err, changes) => calls.push({ err, changes, at: Date.now() })
  const changes = () => calls.flatMap((c) => c.changes)
  const errors = () => calls.filter((c) => c.err).map((c) => `${c.err.code}: ${c.err.message}`)
  return { calls, listener, changes, errors }
}

/** node:sqlite, Node's built-in SQLite (22.13+ without a flag), standing in for the app's better-sqlite3; or why not. */
const SQLITE = (() => {
  try {
    return { sqlite: require('node:sqlite') }
  } catch (e) {
    return { why: `node:sqlite is not available in Node ${VERSION} (${e.code || e.message}); it needs Node 22.13+` }
  }
})()

describe('loading', () => {
  test('runs in Windows x64 Node.js', { skip: WINDOWS_ONLY }, () => {
    assert.equal(process.platform, 'win32')
    assert.equal(process.arch, 'x64')
    assert.ok(process.env.AIPM_WIN_APPDATA && process.env.AIPM_WIN_ANSWERS, 'AIPM_WIN_APPDATA and AIPM_WIN_ANSWERS are set')
    assert.match(ROAMING, /^[A-Z]:\\/, 'a Windows path')
    assert.ok(/[^\x00-\x7f]/.test(ROAMING), 'the user-data path is not ASCII')
  })

  test('index.js loads the build through native.js (on Windows: the one NAPI_RS_NATIVE_LIBRARY_PATH names)', () => {
    const override = process.env.NAPI_RS_NATIVE_LIBRARY_PATH
    if (WINDOWS) assert.ok(override && override.endsWith('.node'), `NAPI_RS_NATIVE_LIBRARY_PATH=${override}`)
    const binding = require(path.join(ROOT, 'native.js'))
    assert.equal(binding.__napiBindingTarget, 'native')
    if (override) assert.equal(binding.getTaskExecutionStepSync, require(override).getTaskExecutionStepSync, 'native.js loaded the override')
    for (const name of [
      'getTaskExecutionStep', 'getTaskExecutionStepSync', 'getMultipleTasksExecutionSteps',
      'getMultipleTasksExecutionStepsSync', 'getStepDurationStats', 'getStepDurationStatsSync',
      'formatExecutionStepDisplay', 'formatExecutionStepJson', 'watchExecutionSteps', 'recordExecutionStep',
      'createSampleDatabase', 'stepOfSubStep',
    ]) {
      assert.equal(typeof addon[name], 'function', name)
    }
    for (const name of ['watchSession', 'watchSessionTick', 'watchSessionInterval', 'watchSessionClose']) {
      assert.equal(typeof binding[name], 'function', `the native ${name} index.js drives watchers with`)
    }
    assert.deepEqual(addon.EXECUTION_STEPS.map((s) => s.step), [
      'get_task_info', 'assign_worker', 'file_lock', 'execute_task', 'create_report', 'update_status_done', 'auto_review',
    ])
    assert.deepEqual(addon.EXECUTION_STEPS.map((s) => s.progressPercent), [14, 28, 42, 57, 71, 85, 100])
    assert.equal(addon.EXECUTION_STEPS[3].display, 'AI実行')
    assert.equal(addon.stepOfSubStep('self_verification'), 'execute_task')
    assert.equal(addon.stepOfSubStep('next_task'), null)
  })
})

describe('fixture', () => {
  test('createSampleDatabase builds the user-data folder (WAL, worker and review logs) under a Japanese path', () => {
    assert.ok(!fs.existsSync(UD), `${UD} starts empty`)
    SAMPLE_NOW.from = Date.now()
    const db = addon.createSampleDatabase(UD)
    SAMPLE_NOW.to = Date.now()
    assert.equal(db, DB)
    const header = fs.readFileSync(DB).subarray(0, 20)
    assert.equal(header.subarray(0, 16).toString('latin1'), 'SQLite format 3\0')
    assert.deepEqual([header[18], header[19]], [2, 2], 'WAL, as the app keeps it')
    const logs = fs.readdirSync(LOGS)
    assert.equal(logs.length, 11, `worker logs: ${logs}`)
    for (const f of logs) assert.match(f, /^worker_TASK_10\d\d_\d{8}_\d{6}\.log$/)
    assert.equal(logs.filter((f) => f.startsWith('worker_TASK_1044_')).length, 2, 'the crashed attempt and the retry')
    // ORDER_118, the history: one launch each (its reworks ran inside the review worker), every task reviewed.
    const earlier = fs.readdirSync(EARLIER_LOGS).sort()
    assert.deepEqual(earlier.map((f) => f.replace(/_\d{8}_\d{6}\.log$/, '')), EARLIER_TASKS.map((t) => `worker_${t}`))
    const reviewed = [...EARLIER_TASKS, 'TASK_1035', 'TASK_1036', 'TASK_1038', 'TASK_1039', 'TASK_1043']
    assert.deepEqual(fs.readdirSync(REVIEWS).sort(), reviewed.map((t) => `${t}_review.log`))
    assert.equal(codeOf(() => addon.createSampleDatabase(UD)), 'ERR_INVALID_ARG', 'refuses to overwrite')
  })

  test('worker logs and review logs rewritten with CRLF line ends, as on Windows', () => {
    const files = [LOGS, EARLIER_LOGS, REVIEWS].flatMap((dir) => fs.readdirSync(dir).map((f) => path.join(dir, f)))
    for (const file of files) {
      const stat = fs.statSync(file)
      const text = fs.readFileSync(file, 'utf8')
      fs.writeFileSync(file, text.replace(/\r?\n/g, '\r\n'))
      // Keep the times the sample gave them: a log's modification time is evidence too.
      fs.utimesSync(file, stat.atime, stat.mtime)
      const crlf = fs.readFileSync(file, 'utf8')
      assert.ok(crlf.includes('\r\n') && !/[^\r]\n/.test(crlf), `${path.basename(file)} is CRLF throughout`)
    }
  })
})

describe('queries', () => {
  test('an IN_PROGRESS task is read from its CRLF worker log, times in local time with the offset', () => {
    const info = addon.getTaskExecutionStepSync(PROJECT, 'TASK_1031', { dbPath: DB })
    assert.equal(info.status, 'IN_PROGRESS')
    assert.equal(info.source, 'log')
    assert.equal(info.currentStep, 'execute_task')
    assert.equal(info.stepIndex, 3)
    assert.equal(info.progressPercent, 57)
    assert.equal(info.assignee, 'Worker A')
    assert.equal(info.error, null)
    assert.equal(addon.formatExecutionStepDisplay(info), '[4/7] AI実行中 (57%)')
    assert.equal(addon.formatExecutionStepDisplay(info, 'en'), '[4/7] Run AI (57%)')
    const started = new Date(info.startedAt)
    assert.ok(info.startedAt.endsWith(localOffset(started)), `${info.startedAt} has the local offset ${localOffset(started)}`)
    assert.ok(Math.abs(minutesAgo(info.startedAt) - 6) < 2, `started about 6 minutes ago: ${info.startedAt}`)
  })

  test('the verbose timeline of a CRLF log has no stray CR', () => {
    const info = addon.getTaskExecutionStepSync(PROJECT, 'TASK_1031', { dbPath: DB, verbose: true })
    assert.equal(info.steps.length, 7)
    assert.deepEqual(info.completedSteps.map((s) => s.step), ['get_task_info', 'assign_worker', 'file_lock'])
    assert.equal(info.steps[3].status, 'in_progress')
    assert.equal(info.steps[3].endedAt, null)
    assert.ok(info.steps[0].status === 'completed' && info.steps[0].durationMs >= 0)
    assert.deepEqual(info.steps.slice(4).map((s) => s.status), ['pending', 'pending', 'pending'])
    assert.ok(!JSON.stringify(info).includes('\\r'), 'no CR anywhere in the answer')
    const json = JSON.parse(addon.formatExecutionStepJson(info))
    assert.equal(json.current_step, 'execute_task')
    assert.equal(json.progress_percent, 57)
  })

  test("a failed run's message and step, without a stray CR", () => {
    const info = addon.getTaskExecutionStepSync(PROJECT, 'TASK_1040', { dbPath: DB })
    assert.equal(info.status, 'ESCALATED')
    assert.equal(info.currentStep, null)
    assert.equal(info.progressPercent, 71)
    assert.equal(info.failedStep, 'create_report')
    assert.ok(info.error && info.error.startsWith('REPORT作成不可'), info.error)
    assert.ok(!/[\r\n]/.test(info.error), JSON.stringify(info.error))
    assert.ok(info.error.endsWith('。'), JSON.stringify(info.error))
    assert.equal(addon.formatExecutionStepDisplay(info), `エラー: ${info.error}`)
  })

  test('recorded events outrank the log; locks alone say execute_task; not running; missing task', () => {
    const recorded = addon.getTaskExecutionStepSync(PROJECT, 'TASK_1034', { dbPath: DB })
    assert.equal(recorded.source, 'recorded')
    assert.equal(recorded.currentStep, 'update_status_done')
    const locked = addon.getTaskExecutionStepSync(PROJECT, 'TASK_1033', { dbPath: DB })
    assert.deepEqual([locked.source, locked.currentStep], ['history', 'execute_task'])
    const queued = addon.getTaskExecutionStepSync(PROJECT, 'TASK_1037', { dbPath: DB, locale: 'en' })
    assert.equal(queued.currentStep, null)
    assert.equal(queued.stepIndex, -1)
    assert.equal(queued.currentStepDisplay, 'Not running')
    assert.equal(addon.formatExecutionStepDisplay(queued, 'ja'), '[QUEUED] 実行中でない')
    const missing = addon.getTaskExecutionStepSync(PROJECT, 'TASK_9999', { dbPath: DB })
    assert.equal(missing.error, 'タスクが見つかりません: TASK_9999')
    assert.equal(missing.stepIndex, -1)
    assert.equal(addon.getTaskExecutionStepSync(PROJECT, 'TASK_9999', { dbPath: DB, locale: 'en' }).error, 'Task not found: TASK_9999')
  })

  test('a DONE task under review (CRLF review log) is running: [7/7] 自動レビュー中 (100%)', () => {
    const info = addon.getTaskExecutionStepSync(PROJECT, 'TASK_1038', { dbPath: DB, verbose: true })
    assert.equal(info.status, 'DONE')
    assert.equal(info.source, 'log')
    assert.equal(info.currentStep, 'auto_review')
    assert.equal(info.stepIndex, 6)
    assert.equal(info.progressPercent, 100)
    assert.equal(info.steps[6].status, 'in_progress')
    assert.equal(addon.formatExecutionStepDisplay(info), '[7/7] 自動レビュー中 (100%)')
    assert.equal(addon.formatExecutionStepDisplay(info, 'en'), '[7/7] Auto review (100%)')
    // startedAt is the move into DONE (docs/behaviour.md, "Attempts"), not the review's start: the
    // sample's worker run, launched 9 min before, ends in DONE after 308 s (Pace::default: 1 + 1 + 1
    // + 300 + 4 + 1), 232 s before the sample's now; its review began 40 s before.
    assertBeforeSample(info.startedAt, 9 * 60 - 308, 'the move into DONE')
  })

  test('the rework run in a CRLF review log: REWORK running in execute_task; rejected and waiting; reworked DONE', () => {
    const rework = addon.getTaskExecutionStepSync(PROJECT, 'TASK_1035', { dbPath: DB, verbose: true })
    assert.deepEqual([rework.status, rework.source, rework.currentStep, rework.progressPercent], ['REWORK', 'log', 'execute_task', 57])
    assert.equal(addon.formatExecutionStepDisplay(rework), '[4/7] AI実行中 (57%)')
    // startedAt is the move into REWORK (docs/behaviour.md, "Attempts"): the sample's first run,
    // launched 20 min before, ends in DONE after 308 s; 20 s later the review, whose model call takes
    // 60 s, rejects it (DONE→REWORK) and the rework run begins in the same second: 812 s before now.
    assertBeforeSample(rework.startedAt, 20 * 60 - 308 - 20 - 60, 'the move into REWORK, not the first run')
    assert.deepEqual(rework.completedSteps.map((s) => s.step), ['get_task_info', 'assign_worker', 'file_lock'])
    const waiting = addon.getTaskExecutionStepSync(PROJECT, 'TASK_1036', { dbPath: DB })
    assert.deepEqual([waiting.status, waiting.currentStep, waiting.stepIndex, waiting.progressPercent], ['REWORK', null, -1, 0])
    assert.equal(addon.formatExecutionStepDisplay(waiting), '[REWORK] 実行中でない')
    const reworked = addon.getTaskExecutionStepSync(PROJECT, 'TASK_1043', { dbPath: DB })
    assert.deepEqual([reworked.status, reworked.currentStep, reworked.progressPercent], ['DONE', null, 100])
    assert.equal(addon.formatExecutionStepDisplay(reworked, 'en'), '[DONE] Not running')
    const approved = addon.getTaskExecutionStepSync(PROJECT, 'TASK_1039', { dbPath: DB })
    assert.deepEqual([approved.status, approved.currentStep, approved.progressPercent], ['COMPLETED', null, 100])
  })

  test("a crash-recovered retry is read from the new attempt's log, not the dead one's", () => {
    const info = addon.getTaskExecutionStepSync(PROJECT, 'TASK_1044', { dbPath: DB })
    assert.deepEqual([info.status, info.source, info.currentStep, info.progressPercent], ['IN_PROGRESS', 'log', 'assign_worker', 28])
    assert.ok(Math.abs(minutesAgo(info.startedAt) - 2) < 1.5, `the retry began 2 minutes ago (the dead attempt 15): ${info.startedAt}`)
  })

  test('batch: the IN_PROGRESS tasks, most recently updated first; an order and statuses; stats per step', () => {
    const batch = addon.getMultipleTasksExecutionStepsSync(PROJECT, { dbPath: DB })
    assert.deepEqual(Object.keys(batch).sort(), IN_PROGRESS)
    // Most recently updated is tasks.updated_at (docs/behaviour.md, "Tables read"), the backend's
    // last write of each: TASK_1034 and TASK_1033 started by hand 1 and 3 min before, TASK_1044
    // relaunched 2 min before, TASK_1031 and TASK_1032 launched 6 and 12 min before. (lastUpdated,
    // the latest evidence, is another order: TASK_1032's worker has written its log since.)
    assert.deepEqual(Object.keys(batch), ['TASK_1034', 'TASK_1044', 'TASK_1033', 'TASK_1031', 'TASK_1032'])
    const everything = addon.getMultipleTasksExecutionStepsSync(PROJECT, { dbPath: DB, orderId: ORDER, statusFilter: ['REWORK', 'DONE'] })
    assert.deepEqual(Object.keys(everything).sort(), ['TASK_1035', 'TASK_1036', 'TASK_1038', 'TASK_1043'])
    const some = addon.getMultipleTasksExecutionStepsSync(PROJECT, { dbPath: DB, taskIds: ['TASK_1038', 'TASK_1042', 'TASK_9999'] })
    assert.deepEqual(Object.keys(some).sort(), ['TASK_1038', 'TASK_1042'])
    const stats = addon.getStepDurationStatsSync(PROJECT, { dbPath: DB, orderId: ORDER })
    assert.deepEqual(stats.map((s) => s.step), addon.EXECUTION_STEPS.map((s) => s.step))
    const count = (all, step) => all.find((s) => s.step === step).count
    assert.ok(count(stats, 'execute_task') >= 3, JSON.stringify(stats))
    assert.ok(count(stats, 'auto_review') >= 1, 'finished reviews count')
    // The whole project's counts hold ORDER_118's runs and reviews (each of its 30 tasks reviewed) too.
    const project = addon.getStepDurationStatsSync(PROJECT, { dbPath: DB })
    assert.deepEqual(project.map((s) => s.step), addon.EXECUTION_STEPS.map((s) => s.step))
    assert.ok(count(project, 'execute_task') >= count(stats, 'execute_task') + EARLIER_TASKS.length, JSON.stringify(project))
    assert.ok(count(project, 'auto_review') >= count(stats, 'auto_review') + EARLIER_TASKS.length, JSON.stringify(project))
  })

  test("every running task has an estimate of its end from the project's history (ORDER_118); the others none", () => {
    const before = Date.now()
    const order = addon.getMultipleTasksExecutionStepsSync(PROJECT, { dbPath: DB, orderId: ORDER, statusFilter: [] })
    const after = Date.now()
    assert.deepEqual(Object.keys(order).sort(), TASKS)
    const running = Object.values(order).filter((info) => info.currentStep !== null)
    assert.deepEqual(running.map((i) => i.taskId).sort(), [...IN_PROGRESS, 'TASK_1035', 'TASK_1038'].sort())
    for (const info of Object.values(order)) {
      const { taskId, eta } = info
      if (info.currentStep === null) {
        assert.equal(eta, null, `${taskId} is not running`)
        assert.equal(addon.formatRemaining(info), '')
        continue
      }
      assert.ok(eta && eta.basisRuns >= 9, `${taskId}: ${JSON.stringify(eta)}`)
      for (const t of [eta.expectedEndAt, eta.lowAt, eta.highAt]) {
        assert.ok(t.endsWith(localOffset(new Date(t))), `${taskId}: ${t} has the local offset`)
      }
      assert.ok(Date.parse(eta.lowAt) <= Date.parse(eta.highAt), `${taskId}: ${JSON.stringify(eta)}`)
      // overdue once past highAt, at the moment of the call.
      if (Date.parse(eta.highAt) < before - 1000) assert.equal(eta.overdue, true, `${taskId}: ${JSON.stringify(eta)}`)
      if (Date.parse(eta.highAt) > after + 1000) assert.equal(eta.overdue, false, `${taskId}: ${JSON.stringify(eta)}`)
      assert.match(addon.formatRemaining(info), /^(残り|予定超過$)/, taskId)
      assert.match(addon.formatRemaining(info, 'en'), / left$|^overdue$/, taskId)
    }
  })

  test('async calls give what their Sync twins give, many at once', WAITS, async () => {
    const o = { dbPath: DB, verbose: true }
    const [one, many, stats] = await Promise.all([
      addon.getTaskExecutionStep(PROJECT, 'TASK_1032', o),
      addon.getMultipleTasksExecutionSteps(PROJECT, o),
      addon.getStepDurationStats(PROJECT, { dbPath: DB }),
    ])
    assert.deepEqual(timeless(one), timeless(addon.getTaskExecutionStepSync(PROJECT, 'TASK_1032', o)))
    assert.deepEqual(timeless(many), timeless(addon.getMultipleTasksExecutionStepsSync(PROJECT, o)))
    assert.deepEqual(stats, addon.getStepDurationStatsSync(PROJECT, { dbPath: DB }))
    const ids = Array.from({ length: 28 }, (_, i) => TASKS[i % TASKS.length])
    const burst = await Promise.all(ids.map((id) => addon.getTaskExecutionStep(PROJECT, id, { dbPath: DB })))
    assert.deepEqual(burst.map((i) => i.taskId), ids)
    for (const info of burst) assert.deepEqual(timeless(info), timeless(addon.getTaskExecutionStepSync(PROJECT, info.taskId, { dbPath: DB })))
  })
})

describe('errors', () => {
  test('a missing database is ERR_DB_NOT_FOUND (sync and async), names the path, and is not created', WAITS, async () => {
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
    assert.ok(rejected.message.includes(missing), rejected.message)
    assert.equal((await rejection(addon.getTaskExecutionStep(PROJECT, 'TASK_1031', { dbPath: missing }))).code, 'ERR_DB_NOT_FOUND')
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
    assert.equal(codeOf(() => addon.getTaskExecutionStepSync(PROJECT, 'TASK_1', { dbPath: dir })), 'ERR_DB_NOT_FOUND', 'a folder')
    assert.equal(fs.statSync(empty).size, 0, 'the empty file stays empty')
    for (const args of [[], [42, 'TASK_1'], [PROJECT, 'TASK_1', { dbPath: DB, locale: 'fr' }], [PROJECT, 'TASK_1', { dbPath: DB, busyTimeoutMs: -1 }]]) {
      assert.equal(codeOf(() => addon.getTaskExecutionStepSync(...args)), 'ERR_INVALID_ARG', JSON.stringify(args))
    }
    assert.equal(codeOf(() => addon.watchExecutionSteps(PROJECT, { dbPath: DB }, 'not a function')), 'ERR_INVALID_ARG')
  })
})

describe('defaults', () => {
  test('%APPDATA% default: process.env.APPDATA set here reaches the addon through index.js (sync, async, batch)', { ...WAITS, skip: WINDOWS_ONLY }, async () => {
    const expected = timeless(addon.getTaskExecutionStepSync(PROJECT, 'TASK_1032', { dbPath: DB }))
    await withEnv({ APPDATA: ROAMING }, async () => {
      assert.deepEqual(timeless(addon.getTaskExecutionStepSync(PROJECT, 'TASK_1032')), expected)
      assert.deepEqual(timeless(await addon.getTaskExecutionStep(PROJECT, 'TASK_1032')), expected)
      assert.deepEqual(Object.keys(addon.getMultipleTasksExecutionStepsSync(PROJECT)).sort(), IN_PROGRESS)
      assert.ok((await addon.getStepDurationStats(PROJECT)).length === 7)
    })
    const elsewhere = path.join(ROAMING, '空のフォルダ')
    fs.mkdirSync(elsewhere, { recursive: true })
    await withEnv({ APPDATA: elsewhere }, async () => {
      let err
      try {
        addon.getTaskExecutionStepSync(PROJECT, 'TASK_1032')
      } catch (e) {
        err = e
      }
      assert.equal(err && err.code, 'ERR_DB_NOT_FOUND')
      assert.ok(err.message.includes(path.join(elsewhere, 'ai-pm-manager-v2', 'data', 'aipm.db')), err.message)
      assert.equal((await rejection(addon.getTaskExecutionStep(PROJECT, 'TASK_1032'))).code, 'ERR_DB_NOT_FOUND')
    })
    await withEnv({}, () => {
      assert.equal(codeOf(() => addon.getTaskExecutionStepSync(PROJECT, 'TASK_1032')), 'ERR_DB_NOT_FOUND', 'no APPDATA, no default')
    })
  })

  test('AI_PM_USERDATA and AIPM_DB_PATH outrank %APPDATA%', WAITS, async () => {
    const expected = timeless(addon.getTaskExecutionStepSync(PROJECT, 'TASK_1032', { dbPath: DB }))
    const nowhere = path.join(ROAMING, '空のフォルダ')
    await withEnv({ APPDATA: nowhere, AI_PM_USERDATA: UD }, () => {
      assert.deepEqual(timeless(addon.getTaskExecutionStepSync(PROJECT, 'TASK_1032')), expected)
    })
    await withEnv({ APPDATA: nowhere, AI_PM_USERDATA: nowhere, AIPM_DB_PATH: DB }, () => {
      assert.deepEqual(timeless(addon.getTaskExecutionStepSync(PROJECT, 'TASK_1032')), expected)
    })
  })

  test('%APPDATA% default in a spawned node.exe whose environment sets it', { ...WAITS, skip: WINDOWS_ONLY }, async () => {
    const expected = timeless(addon.getTaskExecutionStepSync(PROJECT, 'TASK_1038', { dbPath: DB, verbose: true }))
    const script = `
      const addon = require(process.argv[1])
      const info = addon.getTaskExecutionStepSync('${PROJECT}', 'TASK_1038', { verbose: true })
      process.stdout.write(JSON.stringify({ appdata: process.env.APPDATA, info }))`
    const r = await runNode(['-e', script, ROOT], childEnv({ APPDATA: ROAMING }))
    assert.equal(r.code, 0, r.stderr)
    const out = JSON.parse(r.stdout)
    assert.equal(out.appdata, ROAMING)
    assert.deepEqual(timeless(out.info), expected)
  })

  test("a worker thread loads the addon through index.js; its own process.env's APPDATA is the default there", { ...WAITS, skip: WINDOWS_ONLY }, async () => {
    const expected = timeless(addon.getTaskExecutionStepSync(PROJECT, 'TASK_1041', { dbPath: DB, verbose: true }))
    const code = `
      const { parentPort, workerData } = require('worker_threads')
      const addon = require(workerData.root)
      const info = addon.getTaskExecutionStepSync('${PROJECT}', 'TASK_1041', { verbose: true })
      addon.getTaskExecutionStep('${PROJECT}', 'TASK_1041', { verbose: true }).then((later) => parentPort.postMessage({ info, later, appdata: process.env.APPDATA }))`
    const got = await withEnv({}, () =>
      new Promise((resolve, reject) => {
        // The main thread has no APPDATA now; the worker's environment has one.
        const w = new Worker(code, { eval: true, workerData: { root: ROOT }, env: { ...process.env, APPDATA: ROAMING } })
        w.once('message', resolve)
        w.once('error', reject)
      }),
    )
    assert.equal(got.appdata, ROAMING)
    assert.deepEqual(timeless(got.info), expected)
    assert.deepEqual(timeless(got.later), expected)
  })
})

describe('writing, watching', () => {
  test('recordExecutionStep: the recorded step wins; a recorded failure; bad steps, events and tasks are refused', () => {
    addon.recordExecutionStep(PROJECT, 'TASK_1032', 'update_status_done', 'start', { dbPath: DB, detail: 'ステータス更新中' })
    const info = addon.getTaskExecutionStepSync(PROJECT, 'TASK_1032', { dbPath: DB })
    assert.equal(info.source, 'recorded')
    assert.equal(info.currentStep, 'update_status_done')
    assert.equal(info.stepIndex, 5)
    assert.equal(addon.formatExecutionStepDisplay(info), '[6/7] 完了処理中 (85%)')
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

  test('several node.exe worker processes recording at once all land (Windows file locking between processes)', WAITS, async () => {
    const ud = path.join(ROAMING, '並行記録')
    const db = addon.createSampleDatabase(ud)
    const script = `
      const addon = require(process.argv[1])
      for (let i = 0; i < 25; i++) {
        addon.recordExecutionStep('${PROJECT}', 'TASK_1031', 'execute_task', 'info', { dbPath: process.argv[2], detail: 'p' + process.pid + ' #' + i, busyTimeoutMs: 30000 })
      }`
    const runs = await Promise.all([0, 1, 2].map(() => runNode(['-e', script, ROOT, db], childEnv({}))))
    assert.deepEqual(runs.map((r) => r.code), [0, 0, 0], runs.map((r) => r.stderr).join('\n'))
    addon.recordExecutionStep(PROJECT, 'TASK_1031', 'create_report', 'start', { dbPath: db })
    const info = addon.getTaskExecutionStepSync(PROJECT, 'TASK_1031', { dbPath: db })
    assert.deepEqual([info.source, info.currentStep], ['recorded', 'create_report'])
    if (SQLITE.sqlite) {
      const check = new SQLITE.sqlite.DatabaseSync(db, { readOnly: true })
      try {
        assert.equal(check.prepare("SELECT count(*) AS n FROM task_step_events WHERE task_id = 'TASK_1031'").get().n, 3 * 25 + 1)
        assert.equal(check.prepare('PRAGMA integrity_check').get().integrity_check, 'ok')
      } finally {
        check.close()
      }
    }
  })

  test('watchExecutionSteps (index.js): the first batch, a change after a CRLF log write, a change after recordExecutionStep, nothing after close()', WAITS, async () => {
    const l = listen()
    const watcher = addon.watchExecutionSteps(PROJECT, { dbPath: DB, intervalMs: 50 }, l.listener)
    try {
      assert.equal(watcher.closed, false)
      const first = await until('the first batch', () => l.calls[0])
      assert.equal(first.err, null)
      assert.deepEqual(first.changes.map((c) => c.taskId).sort(), IN_PROGRESS)
      assert.ok(first.changes.every((c) => c.previous === null && c.current.taskId === c.taskId && c.projectId === PROJECT))
      await sleep(300)
      // A running task's eta moves as time passes (docs/behaviour.md, "Estimate"), and the watcher
      // reports it: while nothing else changes, only such eta-only changes.
      const others = l.calls.slice(1).flatMap((c) => c.changes).filter((c) => !isDeepStrictEqual(withoutEta(c.previous), withoutEta(c.current)))
      assert.deepEqual(others, [], 'nothing but eta moves while nothing changes')

      // The worker of TASK_1031 finishes the AI step and starts the report (CRLF, as on Windows).
      const stamp = localStamp()
      fs.appendFileSync(logOf('TASK_1031'), `${stamp} [INFO] [execute_task] success: \r\n${stamp} [INFO] [create_report] start: \r\n`)
      const moved = await until('the change of TASK_1031', () => l.changes().find((c) => c.taskId === 'TASK_1031' && c.current.currentStep === 'create_report'))
      assert.equal(moved.previous.currentStep, 'execute_task')
      assert.equal(moved.current.stepIndex, 4)

      const t0 = Date.now()
      addon.recordExecutionStep(PROJECT, 'TASK_1033', 'create_report', 'start', { dbPath: DB })
      const recorded = await until('the change of TASK_1033', () => l.changes().find((c) => c.taskId === 'TASK_1033' && c.current.source === 'recorded'))
      assert.equal(recorded.previous.currentStep, 'execute_task')
      assert.equal(recorded.current.currentStep, 'create_report')
      assert.ok(Date.now() - t0 < 5000, 'heard within a few ticks')
      assert.deepEqual(l.errors(), [])
    } finally {
      watcher.close()
    }
    assert.equal(watcher.closed, true)
    watcher.close()
    const n = l.calls.length
    addon.recordExecutionStep(PROJECT, 'TASK_1033', 'update_status_done', 'start', { dbPath: DB })
    fs.appendFileSync(logOf('TASK_1031'), `${localStamp()} [INFO] [create_report] success: 05_REPORT/REPORT.md\r\n`)
    await sleep(400)
    assert.equal(l.calls.length, n, 'nothing after close()')
  })

  test('a watcher never keeps node.exe alive: a child that never closes its watcher exits by itself after its first batch', WAITS, async () => {
    // Under Wine the child may tick again before it is gone; the running tasks' eta may have moved
    // by then (docs/behaviour.md, "Estimate"), which it reports as 'eta only'.
    const script = `
      const { isDeepStrictEqual } = require('util')
      const addon = require(process.argv[1])
      const bare = (info) => info && Object.fromEntries(Object.entries(info).filter(([k]) => k !== 'eta'))
      let first = true
      addon.watchExecutionSteps('${PROJECT}', { dbPath: process.argv[2], intervalMs: 20 }, (err, changes) => {
        const moved = changes && changes.filter((c) => !isDeepStrictEqual(bare(c.previous), bare(c.current)))
        console.log(err ? 'error ' + err.code : first || moved.length ? 'changes ' + changes.length : 'eta only')
        first = false
      })`
    const r = await runNode(['-e', script, ROOT, DB], childEnv({}), 30000)
    assert.equal(r.code, 0, r.stderr)
    const [head, ...later] = r.stdout.trim().split(/\r?\n/)
    assert.equal(head, `changes ${IN_PROGRESS.length}`)
    assert.deepEqual(later.filter((line) => line !== 'eta only'), [], 'after its first batch nothing but eta moves')
  })

  test('the CLI (bin/aipm-steps.js): JSON, list, exit codes', WAITS, async () => {
    const cli = path.join(ROOT, 'bin', 'aipm-steps.js')
    const env = childEnv({})
    const one = await runNode([cli, PROJECT, 'TASK_1040', '--db', DB, '--json'], env)
    assert.equal(one.code, 0, one.stderr)
    const json = JSON.parse(one.stdout)
    assert.equal(json.task_id, 'TASK_1040')
    assert.equal(json.failed_step, 'create_report')
    assert.equal(json.steps.length, 7)
    const review = JSON.parse((await runNode([cli, PROJECT, 'TASK_1038', '--db', DB, '--json'], env)).stdout)
    assert.deepEqual([review.current_step, review.progress_percent], ['auto_review', 100])
    const list = await runNode([cli, 'list', PROJECT, '--db', DB, '--json'], env)
    assert.equal(list.code, 0, list.stderr)
    assert.deepEqual(Object.keys(JSON.parse(list.stdout)).sort(), IN_PROGRESS)
    const none = await runNode([cli, PROJECT, 'TASK_9999', '--db', DB, '--json'], env)
    assert.equal(none.code, 1)
    const gone = await runNode([cli, PROJECT, 'TASK_1031', '--db', path.join(ROAMING, '存在しない', 'aipm.db'), '--json'], env)
    assert.equal(gone.code, 3)
  })

  test('the CLI finds the database through %APPDATA%', { ...WAITS, skip: WINDOWS_ONLY }, async () => {
    const byAppData = await runNode([path.join(ROOT, 'bin', 'aipm-steps.js'), PROJECT, 'TASK_1038', '--json'], childEnv({ APPDATA: ROAMING }))
    assert.equal(byAppData.code, 0, byAppData.stderr)
    assert.equal(JSON.parse(byAppData.stdout).current_step, 'auto_review')
  })
})

// ---------------------------------------------------------------- same process as the app's SQLite (issue 12)
//
// node:sqlite stands in for the app's better-sqlite3: a second copy of SQLite
// in this process, holding a read-write connection for its life (and
// AipmDbService's read-only one). On Windows both copies use SQLite's own
// locking (LockFileEx, per handle): nothing the addon does may release or
// take over a lock of the app's.

/** Another process: a child node.exe with node:sqlite (busy timeout 300 ms, like the Jest suite's Python workers). */
const PROBE = `
  const { DatabaseSync } = require('node:sqlite')
  const db = new DatabaseSync(process.argv[1])
  db.exec('PRAGMA busy_timeout = 300')
  try {
    if (process.argv[2] === 'checkpoint') {
      console.log(String(db.prepare('PRAGMA wal_checkpoint(TRUNCATE)').get().busy))
    } else {
      db.exec('BEGIN IMMEDIATE')
      db.exec("UPDATE tasks SET title = title || '!' WHERE id = 'TASK_1032'")
      db.exec('COMMIT')
      console.log('wrote')
    }
  } catch (e) {
    console.log(/locked|busy/i.test(e.message) ? 'refused ' + e.message : 'error ' + e.message)
  }
  db.close()`

async function otherProcess(db, what = 'write') {
  const r = await runNode(['--no-warnings', '-e', PROBE, db, what], childEnv({}))
  const answer = r.stdout.trim()
  if (r.code !== 0 || answer.startsWith('error') || !answer) throw new Error(`the other process failed: ${r.stdout}${r.stderr}`)
  return answer
}

/** The app in `mode` on a fresh sample, its connections open, and a watcher of the addon's ticking every 10 ms. */
async function appScene(name, mode) {
  const { DatabaseSync } = SQLITE.sqlite
  const ud = path.join(ROAMING, name)
  const db = addon.createSampleDatabase(ud)
  const app = new DatabaseSync(db)
  app.exec('PRAGMA busy_timeout = 5000') // better-sqlite3's default, as the app has it
  assert.equal(app.prepare(`PRAGMA journal_mode = ${mode}`).get().journal_mode, mode.toLowerCase())
  const appReadOnly = new DatabaseSync(db, { readOnly: true })
  assert.equal(appReadOnly.prepare('SELECT count(*) AS n FROM tasks WHERE order_id = ?').get(ORDER).n, TASKS.length)
  // The addon has connections open before the app starts writing.
  assert.equal(addon.getTaskExecutionStepSync(PROJECT, 'TASK_1031', { dbPath: db }).assignee, 'Worker A')
  const l = listen()
  const watcher = addon.watchExecutionSteps(PROJECT, { dbPath: db, intervalMs: 10 }, l.listener)
  await until("the watcher's first batch", () => l.calls.length)
  const close = () => {
    watcher.close()
    try {
      app.exec('ROLLBACK') // a test that failed mid-transaction
    } catch {}
    app.close()
    appReadOnly.close()
  }
  return { app, appReadOnly, db, l, close }
}

/** Everything the addon does while the app holds something: sync, 16 async in flight, the watcher ticking for a while. */
async function addonBusy(db) {
  const o = { dbPath: db, busyTimeoutMs: 5000 }
  const answers = [addon.getTaskExecutionStepSync(PROJECT, 'TASK_1031', o), addon.getMultipleTasksExecutionStepsSync(PROJECT, o).TASK_1031]
  const inFlight = await Promise.all(
    Array.from({ length: 16 }, (_, i) =>
      i % 2 ? addon.getTaskExecutionStep(PROJECT, 'TASK_1031', o) : addon.getMultipleTasksExecutionSteps(PROJECT, o).then((all) => all.TASK_1031),
    ),
  )
  await sleep(150) // the watcher ticks about ten times
  return [...answers, ...inFlight].map((info) => info.assignee)
}

describe("same process as the app's SQLite (issue 12)", () => {
  for (const mode of ['WAL', 'DELETE']) {
    const journal = mode === 'WAL' ? 'WAL (as the app keeps it)' : 'rollback journal (DELETE)'

    test(
      `same process, ${journal}: the app's BEGIN IMMEDIATE keeps its lock while the addon reads (sync, 16 async, watcher) and tries to record; its COMMIT succeeds`,
      { ...WAITS, skip: SQLITE.why },
      async () => {
        const s = await appScene(`同一プロセス-${mode}-write`, mode)
        try {
          s.app.exec('BEGIN IMMEDIATE')
          s.app.exec("UPDATE tasks SET assignee = 'Worker B' WHERE id = 'TASK_1031'")
          assert.match(await otherProcess(s.db), /^refused database is locked/, 'another process is refused the write lock')

          const seen = await addonBusy(s.db)
          assert.deepEqual([...new Set(seen)], ['Worker A'], 'the addon reads the last commit, never the pending change')
          // Recording waits for the app's write lock and gives up with a code: never two writers.
          const t0 = Date.now()
          assert.equal(codeOf(() => addon.recordExecutionStep(PROJECT, 'TASK_1032', 'execute_task', 'start', { dbPath: s.db, busyTimeoutMs: 200 })), 'ERR_DB_BUSY')
          assert.ok(Date.now() - t0 >= 150, `it waited for its busy timeout (${Date.now() - t0} ms)`)
          assert.match(await otherProcess(s.db), /^refused database is locked/, "after the addon's reads and its attempt to record, the app's lock still holds")

          s.app.exec('COMMIT') // no SQLITE_BUSY, no SQLITE_PROTOCOL: no lock lost or taken over
          assert.equal(await otherProcess(s.db), 'wrote', 'after the commit another process can write')
          assert.equal(addon.getTaskExecutionStepSync(PROJECT, 'TASK_1031', { dbPath: s.db }).assignee, 'Worker B', 'the commit is seen')
          // A step beyond its log's create_report: within an attempt the step never moves back
          // (docs/behaviour.md, "Which source speaks"), so a recorded execute_task would not speak.
          addon.recordExecutionStep(PROJECT, 'TASK_1032', 'update_status_done', 'start', { dbPath: s.db })
          const recorded = addon.getTaskExecutionStepSync(PROJECT, 'TASK_1032', { dbPath: s.db })
          assert.deepEqual([recorded.source, recorded.currentStep], ['recorded', 'update_status_done'])
          s.app.exec("UPDATE tasks SET title = 'after' WHERE id = 'TASK_1037'") // the app writes on
          assert.equal(s.app.prepare('PRAGMA integrity_check').get().integrity_check, 'ok')
          assert.equal(s.app.prepare("SELECT count(*) AS n FROM task_step_events WHERE task_id = 'TASK_1032'").get().n, 1)
          await until("the watcher's report of the commit", () => s.l.changes().some((c) => c.taskId === 'TASK_1031' && c.current.assignee === 'Worker B'))
          assert.deepEqual(s.l.errors(), [])
        } finally {
          s.close()
        }
      },
    )

    test(
      `same process, ${journal}: the app's read transaction keeps its snapshot and its lock while the addon reads and watches`,
      { ...WAITS, skip: SQLITE.why },
      async () => {
        const s = await appScene(`同一プロセス-${mode}-read`, mode)
        try {
          s.app.exec("UPDATE tasks SET title = 'written by the app' WHERE id = 'TASK_1033'") // frames in the -wal
          s.app.exec('BEGIN')
          assert.equal(s.app.prepare('SELECT count(*) AS n FROM tasks WHERE order_id = ?').get(ORDER).n, TASKS.length)
          assert.deepEqual([...new Set(await addonBusy(s.db))], ['Worker A'])
          if (mode === 'WAL') {
            // A truncating checkpoint must wait for the app's reader.
            assert.equal(await otherProcess(s.db, 'checkpoint'), '1', "the app's read lock still holds")
          } else {
            assert.match(await otherProcess(s.db), /^refused database is locked/, "the app's shared lock still holds")
          }
          s.app.exec('COMMIT')
          if (mode === 'WAL') assert.equal(await otherProcess(s.db, 'checkpoint'), '0')
          else assert.equal(await otherProcess(s.db), 'wrote')
          assert.equal(s.app.prepare('PRAGMA integrity_check').get().integrity_check, 'ok')
          assert.deepEqual(s.l.errors(), [])
        } finally {
          s.close()
        }
      },
    )

    test(
      `same process, ${journal}: another writer holding the database exclusively ${mode === 'WAL' ? 'does not stop WAL reads' : 'ends a read in ERR_DB_BUSY, not a hang'}`,
      { ...WAITS, skip: SQLITE.why },
      async () => {
        const s = await appScene(`同一プロセス-${mode}-busy`, mode)
        const other = new SQLITE.sqlite.DatabaseSync(s.db)
        try {
          other.exec('PRAGMA busy_timeout = 5000') // the watcher may be reading just then
          other.exec('BEGIN EXCLUSIVE')
          const o = { dbPath: s.db, busyTimeoutMs: 50 }
          if (mode === 'DELETE') {
            assert.equal(codeOf(() => addon.getTaskExecutionStepSync(PROJECT, 'TASK_1031', o)), 'ERR_DB_BUSY')
            assert.equal((await rejection(addon.getTaskExecutionStep(PROJECT, 'TASK_1031', o))).code, 'ERR_DB_BUSY')
          } else {
            assert.equal(addon.getTaskExecutionStepSync(PROJECT, 'TASK_1031', o).status, 'IN_PROGRESS', 'WAL readers never wait for a writer')
          }
          other.exec('ROLLBACK')
          assert.equal(addon.getTaskExecutionStepSync(PROJECT, 'TASK_1031', { dbPath: s.db }).status, 'IN_PROGRESS')
          assert.equal(s.app.prepare('PRAGMA integrity_check').get().integrity_check, 'ok')
        } finally {
          other.close()
          s.close()
        }
      },
    )
  }
})

describe('what Windows does differently', () => {
  test('an open database cannot be renamed or deleted on Windows while the addon holds its connection (reported, not a failure)', { skip: WINDOWS_ONLY }, (t) => {
    const ud = path.join(ROAMING, '開いたまま')
    const db = addon.createSampleDatabase(ud)
    addon.getTaskExecutionStepSync(PROJECT, 'TASK_1031', { dbPath: db })
    let rename = 'renamed'
    try {
      fs.renameSync(db, `${db}.moved`)
      fs.renameSync(`${db}.moved`, db)
    } catch (e) {
      rename = e.code
    }
    // Either way the addon keeps answering from the file at its path.
    assert.equal(addon.getTaskExecutionStepSync(PROJECT, 'TASK_1031', { dbPath: db }).assignee, 'Worker A')
    t.diagnostic(`renaming a database the addon has read: ${rename} (SQLite opens it without FILE_SHARE_DELETE and the addon keeps its connections)`)
  })
})

describe('answers for the Linux comparison', () => {
  test('answers for the comparison with the Linux build', () => {
    const answers = collect(addon, UD)
    assert.ok(Object.keys(answers).length > 60, `${Object.keys(answers).length} answers`)
    fs.writeFileSync(ANSWERS, JSON.stringify(answers, null, 1))
  })
})
