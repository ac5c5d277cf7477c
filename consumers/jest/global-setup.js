// Runs once in Jest's parent process, whose environment the test worker processes
// inherit. Environment variables for the addon belong here: inside a test file
// `process.env` is Jest's sandboxed copy, and assigning to it does not reach native code.
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { createSampleDatabase } = require('aipm-execution-steps')

module.exports = async () => {
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'consumer-jest-env-'))
  process.env.AIPM_DB_PATH = createSampleDatabase(userDataDir)
  process.env.CONSUMER_JEST_USER_DATA = userDataDir
}
