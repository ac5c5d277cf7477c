'use strict'
// The main process of a real Electron (ci.yml, job `electron`, through consumers/electron/run.js):
// the packed package loaded where the app loads it, answering on the sample database as
// ScriptExecutionService would ask, and a watcher that sees a recorded step arrive, ticks on,
// and stops when closed. Writes a JSON report and exits 0, or reports the error and exits 1.
//
//   electron [--no-sandbox] main.js <report.json> <empty user-data folder>

const assert = require('node:assert/strict')
const fs = require('node:fs')
const { app } = require('electron')
const steps = require('aipm-execution-steps')
const expected = require('../shared/sample-expectations')

const [reportFile, userDataDir] = process.argv.slice(-2)
const PROJECT = expected.PROJECT
const INTERVAL_MS = 50

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/** Displays of the sample's IN_PROGRESS and REWORK tasks, as the app's task list shows them. */
async function runningDisplays(dbPath) {
  const infos = await steps.getMultipleTasksExecutionSteps(PROJECT, { dbPath, statusFilter: ['IN_PROGRESS', 'REWORK'] })
  return Object.fromEntries(Object.values(infos).map((info) => [info.taskId, steps.formatExecutionStepDisplay(info)]))
}

/**
 * A watcher on the running tasks: its first report, then the change a recorded step makes,
 * then silence for ten ticks after close().
 */
async function watchForAFewTicks(dbPath) {
  const calls = []
  let resolveChange
  const changed = new Promise((resolve) => {
    resolveChange = resolve
  })
  const watcher = steps.watchExecutionSteps(PROJECT, { dbPath, intervalMs: INTERVAL_MS }, (err, changes) => {
    calls.push({ at: Date.now(), err: err && err.message, changes })
    if (calls.length === 1) steps.recordExecutionStep(PROJECT, 'TASK_1031', 'create_report', 'start', { dbPath, detail: 'electron job' })
    if (changes.some((c) => c.taskId === 'TASK_1031' && c.current.currentStep === 'create_report')) resolveChange()
  })
  const timeout = sleep(15000).then(() => {
    throw new Error(`the watcher did not report the recorded step within 15 s (${calls.length} reports)`)
  })
  await Promise.race([changed, timeout])
  await sleep(5 * INTERVAL_MS)
  watcher.close()
  const afterClose = calls.length
  await sleep(10 * INTERVAL_MS)
  assert.equal(calls.length, afterClose, 'no report after close()')
  assert.equal(watcher.closed, true)

  const [first] = calls
  assert.equal(first.err, null)
  assert.ok(first.changes.every((c) => c.previous === null), 'the first report has every task with previous: null')
  assert.equal(first.changes.find((c) => c.taskId === 'TASK_1031').current.currentStep, 'execute_task')
  const move = calls.flatMap((c) => c.changes).find((c) => c.taskId === 'TASK_1031' && c.current.currentStep === 'create_report')
  return {
    reports: calls.length,
    firstTasks: first.changes.map((c) => c.taskId).sort(),
    move: `${steps.formatExecutionStepDisplay(move.previous)} -> ${steps.formatExecutionStepDisplay(move.current)}`,
    msToSeeRecord: calls[calls.length - 1].at - first.at,
  }
}

async function main() {
  assert.ok(fs.readdirSync(userDataDir).length === 0, `${userDataDir} is an empty folder`)
  const dbPath = steps.createSampleDatabase(userDataDir)

  const displays = await runningDisplays(dbPath)
  assert.deepEqual(displays, expected.RUNNING_TASK_DISPLAYS)
  const task1031 = await steps.getTaskExecutionStep(PROJECT, 'TASK_1031', { dbPath, verbose: true })
  expected.assertTask1031(task1031)
  assert.deepEqual(task1031.steps.map((s) => s.status), ['completed', 'completed', 'skipped', 'in_progress', 'pending', 'pending', 'pending'])
  expected.assertMissingTask(steps.getTaskExecutionStepSync(PROJECT, 'TASK_9999', { dbPath }))
  const watch = await watchForAFewTicks(dbPath)

  return {
    electron: process.versions.electron,
    node: process.versions.node,
    napi: process.versions.napi,
    platform: `${process.platform}-${process.arch}`,
    bindingTarget: steps.__napiBindingTarget,
    dbPath,
    displays,
    watch,
  }
}

app.whenReady()
  .then(main)
  .then(
    (report) => {
      fs.writeFileSync(reportFile, `${JSON.stringify(report, null, 2)}\n`)
      app.exit(0)
    },
    (err) => {
      fs.writeFileSync(reportFile, `${JSON.stringify({ error: String(err && err.stack ? err.stack : err) }, null, 2)}\n`)
      app.exit(1)
    },
  )
