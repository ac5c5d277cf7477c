// vi.resetModules() makes the next import evaluate the app's modules again, as a test that
// re-imports the service after changing its settings does. The addon is a CommonJS package
// in node_modules, which Vitest leaves to Node (or, in the vm pools, to its cache of
// external modules): the second import is a new module namespace over the binding already
// loaded in this worker, and must answer the same.
import { afterAll, afterEach, beforeAll, expect, test, vi } from 'vitest'
import * as path from 'node:path'
import { expected, newDir, noteWhereThisRuns, removeDir } from './support'

type Addon = typeof import('aipm-execution-steps')
type ServiceModule = typeof import('../src/executionService')

let userDataDir: string
let dbPath: string
let done: () => void

beforeAll(async () => {
  done = noteWhereThisRuns(import.meta.url)
  userDataDir = newDir('reload')
  const addon: Addon = await import('aipm-execution-steps')
  dbPath = addon.createSampleDatabase(userDataDir)
})

afterEach(() => {
  vi.unstubAllEnvs()
})

afterAll(() => {
  // With isolate: false the next file in this worker shares the module registry: without
  // this reset it would get the executionService imported here, bound to the real
  // configService, even where it mocks configService.
  vi.resetModules()
  removeDir(userDataDir)
  done()
})

test('the addon answers the same after vi.resetModules()', async () => {
  const first: Addon = await import('aipm-execution-steps')
  expected.assertTask1031(await first.getTaskExecutionStep(expected.PROJECT, 'TASK_1031', { dbPath }))

  vi.resetModules()
  const second: Addon = await import('aipm-execution-steps')
  expected.assertTask1031(await second.getTaskExecutionStep(expected.PROJECT, 'TASK_1031', { dbPath }))
  expected.assertTask1031(second.getTaskExecutionStepSync(expected.PROJECT, 'TASK_1031', { dbPath }))
  expect(second.EXECUTION_STEPS.map((s) => s.step)).toEqual(first.EXECUTION_STEPS.map((s) => s.step))
  expect(second.formatExecutionStepDisplay(second.getTaskExecutionStepSync(expected.PROJECT, 'TASK_1032', { dbPath }))).toBe(
    expected.RUNNING_TASK_DISPLAYS.TASK_1032,
  )
})

test('the service re-imported after vi.resetModules() reads its new settings', async () => {
  vi.stubEnv('CONSUMER_APP_USER_DATA', userDataDir)
  vi.resetModules()
  const before: ServiceModule = await import('../src/executionService')
  expected.assertTask1031(await new before.AppExecutionService().getExecutionStep(expected.PROJECT, 'TASK_1031'))

  vi.stubEnv('CONSUMER_APP_USER_DATA', path.join(userDataDir, 'moved'))
  const cached: ServiceModule = await import('../src/executionService')
  expect(cached).toBe(before) // without a reset, the settings read at import time stay
  vi.resetModules()
  const after: ServiceModule = await import('../src/executionService')
  expect(after.AppExecutionService).not.toBe(before.AppExecutionService)
  await expect(new after.AppExecutionService().getExecutionStep(expected.PROJECT, 'TASK_1031')).rejects.toMatchObject({
    code: 'ERR_DB_NOT_FOUND',
  })
  // The first instance still reads the database it was given.
  expected.assertTask1031(new before.AppExecutionService().getExecutionStepSync(expected.PROJECT, 'TASK_1031'))
})
