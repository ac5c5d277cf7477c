// Working copies of a generated benchmark database in a chosen journal mode.
//
// The generated databases (bench/generate.js) are cached and never written; a
// run that commits (the "after a commit" measurements, the load test) works on
// a fresh copy in `<dir>/<name>/data/aipm.db`, switched to WAL (the mode the app
// keeps its database in) or left in the rollback journal (journal_mode=DELETE).
// With `logs`, the copy's user-data folder also gets the generated worker and
// review logs (PROJECTS/, logs/), as the app's has: the estimate's history and
// the statistics read them. Without, the database alone — what the peer,
// which reads no log, can be compared with.
'use strict'

const fs = require('node:fs')
const path = require('node:path')
const Database = require('better-sqlite3')

/** The two journal modes measured side by side: the app's, and a database the app never opened. */
const MODES = [
  { name: 'wal', pragma: 'WAL', label: 'WAL' },
  { name: 'delete', pragma: 'DELETE', label: 'rollback' },
]

/**
 * Copies `sourceDb` to `<dir>/<name>/data/aipm.db` (replacing an earlier copy)
 * in journal mode `mode` (an entry of MODES), and with `logs` the logs beside
 * it. Returns the copy's user-data root and path.
 */
function workingCopy(sourceDb, dir, name, mode, { logs = false } = {}) {
  const root = path.join(dir, name)
  fs.rmSync(root, { recursive: true, force: true })
  fs.mkdirSync(path.join(root, 'data'), { recursive: true })
  if (logs) {
    const sourceRoot = path.dirname(path.dirname(sourceDb))
    for (const folder of ['PROJECTS', 'logs']) {
      const from = path.join(sourceRoot, folder)
      if (fs.existsSync(from)) fs.cpSync(from, path.join(root, folder), { recursive: true })
    }
  }
  const dbPath = path.join(root, 'data', 'aipm.db')
  fs.copyFileSync(sourceDb, dbPath)
  const db = new Database(dbPath)
  const got = db.pragma(`journal_mode = ${mode.pragma}`, { simple: true })
  db.close()
  if (String(got).toLowerCase() !== mode.name) throw new Error(`${dbPath}: journal_mode is ${got}, wanted ${mode.pragma}`)
  return { root, dbPath }
}

/** The journal mode a database file is in now. */
function journalMode(dbPath) {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true })
  try {
    return String(db.pragma('journal_mode', { simple: true })).toLowerCase()
  } finally {
    db.close()
  }
}

module.exports = { MODES, workingCopy, journalMode }
