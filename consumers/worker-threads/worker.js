'use strict'
// One worker thread: load the addon, wait for the others, then query in rounds,
// alternating the async (libuv thread pool) and sync entry points.
const { parentPort, workerData, threadId } = require('node:worker_threads')
const steps = require('aipm-execution-steps')

async function main() {
  const { index, dbPath, barrier, rounds } = workerData
  const flags = new Int32Array(barrier)
  Atomics.add(flags, 0, 1)
  Atomics.wait(flags, 1, 0)

  const options = { dbPath, statusFilter: ['IN_PROGRESS', 'REWORK'] }
  const results = []
  for (let round = 0; round < rounds; round += 1) {
    const infos = round % 2 === 0
      ? await steps.getMultipleTasksExecutionSteps('ai_pm_manager', options)
      : steps.getMultipleTasksExecutionStepsSync('ai_pm_manager', options)
    results.push(Object.fromEntries(Object.values(infos).map((i) => [i.taskId, steps.formatExecutionStepDisplay(i)])))
  }
  parentPort.postMessage({ index, threadId, rounds: results })
}

main()
