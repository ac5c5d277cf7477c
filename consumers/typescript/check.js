'use strict'
const { assertProbeReport } = require('../shared/sample-expectations')

module.exports = {
  name: 'typescript',
  what: 'tsc --strict of a ScriptExecutionService-style class, then run',
  run(ctx) {
    ctx.node([ctx.modulePath('typescript/bin/tsc'), '-p', 'typescript/tsconfig.json'])
    const report = JSON.parse(ctx.node(['typescript/build/typescript/src/main.js', ctx.newUserDataDir()]))
    assertProbeReport(report)
    return `compiled (strict, 4 expected type errors caught); ${report.views.length} running tasks read`
  },
}
