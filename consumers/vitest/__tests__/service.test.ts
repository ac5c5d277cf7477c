// The app's ScriptExecutionService, built from its config service, tested the way the
// app's Vitest suite tests it: the config service is mocked (in the app it needs Electron).
import { afterAll, beforeAll, expect, test, vi } from 'vitest'
import { createSampleDatabase } from 'aipm-execution-steps'
import * as path from 'node:path'
import { configService } from '../src/configService'
import { AppExecutionService } from '../src/executionService'
import { ScriptExecutionService } from '../../shared/ScriptExecutionService'
import { expected, newDir, noteWhereThisRuns, removeDir } from './support'

vi.mock('../src/configService', () => ({
  configService: { getUserDataDir: vi.fn(), getDbPath: vi.fn() },
}))

let userDataDir: string
let done: () => void

beforeAll(() => {
  done = noteWhereThisRuns(import.meta.url)
  userDataDir = newDir('service')
  vi.mocked(configService.getUserDataDir).mockReturnValue(userDataDir)
  vi.mocked(configService.getDbPath).mockReturnValue(createSampleDatabase(userDataDir))
})

afterAll(() => {
  removeDir(userDataDir)
  done()
})

test('TASK_1031 is in step 4 of 7, from its worker log, at the path the mocked config gives', async () => {
  const service = new AppExecutionService()
  expect(configService.getDbPath).toHaveBeenCalled()
  expected.assertTask1031(await service.getExecutionStep(expected.PROJECT, 'TASK_1031'))
  expected.assertTask1031(service.getExecutionStepSync(expected.PROJECT, 'TASK_1031'))
})

test('the running tasks read as the task list shows them', async () => {
  const views = await new AppExecutionService().getRunningTaskViews(expected.PROJECT)
  expect(Object.fromEntries(views.map((v) => [v.taskId, v.display]))).toEqual(expected.RUNNING_TASK_DISPLAYS)
})

test('a missing task is a result; a missing database is an ERR_DB_NOT_FOUND error', async () => {
  expected.assertMissingTask(await new AppExecutionService().getExecutionStep(expected.PROJECT, 'TASK_9999'))
  vi.mocked(configService.getDbPath).mockReturnValueOnce(path.join(userDataDir, 'nowhere', 'aipm.db'))
  const nowhere = new AppExecutionService()
  const err: unknown = await nowhere.getExecutionStep(expected.PROJECT, 'TASK_1031').catch((e: unknown) => e)
  expect(err).toMatchObject({ code: 'ERR_DB_NOT_FOUND' })
  expect(ScriptExecutionService.errorCode(err)).toBe('ERR_DB_NOT_FOUND')
})
