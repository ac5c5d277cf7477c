// Whether the peer gives the addon's answers: on history-only data it must, or
// the comparison is not of the same work. Compares whole answers (the fields
// below) task by task, and the key order of batch results; a mismatch is kept
// with the task and both answers so it can be reported precisely.
'use strict'

const FIELDS = ['currentStep', 'currentStepDisplay', 'stepIndex', 'progressPercent', 'status', 'assignee', 'source', 'orderId', 'error']
const INSTANTS = ['startedAt', 'lastUpdated']
const EXAMPLES_KEPT = 10

/** The fields in which two answers about one task differ (`[]`: the same answer). */
function diffAnswer(a, b) {
  if (!a || !b) return [{ field: 'missing', addon: a ? 'present' : 'absent', peer: b ? 'present' : 'absent' }]
  const out = []
  for (const f of FIELDS) {
    if ((a[f] ?? null) !== (b[f] ?? null)) out.push({ field: f, addon: a[f] ?? null, peer: b[f] ?? null })
  }
  for (const f of INSTANTS) {
    const [x, y] = [a[f] == null ? null : Date.parse(a[f]), b[f] == null ? null : Date.parse(b[f])]
    if (x !== y) out.push({ field: f, addon: a[f] ?? null, peer: b[f] ?? null })
  }
  return out
}

/** Tally of compared tasks and mismatches, with the first few mismatches in full. */
class Tally {
  constructor() {
    this.compared = 0
    this.mismatches = 0
    this.examples = []
    /** `status: fields` → how many mismatches of that kind */
    this.kinds = {}
  }

  /** One task's answers; `where` says in which measurement it was compared. */
  one(taskId, a, b, where) {
    this.compared++
    const diff = diffAnswer(a, b)
    if (diff.length) this.miss({ where, taskId, status: a?.status ?? b?.status ?? null, diff })
  }

  /** Two batch results (task id → answer): every task, and the order of the keys. */
  keyed(ours, theirs, where) {
    for (const id of new Set([...Object.keys(ours), ...Object.keys(theirs)])) this.one(id, ours[id], theirs[id], where)
    const [a, b] = [Object.keys(ours), Object.keys(theirs)]
    if (JSON.stringify(a) !== JSON.stringify(b)) {
      const at = a.findIndex((id, i) => id !== b[i])
      this.miss({ where, taskId: a[at] ?? b[at], diff: [{ field: 'key order', addon: a.slice(at, at + 3), peer: b.slice(at, at + 3) }] })
    }
  }

  miss(m) {
    this.mismatches++
    const kind = `${m.status ?? 'batch'}: ${m.diff.map((d) => d.field).join(', ')}`
    this.kinds[kind] = (this.kinds[kind] ?? 0) + 1
    if (this.examples.length < EXAMPLES_KEPT) this.examples.push(m)
  }

  add(other) {
    this.compared += other.compared
    this.mismatches += other.mismatches
    for (const m of other.examples) if (this.examples.length < EXAMPLES_KEPT) this.examples.push(m)
    for (const [k, v] of Object.entries(other.kinds)) this.kinds[k] = (this.kinds[k] ?? 0) + v
    return this
  }

  toJSON() {
    return { compared: this.compared, mismatches: this.mismatches, kinds: this.kinds, examples: this.examples }
  }
}

/** `where: TASK_1 stepIndex 3 vs 2, …`, one line per kept mismatch. */
function describeMismatch(m) {
  return `${m.where}: ${m.taskId}${m.status ? ` (${m.status})` : ''}: ${m.diff.map((d) => `${d.field} addon ${JSON.stringify(d.addon)} vs peer ${JSON.stringify(d.peer)}`).join(', ')}`
}

/** Every task of every project in `projects` (batch in every status), addon against peer. */
function agreement(addon, peer, projects, dbPath, statuses, where) {
  const tally = new Tally()
  for (const project of projects) {
    const ours = addon.getMultipleTasksExecutionStepsSync(project, { dbPath, statusFilter: statuses })
    const theirs = peer.tasksByStatus(project, statuses)
    tally.keyed(ours, theirs, `${where}, ${project}`)
  }
  return tally
}

module.exports = { agreement, diffAnswer, describeMismatch, Tally }
