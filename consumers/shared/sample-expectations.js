'use strict'
// What every consumer must read from the sample database (`createSampleDatabase`):
// the running tasks of project ai_pm_manager as the app's task list shows them.

const assert = require('node:assert/strict')

const PROJECT = 'ai_pm_manager'

/** `formatExecutionStepDisplay` of every IN_PROGRESS / REWORK task of the sample. */
const RUNNING_TASK_DISPLAYS = {
  TASK_1031: '[4/7] AI実行中 (57%)',
  TASK_1032: '[5/7] レポート作成中 (71%)',
  TASK_1033: '[4/7] AI実行中 (57%)',
  TASK_1034: '[6/7] 完了処理中 (85%)',
  TASK_1035: '[4/7] AI実行中 (57%)', // REWORK, its rework run executing
  TASK_1036: '[REWORK] 実行中でない', // rejected, waiting for a rework run
  TASK_1044: '[2/7] Worker割当中 (28%)', // relaunched after a crashed attempt
}

/** TASK_1031 is in step 4 of 7 according to its worker log. */
function assertTask1031(info) {
  assert.equal(info.taskId, 'TASK_1031')
  assert.equal(info.status, 'IN_PROGRESS')
  assert.equal(info.currentStep, 'execute_task')
  assert.equal(info.stepIndex, 3)
  assert.equal(info.totalSteps, 7)
  assert.equal(info.progressPercent, 57)
  assert.equal(info.source, 'log')
  assert.equal(info.assignee, 'Worker A')
}

/** A task that does not exist is a result with an error, not an exception. */
function assertMissingTask(info) {
  assert.equal(info.status, null)
  assert.equal(info.stepIndex, -1)
  assert.equal(info.error, 'タスクが見つかりません: TASK_9999')
}

/**
 * The report the TypeScript and webpack consumers print (see probe.ts):
 * `{ views, task1031, missing, noDatabaseCode }`.
 */
function assertProbeReport(report) {
  assert.deepEqual(
    Object.fromEntries(report.views.map((v) => [v.taskId, v.display])),
    RUNNING_TASK_DISPLAYS,
  )
  assertTask1031(report.task1031)
  assertMissingTask(report.missing)
  assert.equal(report.noDatabaseCode, 'ERR_DB_NOT_FOUND')
}

module.exports = { PROJECT, RUNNING_TASK_DISPLAYS, assertTask1031, assertMissingTask, assertProbeReport }
