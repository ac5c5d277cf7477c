#!/usr/bin/env node
'use strict'
// aipm-steps: the command line of aipm-execution-steps (see README "Command line").
// Exit codes: 0 found, 1 task not found (JSON still printed), 2 usage error, 3 database error.

const { parseArgs } = require('node:util')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const steps = require('..')

const USAGE = `Usage:
  aipm-steps <project> <task> [--db PATH] [--user-data DIR] [--locale en] [--json]
  aipm-steps list <project> [--order ORDER_119] [--status IN_PROGRESS,REWORK] [--json]
  aipm-steps stats <project> [--order ORDER_119] [--since ISO-TIME] [--json]
  aipm-steps watch <project> [--order ORDER_119] [--status IN_PROGRESS,REWORK] [--interval MS]
  aipm-steps record <project> <task> <step> <event> [--detail TEXT]
  aipm-steps demo [--locale en]

Options shared by all commands: --db PATH (default: AIPM_DB_PATH, AI_PM_USERDATA,
or the app's user-data folder), --user-data DIR (where PROJECTS/ is),
--locale ja|en, --busy-timeout MS.`

class UsageError extends Error {}

const OPTIONS = {
  db: { type: 'string' },
  'user-data': { type: 'string' },
  locale: { type: 'string' },
  'busy-timeout': { type: 'string' },
  json: { type: 'boolean' },
  order: { type: 'string' },
  status: { type: 'string' },
  since: { type: 'string' },
  detail: { type: 'string' },
  interval: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  fast: { type: 'boolean' },
}

/** A result as the seed's script printed it: its JSON, snake_case keys (docs/behaviour.md, "Command line"). */
function seedJson(info) {
  return JSON.parse(steps.formatExecutionStepJson(info))
}

/** Step statistics under the CLI's snake_case names. */
function statsJson(s) {
  return {
    step: s.step,
    display: s.display,
    count: s.count,
    mean_ms: s.meanMs,
    p50_ms: s.p50Ms,
    p95_ms: s.p95Ms,
    max_ms: s.maxMs,
    slowest: s.slowest.map((r) => ({ task_id: r.taskId, duration_ms: r.durationMs })),
  }
}

/** An ORDER's progress under the CLI's snake_case names. */
function orderJson(o) {
  return {
    project_id: o.projectId,
    order_id: o.orderId,
    total: o.total,
    running: o.running,
    waiting: o.waiting,
    finished: o.finished,
    stopped: o.stopped,
    inactive: o.inactive,
    failed: o.failed,
    percent: o.percent,
    expected_end_at: o.expectedEndAt,
  }
}

