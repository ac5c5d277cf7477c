const fs = require('node:fs')

module.exports = async () => {
  fs.rmSync(process.env.CONSUMER_JEST_USER_DATA, { recursive: true, force: true })
}
