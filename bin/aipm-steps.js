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

/** camelCase keys → the seed's snake_case, recursively. */
function snakeKeys(value) {
  if (Array.isArray(value)) return value.map(snakeKeys)
  if (value === null || typeof value !== 'object') return value
  const out = {}
  for (const [key, inner] of Object.entries(value)) {
    out[key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)] = snakeKeys(inner)
  }
  return out
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
  printJson(snakeKeys(info))
  return info.status === null ? 1 : 0
}

function showList(values, [project]) {
  const options = { ...commonOptions(values), verbose: true }
  if (values.order) options.orderId = values.order
  if (values.status) options.statusFilter = values.status.split(',').map((s) => s.trim()).filter(Boolean)
  const infos = steps.getMultipleTasksExecutionStepsSync(project, options)
  if (values.json) {
    // keys are task ids, kept as they are
    printJson(Object.fromEntries(Object.entries(infos).map(([id, info]) => [id, snakeKeys(info)])))
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
    const who = info.assignee ? `  ${info.assignee}` : ''
    process.stdout.write(`${info.taskId.padEnd(width)}  ${line}${who}  (${info.source})\n`)
  }
  return 0
}

function showStats(values, [project]) {
  const options = commonOptions(values)
  if (values.order) options.orderId = values.order
  if (values.since) options.since = values.since
  const stats = steps.getStepDurationStatsSync(project, options)
  if (values.json) {
    printJson(snakeKeys(stats))
    return 0
  }
  process.stdout.write(formatStatsTable(stats))
  return 0
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
  const watcher = steps.watchExecutionSteps(project, options, (err, changes) => {
    if (err) {
      process.stderr.write(`${JSON.stringify({ error: err.code, message: err.message })}\n`)
      return
    }
    for (const change of changes) process.stdout.write(`${JSON.stringify(snakeKeys(change))}\n`)
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

/** What the simulated worker does, one action at a time. */
function simulatedWorker(dir, dbPath) {
  const logs = path.join(dir, 'PROJECTS', 'ai_pm_manager', 'RESULT', 'ORDER_119', 'LOGS')
  const logOf = (task) => path.join(logs, fs.readdirSync(logs).find((f) => f.startsWith(`worker_${task}_`)))
  const log = (task, ...lines) => () => fs.appendFileSync(logOf(task), lines.map((l) => `${logTime()} [INFO] ${l}\n`).join(''))
  const record = (task, step, event) => () => steps.recordExecutionStep('ai_pm_manager', task, step, event, { dbPath })
  return [
    log('TASK_1035', '[execute_task] start: model=opus, profile=document'),
    log('TASK_1031', '[execute_task] success: ', '[self_verification] skip: 成果物パス取得不可', '[create_report] start: '),
    record('TASK_1034', 'auto_review', 'start'),
    log('TASK_1032', '[update_status_done] start: '),
    log('TASK_1031', '[create_report] success: 05_REPORT/REPORT_1031.md (812バイト)', '[static_analysis] start: '),
    log('TASK_1035', '[claude_cli] Executing: claude -p (model=opus, timeout=1800s)', '[execute_task] success: ', '[create_report] start: '),
    log('TASK_1031', '[update_status_done] start: '),
    log('TASK_1032', '[update_status_done] success: status=DONE', '[error] failed: 後続タスクの起動に失敗しました'),
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
  const ids = Array.from({ length: 12 }, (_, i) => `TASK_${1031 + i}`)
  const all = steps.getMultipleTasksExecutionStepsSync('ai_pm_manager', { dbPath, taskIds: ids, locale })
  for (const id of ids) {
    const info = all[id]
    const failed = info.failedStep ? `  failed in ${info.failedStep}, resume from ${info.resumeFrom}` : ''
    out(`  ${id}  ${info.status.padEnd(12)} ${String(info.progressPercent).padStart(3)}%  ${show(info)}  (${info.source})${failed}`)
  }
  out()
  out('Live (watchExecutionSteps): a simulated worker advances the running tasks...')
  let initial = true
  const watcher = steps.watchExecutionSteps('ai_pm_manager', { dbPath, statusFilter: ['IN_PROGRESS', 'REWORK'], intervalMs: 100, locale }, (err, changes) => {
    if (err) return out(`  ! ${err.code}: ${err.message}`)
    if (initial) {
      initial = false
      return out(`  watching ${changes.length} tasks`)
    }
    for (const c of changes) {
      const before = c.previous ? show(c.previous) : '—'
      if (before !== show(c.current)) out(`  ${logTime().slice(11)}  ${c.taskId}  ${before}  →  ${show(c.current)}`)
    }
  })
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
  await sleep(300)
  for (const action of simulatedWorker(dir, dbPath)) {
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