function printJson(value) {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`)
}

function commonOptions(values) {
  const options = {}
  if (values.db !== undefined) options.dbPath = values.db
  if (values['user-data'] !== undefined) options.userDataDir = values['user-data']
  if (values.locale !== undefined) {
    if (values.locale !== 'ja' && values.locale !== 'en') throw new UsageError(`--locale must be ja or en, got ${values.locale}`)
    options.locale = values.locale
  }
  if (values['busy-timeout'] !== undefined) {
    const ms = Number(values['busy-timeout'])
    if (!Number.isFinite(ms) || ms < 0) throw new UsageError(`--busy-timeout must be a number of milliseconds`)
    options.busyTimeoutMs = ms
  }
  return options
}

function expectArgs(positionals, count, what) {
  if (positionals.length !== count) throw new UsageError(`expected ${what}`)
}

function showOne(values, [project, task]) {
  const info = steps.getTaskExecutionStepSync(project, task, { ...commonOptions(values), verbose: true })
  printJson(seedJson(info))
  return info.status === null ? 1 : 0
}

function showList(values, [project]) {
  const options = { ...commonOptions(values), verbose: true }
  if (values.order) options.orderId = values.order
  if (values.status) options.statusFilter = values.status.split(',').map((s) => s.trim()).filter(Boolean)
  const infos = steps.getMultipleTasksExecutionStepsSync(project, options)
  if (values.json) {
    // keys are task ids, kept as they are
    printJson(Object.fromEntries(Object.entries(infos).map(([id, info]) => [id, seedJson(info)])))
    return 0
  }
  const rows = Object.values(infos)
  if (rows.length === 0) {
    process.stdout.write('(no tasks)\n')
    return 0
  }
  const width = Math.max(...rows.map((i) => i.taskId.length))
  for (const info of rows) {
    const line = steps.formatExecutionStepDisplay(info, options.locale)
    const left = steps.formatRemaining(info, options.locale)
    const who = info.assignee ? `  ${info.assignee}` : ''
    process.stdout.write(`${info.taskId.padEnd(width)}  ${line}${left ? `  ${left}` : ''}${who}  (${info.source})\n`)
  }
  if (values.order) process.stdout.write(`${formatOrder(steps.getOrderProgressSync(project, values.order, commonOptions(values)), options.locale)}\n`)
  return 0
}

/** One line on an ORDER: `ORDER_119  54%  7 running, 3 waiting, 2 finished, 2 stopped (1 failed)  running tasks end ~13:55`. */
function formatOrder(order, locale) {
  const en = locale === 'en'
  const words = en
    ? { running: 'running', waiting: 'waiting', finished: 'finished', stopped: 'stopped', inactive: 'inactive' }
    : { running: '実行中', waiting: '待機', finished: '完了', stopped: '停止', inactive: '対象外' }
  const parts = Object.entries(words)
    .filter(([key]) => order[key] > 0)
    .map(([key, word]) => (en ? `${order[key]} ${word}` : `${word} ${order[key]}`))
  const failed = order.failed ? (en ? ` (${order.failed} failed)` : `（失敗 ${order.failed}）`) : ''
  const end = order.expectedEndAt ? `  ${en ? 'running tasks end' : '実行中タスク終了予定'} ~${clock(order.expectedEndAt)}` : ''
  return `${order.orderId}  ${order.percent}%  ${parts.join(en ? ', ' : '、') || (en ? 'no tasks' : 'タスクなし')}${failed}${end}`
}

/** `HH:MM` of an RFC 3339 instant, in this machine's zone. */
function clock(instant) {
  const d = new Date(instant)
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`
}

function showStats(values, [project]) {
  const options = commonOptions(values)
  if (values.order) options.orderId = values.order
  if (values.since) options.since = values.since
  const stats = steps.getStepDurationStatsSync(project, options)
  if (values.json) {
    printJson(stats.map(statsJson))
    return 0
  }
  process.stdout.write(formatStatsTable(stats))
  process.stdout.write(`\n${formatCalibration(steps.getEstimateCalibrationSync(project, commonOptions(values)))}`)
  return 0
}

/** How the remaining-time estimate did on the project's finished runs (getEstimateCalibration). */
function formatCalibration(kinds) {
  if (kinds.length === 0) return 'remaining-time estimate: not calibrated yet (fewer than 10 finished runs of each kind)\n'
  const lines = ['remaining-time estimate, each finished run left out and estimated from the others:', '  kind     runs  estimates  median error  naive median error  band held the end']
  for (const k of kinds) {
    const cols = [k.kind.padEnd(7), String(k.runs).padStart(5), String(k.estimates).padStart(10), seconds(k.medianAbsErrorMs).padStart(13), seconds(k.naiveMedianAbsErrorMs).padStart(19), `${(k.coverage * 100).toFixed(0)}%`.padStart(18)]
    lines.push(`  ${cols.join(' ')}`)
  }
  lines.push('  (the band [lowAt, highAt] is meant to hold the real end 80 % of the time)')
  return `${lines.join('\n')}\n`
}

function seconds(ms) {
  return ms >= 60000 ? `${(ms / 60000).toFixed(1)}m` : `${(ms / 1000).toFixed(1)}s`
}

