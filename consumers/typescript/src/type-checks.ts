// Compile-time checks of index.d.ts: each `@ts-expect-error` line must be a type error
// (tsc fails if it is not), so the typings are real, not `any`. Never called.
import {
  EXECUTION_STEPS,
  formatExecutionStepDisplay,
  getTaskExecutionStepSync,
  stepOfSubStep,
  watchExecutionSteps,
} from 'aipm-execution-steps'
import type { ExecutionStepChange, ExecutionStepInfo, StepName } from 'aipm-execution-steps'

export function typeChecks(info: ExecutionStepInfo): void {
  // @ts-expect-error task ids are strings
  getTaskExecutionStepSync('ai_pm_manager', 1031)
  // @ts-expect-error the locales are 'ja' and 'en'
  formatExecutionStepDisplay(info, 'fr')
  // @ts-expect-error currentStep is null while the task is not running
  const step: StepName = info.currentStep
  // @ts-expect-error no such option
  getTaskExecutionStepSync('ai_pm_manager', 'TASK_1031', { databasePath: 'x' })

  const maybeStep: StepName | null = stepOfSubStep('claude_cli')
  const percent: number = info.progressPercent
  const firstStep: StepName | undefined = EXECUTION_STEPS[0]?.step
  const watcher = watchExecutionSteps('ai_pm_manager', { intervalMs: 1000 }, (err: Error | null, changes: ExecutionStepChange[]) => {
    if (err === null) for (const change of changes) void change.current.progressPercent
  })
  watcher.close()
  void [step, maybeStep, percent, firstStep]
}
