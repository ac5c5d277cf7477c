'use strict'
const assert = require('node:assert/strict')
const { RUNNING_TASK_DISPLAYS } = require('../shared/sample-expectations')

module.exports = {
  name: 'worker-threads',
  what: '4 worker threads + main thread query the sample at once',
  run(ctx) {
    const report = JSON.parse(ctx.node(['worker-threads/main.js', ctx.newUserDataDir()]))
    assert.deepEqual(report.displays, RUNNING_TASK_DISPLAYS)
    assert.equal(report.workers, 4)
    assert.equal(new Set(report.threadIds).size, 4)
    assert.deepEqual(report.disagreements, [])
    assert.equal(report.after, RUNNING_TASK_DISPLAYS.TASK_1031)
    return `4 threads × ${report.rounds} rounds agree with the main thread`
  },
}
