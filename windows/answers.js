'use strict'
// The answers the Windows build must give exactly as the Linux build does.
//
// windows/suite.js calls collect() at its end, inside Windows Node under Wine,
// on the user-data folder it built and changed; windows/run.js then runs this
// file with the host's Node and the Linux build on a copy of the same folder
//
//   node windows/answers.js <userDataDir> <out.json>
//
// and compares the two JSON files entry by entry. Only what depends on the
// wall clock is left out: the elapsed time of a step still in progress, and of
// a running task's estimate (`eta`) its instants and `overdue`, which move as
// time passes (the two builds answer minutes apart); whether there is one and
// the runs it rests on (`basisRuns`) stay. Every task of the bundled sample
// (ORDER_119's fourteen and ORDER_118's thirty, their history) is asked alone
// and in batches, with its display strings and its CLI JSON, in both locales.
const fs = require('fs')
const path = require('path')

const PROJECT = 'ai_pm_manager'
const ORDER = 'ORDER_119'
/** ORDER_119's tasks in the bundled sample (src/sample/mod.rs), one in every kind of state. */
const TASKS = Array.from({ length: 14 }, (_, i) => `TASK_${1031 + i}`)
/** The sample's earlier order: thirty tasks run and reviewed before ORDER_119's, the history the estimate rests on. */
const EARLIER_ORDER = 'ORDER_118'
const EARLIER_TASKS = Array.from({ length: 30 }, (_, i) => `TASK_${1001 + i}`)
const STATUSES = [
  'QUEUED', 'BLOCKED', 'IN_PROGRESS', 'DONE', 'IN_REVIEW', 'REWORK', 'COMPLETED',
  'CANCELLED', 'SKIPPED', 'REJECTED', 'INTERRUPTED', 'ESCALATED', 'WAITING_INPUT',
]

/** Of an estimate, what does not move with the clock: whether there is one, and how many runs it rests on. */
function etaBasis(eta) {
  if (!eta || typeof eta !== 'object') return eta
  return Object.fromEntries(Object.entries(eta).filter(([k]) => k === 'basisRuns' || k === 'basis_runs'))
}

/** A deep copy without the fields that depend on when the question is asked. */
function timeless(value) {
  if (Array.isArray(value)) return value.map(timeless)
  if (value && typeof value === 'object') {
    const out = {}
    for (const [k, v] of Object.entries(value)) {
      // A step still in progress reports the time elapsed so far (camelCase, or the CLI JSON's snake_case).
      if (k === 'durationMs' && value.endedAt == null) continue
      if (k === 'duration_ms' && value.ended_at == null) continue
      // A running task's estimate moves as time passes (docs/behaviour.md, "Estimate"):
      // its instants when the run outlasts another past run, `overdue` once past `highAt`.
      if (k === 'eta') {
        out[k] = etaBasis(v)
        continue
      }
      out[k] = timeless(v)
    }
    return out
  }
  return value
}

/** Keys in order (the order is part of the answer) with their values. */
const entries = (record) => Object.entries(record).map(([k, v]) => [k, timeless(v)])

/** Every answer, keyed by a name that says which question it answers. */
function collect(addon, userDataDir) {
  const dbPath = path.join(userDataDir, 'data', 'aipm.db')
  const at = { dbPath, userDataDir }
  const answers = {}
  const all = addon.getMultipleTasksExecutionStepsSync(PROJECT, { ...at, statusFilter: STATUSES, verbose: true })
  answers['batch: every status, verbose'] = entries(all)
  answers['batch: every task by id (en)'] = entries(addon.getMultipleTasksExecutionStepsSync(PROJECT, { ...at, taskIds: TASKS, locale: 'en' }))
  answers['batch: default filter'] = entries(addon.getMultipleTasksExecutionStepsSync(PROJECT, at))
  answers['batch: order, REWORK+DONE, en'] = entries(
    addon.getMultipleTasksExecutionStepsSync(PROJECT, { ...at, orderId: ORDER, statusFilter: ['REWORK', 'DONE'], locale: 'en' }),
  )
  for (const taskId of [...new Set([...TASKS, ...Object.keys(all)]), 'TASK_9999']) {
    for (const locale of ['ja', 'en']) {
      const info = addon.getTaskExecutionStepSync(PROJECT, taskId, { ...at, verbose: true, locale })
      answers[`task ${taskId} (${locale})`] = timeless(info)
      answers[`display ${taskId} (${locale})`] = addon.formatExecutionStepDisplay(info, locale)
      answers[`json ${taskId} (${locale})`] = timeless(JSON.parse(addon.formatExecutionStepJson(info)))
    }
  }
  answers['stats (ja)'] = addon.getStepDurationStatsSync(PROJECT, at)
  answers['stats (en, order)'] = addon.getStepDurationStatsSync(PROJECT, { ...at, orderId: ORDER, locale: 'en' })
  answers['stats (ja, earlier order)'] = addon.getStepDurationStatsSync(PROJECT, { ...at, orderId: EARLIER_ORDER })
  answers['EXECUTION_STEPS'] = addon.EXECUTION_STEPS
  answers['sub-steps'] = ['self_verification', 'file_lock_check', 'auto_kick', 'next_task', 'no_such_step'].map(addon.stepOfSubStep)
  return answers
}

module.exports = { collect, timeless, PROJECT, ORDER, STATUSES, TASKS, EARLIER_ORDER, EARLIER_TASKS }

if (require.main === module) {
  const [userDataDir, out] = process.argv.slice(2)
  if (!userDataDir || !out) {
    console.error('usage: node windows/answers.js <userDataDir> <out.json>')
    process.exit(2)
  }
  const addon = require(path.join(__dirname, '..'))
  fs.writeFileSync(out, JSON.stringify(collect(addon, path.resolve(userDataDir)), null, 1))
}
