// The app's ScriptExecutionService, tested the way the app's Jest suite tests it.
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { createSampleDatabase } from 'aipm-execution-steps'
import { ScriptExecutionService } from '../../shared/ScriptExecutionService'
// eslint-disable-next-line @typescript-eslint/no-require-imports
const expected = require('../../shared/sample-expectations')

let userDataDir: string
let service: ScriptExecutionService

beforeAll(() => {
  userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'consumer-jest-'))
  service = new ScriptExecutionService(createSampleDatabase(userDataDir))
})

afterAll(() => fs.rmSync(userDataDir, { recursive: true, force: true }))

test('TASK_1031 is in step 4 of 7, from its worker log', async () => {
  expected.assertTask1031(await service.getExecutionStep('ai_pm_manager', 'TASK_1031'))
  expected.assertTask1031(service.getExecutionStepSync('ai_pm_manager', 'TASK_1031'))
})

test('the running tasks read as the task list shows them', async () => {
  const views = await service.getRunningTaskViews('ai_pm_manager')
  expect(Object.fromEntries(views.map((v) => [v.taskId, v.display]))).toEqual(expected.RUNNING_TASK_DISPLAYS)
})

test('a missing task is a result; a missing database is an ERR_DB_NOT_FOUND error', async () => {
  expected.assertMissingTask(await service.getExecutionStep('ai_pm_manager', 'TASK_9999'))
  const nowhere = new ScriptExecutionService(path.join(userDataDir, 'nowhere', 'aipm.db'))
  await expect(nowhere.getExecutionStep('ai_pm_manager', 'TASK_1031')).rejects.toMatchObject({ code: 'ERR_DB_NOT_FOUND' })
})