function formatStatsTable(stats) {
  const longest = Math.max(1, ...stats.map((s) => s.meanMs))
  const label = Math.max(...stats.map((s) => s.step.length))
  const lines = [`${'step'.padEnd(label)}  count     mean      p50      p95      max  mean`]
  for (const s of stats) {
    const bar = '█'.repeat(Math.round((s.meanMs / longest) * 30))
    const cols = [s.count, s.meanMs, s.p50Ms, s.p95Ms, s.maxMs].map((v, i) => (i === 0 ? String(v) : seconds(v)).padStart(i === 0 ? 5 : 8))
    lines.push(`${s.step.padEnd(label)}  ${cols.join(' ')}  ${bar}`)
  }
  const slow = stats.filter((s) => s.slowest.length > 0).map((s) => `  ${s.step}: ${s.slowest.map((r) => `${r.taskId} ${seconds(r.durationMs)}`).join(', ')}`)
  if (slow.length) lines.push('', 'slowest runs:', ...slow)
  return `${lines.join('\n')}\n`
}

function watch(values, [project]) {
  const options = commonOptions(values)
  if (values.order) options.orderId = values.order
  if (values.status) options.statusFilter = values.status.split(',').map((s) => s.trim()).filter(Boolean)
  if (values.interval !== undefined) options.intervalMs = Number(values.interval)
  const watcher = steps.watchExecutionSteps(project, options, (err, changes, order) => {
    if (err) {
      process.stderr.write(`${JSON.stringify({ error: err.code, message: err.message })}\n`)
      return
    }
    for (const c of changes) {
      const line = {
        project_id: c.projectId,
        task_id: c.taskId,
        remaining: steps.formatRemaining(c.current, options.locale),
        previous: c.previous && seedJson(c.previous),
        current: seedJson(c.current),
      }
      process.stdout.write(`${JSON.stringify(line)}\n`)
    }
    if (order) process.stdout.write(`${JSON.stringify({ order: orderJson(order) })}\n`)
  })
  // The watcher does not keep the process alive by itself; the command does, until interrupted.
  const keepAlive = setInterval(() => {}, 1 << 30)
  const stop = () => {
    watcher.close()
    clearInterval(keepAlive)
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
  return 0
}

function record(values, [project, task, step, event]) {
  const options = commonOptions(values)
  if (values.detail !== undefined) options.detail = values.detail
  steps.recordExecutionStep(project, task, step, event, options)
  return 0
}

/** `YYYY-MM-DD HH:MM:SS` in local time, as the worker writes its log. */
function logTime(date = new Date()) {
  const p = (n) => String(n).padStart(2, '0')
  return `${date.getFullYear()}-${p(date.getMonth() + 1)}-${p(date.getDate())} ${p(date.getHours())}:${p(date.getMinutes())}:${p(date.getSeconds())}`
}

/**
 * What the app's processes would write next on the sample, one action at a
 * time, in the shapes they write (docs/behaviour.md, "Worker logs", "Review
 * logs"): the daemon launching a worker log,
 * workers appending step lines, the review worker starting a review (a new
 * review log: step 7) and going on with a rework inside its review log, a
 * worker dying with `[error] failed`, and a step recorded with
 * recordExecutionStep. Nothing here writes the app's tables.
 */
function simulatedPipeline(dir, dbPath) {
  const project = 'ai_pm_manager'
  const logs = path.join(dir, 'PROJECTS', project, 'RESULT', 'ORDER_119', 'LOGS')
  const reviews = path.join(dir, 'logs', 'review_workers')
  const workerLog = (task) => path.join(logs, fs.readdirSync(logs).sort().reverse().find((f) => f.startsWith(`worker_${task}_`)))
  const lines = (...what) => what.map((l) => `${logTime()} [INFO] ${l}\n`).join('')
  const worker = (task, ...what) => () => fs.appendFileSync(workerLog(task), lines(...what))
  const rework = (task, ...what) => () => fs.appendFileSync(path.join(reviews, `${task}_review.log`), lines(...what))
  // The banner every worker prints first (docs/behaviour.md, "Worker logs"), as the sample's logs have it.
  const banner = () => fs.readFileSync(workerLog('TASK_1031'), 'utf8').split(/^(?=\d{4}-\d\d-\d\d )/m)[0]
  const launch = (task, workerName) => () => {
    const stamp = logTime().replace(/[-:]/g, '').replace(' ', '_')
    const text = banner() + lines(
      `[get_task_info] start: ${task}`,
      '[get_task_info] success: order=ORDER_119, model=opus, reject_count=0',
      "[permission_profile] success: profile=document, tools=6個: ['Read', 'Write', 'Edit', 'Glob', 'Grep', 'TodoWrite']",
      '[assign_worker] start: mode=通常',
      '[file_lock] success: 2ファイルをロック',
      `[assign_worker] success: worker=${workerName}`,
      '[execute_task] start: model=opus, profile=document, allowed_tools=6個',
    )
    fs.writeFileSync(path.join(logs, `worker_${task}_${stamp}.log`), text)
  }
  const review = (task) => () => {
    // The review worker opens the task's review log anew for each review.
    const t = logTime()
    const own = (what) => `${t} [INFO] [${t}] ${what}\n`
    fs.writeFileSync(
      path.join(reviews, `${task}_review.log`),
      own(`[VALIDATE] start - ${project}/${task}`) +
        own('[VALIDATE] success - バリデーション完了') +
        own(`[CHECK_STATUS] start - task=${task}`) +
        own('[CHECK_STATUS] success - status=DONE') +
        own('[EXECUTE_REVIEW] start - model=sonnet'),
    )
  }
  const record = (task, step, event, detail) => () => steps.recordExecutionStep(project, task, step, event, { dbPath, detail })
  return [
    launch('TASK_1033', 'Worker C'),
    worker('TASK_1031', '[execute_task] success: ', '[self_verification] skip: 成果物パス取得不可', '[create_report] start: '),
    review('TASK_1043'),
    rework('TASK_1035', '[execute_task] success: ', '[create_report] start: '),
    worker('TASK_1044', '[file_lock] skip: 対象ファイル未指定', '[assign_worker] success: worker=Worker D', '[execute_task] start: model=opus, profile=document, allowed_tools=6個'),
    worker('TASK_1032', '[convert_report_to_html] warning: HTML変換失敗（継続）', '[update_status_done] start: '),
    record('TASK_1034', 'update_status_done', 'failed', 'DB更新に失敗しました (database is locked)'),
    worker('TASK_1031', '[create_report] success: 05_REPORT/REPORT_1031.md (812バイト)', '[static_analysis] start: '),
    rework('TASK_1035', '[create_report] success: 05_REPORT/REPORT_1035.md (640バイト)', '[static_analysis] start: '),
    worker('TASK_1032', '[error] failed: 後続タスクの起動に失敗しました'),
  ]
}

async function demo(values) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aipm-steps-demo-'))
  const dbPath = steps.createSampleDatabase(dir)
  const locale = values.locale === 'en' ? 'en' : 'ja'
  const out = (s = '') => process.stdout.write(`${s}\n`)
  const show = (info) => steps.formatExecutionStepDisplay(info, locale)
  out(`Sample database: ${dbPath}`)
  out(`Worker logs:     ${path.join(dir, 'PROJECTS')}`)
  out()
  out('Every task (getMultipleTasksExecutionSteps):')
  const ids = Array.from({ length: 14 }, (_, i) => `TASK_${1031 + i}`)
  const all = steps.getMultipleTasksExecutionStepsSync('ai_pm_manager', { dbPath, taskIds: ids, locale })
  for (const id of ids) {
    const info = all[id]
    const failed = info.failedStep ? `  failed in ${info.failedStep}, resume from ${info.resumeFrom}` : ''
    const left = steps.formatRemaining(info, locale)
    out(`  ${id}  ${info.status.padEnd(12)} ${String(info.progressPercent).padStart(3)}%  ${show(info)}${left ? `  ${left}` : ''}  (${info.source})${failed}`)
  }
  out()
  out('The whole ORDER (getOrderProgress), estimates from ORDER_118, run and reviewed the day before:')
  out(`  ${formatOrder(steps.getOrderProgressSync('ai_pm_manager', 'ORDER_119', { dbPath }), locale)}`)
  out()
  out('Live (watchExecutionSteps): the workers and the review worker write on...')
  let initial = true
  const watcher = steps.watchExecutionSteps('ai_pm_manager', { dbPath, statusFilter: ['IN_PROGRESS', 'REWORK', 'DONE'], intervalMs: 100, locale }, (err, changes) => {
    if (err) return out(`  ! ${err.code}: ${err.message}`)
    if (initial) {
      initial = false
      return out(`  watching ${changes.length} tasks`)
    }
    for (const c of changes) {
      const was = c.previous ? `${show(c.previous)}  (${c.previous.source})` : '—'
      const now = `${show(c.current)}  (${c.current.source})`
      if (was !== now) out(`  ${logTime().slice(11)}  ${c.taskId}  ${was}  →  ${now}`)
    }
  })
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
  await sleep(300)
  for (const action of simulatedPipeline(dir, dbPath)) {
    action()
    await sleep(values.fast ? 150 : 600)
  }
  await sleep(300)
  watcher.close()
  out()
  const one = steps.getTaskExecutionStepSync('ai_pm_manager', 'TASK_1031', { dbPath, verbose: true, locale })
  out('Timeline of TASK_1031 (verbose):')
  for (const s of one.steps) {
    const took = s.durationMs === null ? '' : ` ${seconds(s.durationMs)}`
    out(`  ${s.status.padEnd(11)} ${s.step.padEnd(18)} ${s.display}${took}`)
  }
  out()
  out('Step durations (getStepDurationStats):')
  process.stdout.write(formatStatsTable(steps.getStepDurationStatsSync('ai_pm_manager', { dbPath, locale })))
  out()
  process.stdout.write(formatCalibration(steps.getEstimateCalibrationSync('ai_pm_manager', { dbPath })))
  out()
  out(`Try: aipm-steps list ai_pm_manager --db ${dbPath}`)
  out(`     aipm-steps watch ai_pm_manager --db ${dbPath}`)
  return 0
}

