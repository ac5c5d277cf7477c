// What an app does with the addon at start-up, as one function the TypeScript and webpack
// consumers run and print: build the sample user-data folder, then query it the way
// ScriptExecutionService does. The runner checks the printed report.
import * as path from 'node:path'
import { createSampleDatabase } from 'aipm-execution-steps'
import type { ExecutionStepInfo } from 'aipm-execution-steps'
import { ScriptExecutionService } from './ScriptExecutionService'
import type { TaskProgressView } from './ScriptExecutionService'

export interface ProbeReport {
  views: TaskProgressView[]
  task1031: ExecutionStepInfo
  missing: ExecutionStepInfo
  noDatabaseCode: string
}

export async function probeSample(userDataDir: string): Promise<ProbeReport> {
  const service = new ScriptExecutionService(createSampleDatabase(userDataDir))
  const views = await service.getRunningTaskViews('ai_pm_manager')
  const task1031 = await service.getExecutionStep('ai_pm_manager', 'TASK_1031')
  const missing = service.getExecutionStepSync('ai_pm_manager', 'TASK_9999')

  const noDatabase = new ScriptExecutionService(path.join(userDataDir, 'no-such', 'aipm.db'))
  let noDatabaseCode = 'resolved'
  try {
    await noDatabase.getExecutionStep('ai_pm_manager', 'TASK_1031')
  } catch (err) {
    noDatabaseCode = ScriptExecutionService.errorCode(err)
  }
  return { views, task1031, missing, noDatabaseCode }
}
