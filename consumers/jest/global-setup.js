// Runs once in Jest's parent process, whose environment the test worker processes
// inherit: a default database for every test file. A test file may also set its own
// (reload.test.ts does): the package reads the sandboxed `process.env` Jest gives it.
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { createSampleDatabase } = require('aipm-execution-steps')

module.exports = async () => {
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'consumer-jest-env-'))
  process.env.AIPM_DB_PATH = createSampleDatabase(userDataDir)
  process.env.CONSUMER_JEST_USER_DATA = userDataDir
}
