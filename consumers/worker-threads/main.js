'use strict'
// Four worker threads load the addon next to the main thread and query the same
// database at the same moment (released together by a shared barrier), repeatedly,
// sync and async. Every answer must equal the main thread's; the workers then exit
// while the main thread keeps using the addon. Prints a JSON summary.

const path = require('node:path')
const { Worker } = require('node:worker_threads')
const steps = require('aipm-execution-steps')

const WORKERS = 4
const ROUNDS = 25

function runWorker(index, dbPath, barrier) {
  return new Promise((resolve, reject) => {
    const worker = new Worker(path.join(__dirname, 'worker.js'), { workerData: { index, dbPath, barrier, rounds: ROUNDS } })
    let answer
    worker.once('message', (message) => { answer = message })
    worker.once('error', reject)
    worker.once('exit', (code) => (code === 0 && answer ? resolve(answer) : reject(new Error(`worker ${index} exited with ${code}`))))
  })
}

async function main() {
  const dbPath = steps.createSampleDatabase(process.argv[2])
  const reference = steps.getMultipleTasksExecutionStepsSync('ai_pm_manager', { dbPath, statusFilter: ['IN_PROGRESS', 'REWORK'] })
  const displays = Object.fromEntries(Object.values(reference).map((i) => [i.taskId, steps.formatExecutionStepDisplay(i)]))

  // Int32 slots: [0] = how many workers are ready, [1] = go.
  const barrier = new SharedArrayBuffer(8)
  const pending = Array.from({ length: WORKERS }, (_, i) => runWorker(i, dbPath, barrier))
  const flags = new Int32Array(barrier)
  while (Atomics.load(flags, 0) < WORKERS) await new Promise((r) => setTimeout(r, 5))
  Atomics.store(flags, 1, 1)
  Atomics.notify(flags, 1)

  const answers = await Promise.all(pending)
  const disagreements = answers.flatMap((a) =>
    a.rounds.flatMap((round, r) => (JSON.stringify(round) === JSON.stringify(displays) ? [] : [`worker ${a.index} round ${r}`])))
  // The addon must still work on the main thread once the workers have gone.
  const after = steps.formatExecutionStepDisplay(steps.getTaskExecutionStepSync('ai_pm_manager', 'TASK_1031', { dbPath }))
  process.stdout.write(`${JSON.stringify({ displays, workers: answers.length, rounds: ROUNDS, disagreements, after, threadIds: answers.map((a) => a.threadId) })}\n`)
}

main().catch((err) => {
  process.stderr.write(`${err.stack}\n`)
  process.exitCode = 1
})
