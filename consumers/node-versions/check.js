'use strict'
const assert = require('node:assert/strict')
const path = require('node:path')
const expected = require('../shared/sample-expectations')

/** The Node binaries installed from npm (see NODE_VERSIONS in ../project.js). */
const NODES = [
  { label: 'Node 18', major: 18, pkg: 'node18' },
  { label: 'Node 22', major: 22, pkg: 'node22' },
]

module.exports = {
  name: 'node-versions',
  what: 'Node 18 and Node 22 load the addon, query, and run the installed CLI',
  run(ctx) {
    const seen = []
    for (const { label, major, pkg } of NODES) {
      const node = ctx.modulePath(`${pkg}/bin/node`)
      const report = JSON.parse(ctx.exec(node, ['node-versions/query.js', ctx.newUserDataDir()]))
      assert.equal(Number(report.node.slice(1).split('.')[0]), major, `${label} is ${report.node}`)
      assert.deepEqual(report.displays, expected.RUNNING_TASK_DISPLAYS, label)
      expected.assertTask1031(report.task1031)
      expected.assertMissingTask(report.missing)
      assert.equal(report.noDatabaseCode, 'ERR_DB_NOT_FOUND', label)

      // The CLI as installed (bin/ in the package's files whitelist).
      const cli = ctx.modulePath('aipm-execution-steps/bin/aipm-steps.js')
      const listing = ctx.exec(node, [cli, 'list', 'ai_pm_manager', '--db', report.dbPath])
      assert.match(listing, /TASK_1031\s+\[4\/7\] AI実行中 \(57%\)/, `${label} CLI list`)
      const json = JSON.parse(ctx.exec(node, [cli, 'ai_pm_manager', 'TASK_1031', '--db', report.dbPath]))
      assert.equal(json.progress_percent, 57, `${label} CLI show`)
      seen.push(`${report.node} (N-API ${report.napi})`)
    }
    return `${seen.join(', ')}: queries and CLI ok`
  },
}
