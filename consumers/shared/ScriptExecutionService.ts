// The shape of AI PM Manager's ScriptExecutionService after the switch from spawning
// the Python script to the addon: what the consumer projects compile, test and bundle.
import {
  formatExecutionStepDisplay,
  getMultipleTasksExecutionSteps,
  getTaskExecutionStep,
  getTaskExecutionStepSync,
} from 'aipm-execution-steps'
import type { ErrorCode, ExecutionStepInfo } from 'aipm-execution-steps'

/** What the renderer shows for one running task. */
export interface TaskProgressView {
  taskId: string
  display: string
  stepIndex: number
  progressPercent: number
}

export class ScriptExecutionService {
  constructor(private readonly dbPath: string) {}

  /** Which step the task is in; a missing task is a result, not an error. */
  async getExecutionStep(projectId: string, taskId: string): Promise<ExecutionStepInfo> {
    return getTaskExecutionStep(projectId, taskId, { dbPath: this.dbPath })
  }

  /** The same on the calling thread, for code paths that cannot await. */
  getExecutionStepSync(projectId: string, taskId: string): ExecutionStepInfo {
    return getTaskExecutionStepSync(projectId, taskId, { dbPath: this.dbPath })
  }

  /** One line per running task, as the task list shows it. */
  async getRunningTaskViews(projectId: string): Promise<TaskProgressView[]> {
    const infos = await getMultipleTasksExecutionSteps(projectId, {
      dbPath: this.dbPath,
      statusFilter: ['IN_PROGRESS', 'REWORK'],
    })
    return Object.values(infos)
      .map((info) => ({
        taskId: info.taskId,
        display: formatExecutionStepDisplay(info, 'ja'),
        stepIndex: info.stepIndex,
        progressPercent: info.progressPercent,
      }))
      .sort((a, b) => a.taskId.localeCompare(b.taskId))
  }

  /** The `code` of an error thrown by the addon, for the IPC reply. */
  static errorCode(err: unknown): ErrorCode | 'UNKNOWN' {
    const code = (err as { code?: unknown } | null)?.code
    return typeof code === 'string' && code.startsWith('ERR_') ? (code as ErrorCode) : 'UNKNOWN'
  }
}
