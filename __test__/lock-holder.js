// A separate process that holds an exclusive lock on a database until told to
// let go (POSIX locks do not conflict within one process, so this cannot be
// done from the test's own process).
const Database = require('better-sqlite3')
const db = new Database(process.argv[2])
db.exec('BEGIN EXCLUSIVE')
process.stdout.write('locked\n')
process.stdin.once('data', () => {
  db.exec('COMMIT')
  db.close()
  process.exit(0)
})
