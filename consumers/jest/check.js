'use strict'
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')

module.exports = {
  name: 'jest',
  what: 'Jest + ts-jest, two test files, jest.resetModules() reload, env from globalSetup and from a test file',
  run(ctx) {
    const results = path.join(ctx.projectDir, 'jest-results.json')
    ctx.node([ctx.modulePath('jest/bin/jest.js'), '--config', 'jest/jest.config.js', '--ci', '--json', `--outputFile=${results}`])
    const { numTotalTestSuites, numPassedTests, numFailedTests } = JSON.parse(fs.readFileSync(results, 'utf8'))
    assert.equal(numTotalTestSuites, 2)
    assert.equal(numFailedTests, 0)
    assert.equal(numPassedTests, 6)
    return `${numPassedTests} tests in ${numTotalTestSuites} files passed`
  },
}
