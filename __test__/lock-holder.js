// A separate process that holds a database in the middle of a write until told
// to let go, then rolls back (the database ends as it was). POSIX locks do not
// conflict within one process, so this cannot be done from the test's own
// process. The addon reads without locks and waits only while a write is under
// way (its journal exists), so the holder writes something first.
const Database = require('better-sqlite3')
const db = new Database(process.argv[2])
db.exec('BEGIN EXCLUSIVE')
db.exec('CREATE TABLE lock_holder_write_in_progress (x)')
process.stdout.write('locked\n')
process.stdin.once('data', () => {
  db.exec('ROLLBACK')
  db.close()
  process.exit(0)
})
