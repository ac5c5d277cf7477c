// The other process of the latency measurement: commits a task's status change
// (as a worker does: tasks row plus change_history row) for each line
// `<project> <task> <from> <to>` on stdin, and answers with the wall-clock time
// (ms, sub-ms precision) at which the commit returned.
'use strict'

const readline = require('node:readline')
const Database = require('better-sqlite3')

const db = new Database(process.argv[2])
const setStatus = db.prepare(
  `UPDATE tasks SET status = ?, updated_at = strftime('%Y-%m-%dT%H:%M:%f', 'now', 'localtime') WHERE project_id = ? AND id = ?`,
)
const addHistory = db.prepare(
  `INSERT INTO change_history (entity_type, entity_id, project_id, field_name, old_value, new_value, changed_by, changed_at)
   VALUES ('task', ?, NULL, 'status', ?, ?, 'worker', CURRENT_TIMESTAMP)`,
)
const flip = db.transaction((project, id, from, to) => {
  setStatus.run(to, project, id)
  addHistory.run(id, from, to)
})

readline.createInterface({ input: process.stdin }).on('line', (line) => {
  const [project, id, from, to] = line.trim().split(' ')
  flip(project, id, from, to)
  process.stdout.write(`${performance.timeOrigin + performance.now()}\n`)
})
process.stdin.on('end', () => db.close())
