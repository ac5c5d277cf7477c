// The two things a test file shares with the rest of the worker: the environment the
// addon reads its default database from (set by globalSetup), and the addon's own
// threads, here a watcher whose changes come back to the test's listener.
import { afterAll, beforeAll, expect, test } from 'vitest'
import {
  createSampleDatabase,
  formatExecutionStepDisplay,
  getMultipleTasksExecutionSteps,
  getTaskExecutionStepSync,
  recordExecutionStep,
  watchExecutionSteps,
} from 'aipm-execution-steps'
import type { ExecutionStepChange } from 'aipm-execution-steps'
import { expected, newDir, noteWhereThisRuns, removeDir } from './support'

let userDataDir: string
let done: () => void

beforeAll(() => {
  done = noteWhereThisRuns(import.meta.url)
  userDataDir = newDir('watch')
})

afterAll(() => {
  removeDir(userDataDir)
  done()
})

test('AIPM_DB_PATH from globalSetup is the default database', async () => {
  expect(process.env.AIPM_DB_PATH).toMatch(/aipm\.db$/)
  expected.assertTask1031(getTaskExecutionStepSync(expected.PROJECT, 'TASK_1031'))
  const running = await getMultipleTasksExecutionSteps(expected.PROJECT, { statusFilter: ['IN_PROGRESS', 'REWORK'] })
  expect(Object.fromEntries(Object.values(running).map((i) => [i.taskId, formatExecutionStepDisplay(i)]))).toEqual(
    expected.RUNNING_TASK_DISPLAYS,
  )
})

test('a watcher reports the first state, then a recorded step, and stops on close()', async () => {
  const dbPath = createSampleDatabase(userDataDir)
  const batches: ExecutionStepChange[][] = []
  const waiters: Array<() => void> = []
  const nextBatch = () => new Promise<void>((resolve) => waiters.push(resolve))
  const first = nextBatch()
  const watcher = watchExecutionSteps(expected.PROJECT, { dbPath, taskIds: ['TASK_1033'], intervalMs: 20 }, (err, changes) => {
    if (err) throw err
    batches.push(changes)
    waiters.shift()?.()
  })
  try {
    await first
    expect(batches[0]).toHaveLength(1)
    expect(batches[0]![0]!.previous).toBeNull()
    expect(formatExecutionStepDisplay(batches[0]![0]!.current)).toBe(expected.RUNNING_TASK_DISPLAYS.TASK_1033)

    const second = nextBatch()
    recordExecutionStep(expected.PROJECT, 'TASK_1033', 'create_report', 'start', { dbPath })
    await second
    const change = batches[1]![0]!
    expect(change.previous?.currentStep).toBe('execute_task')
    expect(change.current.currentStep).toBe('create_report')
    expect(change.current.source).toBe('recorded')
  } finally {
    watcher.close()
  }
  expect(watcher.closed).toBe(true)
})
