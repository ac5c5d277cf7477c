// The two things a test file shares with the rest of the worker: the environment the
// addon reads its default database from (set by globalSetup, or by the file itself), and
// the addon's own work off the JavaScript thread, here a watcher whose changes come back
// to the test's listener.
import * as path from 'node:path'
import { afterAll, beforeAll, expect, test, vi } from 'vitest'
import {
  createSampleDatabase,
  formatExecutionStepDisplay,
  getMultipleTasksExecutionSteps,
  getTaskExecutionStep,
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

test('AIPM_DB_PATH set in the test file, by assignment or vi.stubEnv, reaches the addon', async () => {
  // In the thread pools this file's process.env is its worker thread's own copy; the
  // addon reads the copy of whoever calls it.
  const fromGlobalSetup = process.env.AIPM_DB_PATH
  const ownDir = newDir('env')
  const own = createSampleDatabase(ownDir)
  recordExecutionStep(expected.PROJECT, 'TASK_1033', 'create_report', 'start', { dbPath: own })
  const missing = path.join(userDataDir, 'nowhere', 'aipm.db')
  try {
    process.env.AIPM_DB_PATH = own
    expect(getTaskExecutionStepSync(expected.PROJECT, 'TASK_1033')).toMatchObject({ currentStep: 'create_report', source: 'recorded' })
    expect(await getTaskExecutionStep(expected.PROJECT, 'TASK_1033')).toMatchObject({ currentStep: 'create_report', source: 'recorded' })

    vi.stubEnv('AIPM_DB_PATH', missing)
    const err: unknown = await getTaskExecutionStep(expected.PROJECT, 'TASK_1033').catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'ERR_DB_NOT_FOUND', message: expect.stringContaining(missing) })
  } finally {
    vi.unstubAllEnvs()
    process.env.AIPM_DB_PATH = fromGlobalSetup
    removeDir(ownDir)
  }
  // Back to globalSetup's database, where TASK_1033 is executing.
  expect(getTaskExecutionStepSync(expected.PROJECT, 'TASK_1033').currentStep).toBe('execute_task')
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
