// jest.resetModules() makes the next require() run the package's loader again, as a
// test that re-imports the service after changing env does. The native module must
// survive being required a second time in the same process.
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
// eslint-disable-next-line @typescript-eslint/no-require-imports
const expected = require('../../shared/sample-expectations')

type Addon = typeof import('aipm-execution-steps')

let userDataDir: string
let dbPath: string

beforeAll(() => {
  userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'consumer-jest-reload-'))
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  dbPath = (require('aipm-execution-steps') as Addon).createSampleDatabase(userDataDir)
})

afterAll(() => fs.rmSync(userDataDir, { recursive: true, force: true }))

test('the addon answers the same after jest.resetModules()', async () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const first: Addon = require('aipm-execution-steps')
  expected.assertTask1031(await first.getTaskExecutionStep('ai_pm_manager', 'TASK_1031', { dbPath }))

  jest.resetModules()
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const second: Addon = require('aipm-execution-steps')
  expected.assertTask1031(await second.getTaskExecutionStep('ai_pm_manager', 'TASK_1031', { dbPath }))
  expected.assertTask1031(second.getTaskExecutionStepSync('ai_pm_manager', 'TASK_1031', { dbPath }))
  expect(second.EXECUTION_STEPS.map((s) => s.step)).toEqual(first.EXECUTION_STEPS.map((s) => s.step))
})

test('AIPM_DB_PATH from globalSetup reaches the addon, also after a reload', () => {
  jest.resetModules()
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const addon: Addon = require('aipm-execution-steps')
  expected.assertTask1031(addon.getTaskExecutionStepSync('ai_pm_manager', 'TASK_1031'))
})

test('AIPM_DB_PATH assigned in the test file reaches the addon (Jest sandboxes process.env per file)', () => {
  const fromGlobalSetup = process.env.AIPM_DB_PATH
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const addon: Addon = require('aipm-execution-steps')
  addon.recordExecutionStep('ai_pm_manager', 'TASK_1033', 'create_report', 'start', { dbPath })
  try {
    process.env.AIPM_DB_PATH = dbPath
    expect(addon.getTaskExecutionStepSync('ai_pm_manager', 'TASK_1033')).toMatchObject({ currentStep: 'create_report', source: 'recorded' })
  } finally {
    process.env.AIPM_DB_PATH = fromGlobalSetup
  }
  expect(addon.getTaskExecutionStepSync('ai_pm_manager', 'TASK_1033').currentStep).toBe('execute_task')
})