function main(argv) {
  let parsed
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true })
  } catch (e) {
    throw new UsageError(e.message)
  }
  const { values, positionals } = parsed
  if (values.help) {
    process.stdout.write(`${USAGE}\n`)
    return 0
  }
  const [command, ...rest] = positionals
  switch (command) {
    case undefined:
      throw new UsageError('missing arguments')
    case 'list':
      expectArgs(rest, 1, 'list <project>')
      return showList(values, rest)
    case 'stats':
      expectArgs(rest, 1, 'stats <project>')
      return showStats(values, rest)
    case 'watch':
      expectArgs(rest, 1, 'watch <project>')
      return watch(values, rest)
    case 'record':
      expectArgs(rest, 4, 'record <project> <task> <step> <event>')
      return record(values, rest)
    case 'demo':
      expectArgs(rest, 0, 'demo with no arguments')
      return demo(values)
    default:
      expectArgs(positionals, 2, '<project> <task>')
      return showOne(values, positionals)
  }
}

function fail(e) {
  if (e instanceof UsageError || e.code === 'ERR_INVALID_ARG') {
    process.stderr.write(`aipm-steps: ${e.message}\n\n${USAGE}\n`)
    process.exitCode = 2
  } else {
    process.stderr.write(`aipm-steps: ${e.code ? `${e.code}: ` : ''}${e.message}\n`)
    process.exitCode = 3
  }
}

try {
  Promise.resolve(main(process.argv.slice(2))).then((code) => {
    process.exitCode = code
  }, fail)
} catch (e) {
  fail(e)
}
