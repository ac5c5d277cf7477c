// Whether the peer gives the addon's answers: on history-only data it must, or
// the comparison is not of the same work. Compares every task of the project.
'use strict'

const FIELDS = ['currentStep', 'currentStepDisplay', 'stepIndex', 'progressPercent', 'status', 'assignee', 'source', 'orderId']
const INSTANTS = ['startedAt', 'lastUpdated']

function agreement(addon, peer, project, dbPath, statuses) {
  const ours = addon.getMultipleTasksExecutionStepsSync(project, { dbPath, statusFilter: statuses })
  const theirs = peer.tasksByStatus(project, statuses)
  let compared = 0
  let mismatches = 0
  let example = null
  const keys = new Set([...Object.keys(ours), ...Object.keys(theirs)])
  for (const id of keys) {
    compared++
    const a = ours[id]
    const b = theirs[id]
    const diff = !a || !b
      ? ['missing']
      : [
          ...FIELDS.filter((f) => (a[f] ?? null) !== (b[f] ?? null)),
          ...INSTANTS.filter((f) => (a[f] == null ? null : Date.parse(a[f])) !== (b[f] == null ? null : Date.parse(b[f]))),
        ]
    if (diff.length) {
      mismatches++
      example ??= `${id}: ${diff.map((f) => `${f} ${JSON.stringify(a?.[f])} vs ${JSON.stringify(b?.[f])}`).join(', ')}`
    }
  }
  const sameOrder = JSON.stringify(Object.keys(ours)) === JSON.stringify(Object.keys(theirs))
  if (!sameOrder) {
    mismatches++
    example ??= 'keys in another order'
  }
  return { compared, mismatches, example }
}

module.exports = { agreement }
