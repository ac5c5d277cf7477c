// The benchmark's report, from its results JSON alone:
//
//   node bench/render.js [bench/results.json] [--baseline FILE] [--out FILE]
//
// Reads a run's results (bench/run.js writes them), and a previous run's as the
// baseline (--baseline, else the one the run was given), and writes Markdown:
// the figures, and every target of bench/targets.js judged met, missed or not
// judged. The output goes beside the input, `results…json` → `RESULTS…md`
// (bench/results.json → bench/RESULTS.md), unless --out says otherwise.
'use strict'

const fs = require('node:fs')
const path = require('node:path')
const { formatTime, formatRatio } = require('./measure')
const { TARGETS, MODES, KINDS, CALIBRATION_JUDGED_RUNS, limitText, meets, ratioOf, sourceLabel } = require('./targets')

/**
 * The version of the results JSON bench/run.js writes: 2 added `calibration`
 * (issue 20). This renderer reads every version in READS (a version-1 file, such
 * as an older baseline, has no calibration).
 */
const SCHEMA = 2
const READS = [1, 2]
const REPO = path.join(__dirname, '..')

const n = (x) => x.toLocaleString('en')
const mb = (x) => `${x.toFixed(1)} MB`
const signedMb = (x) => `${x >= 0 ? '+' : ''}${x.toFixed(1)} MB`
const label = (mode) => MODES.find((m) => m.name === mode).label

function table(headers, rows) {
  const cell = (c) => String(c).replace(/\|/g, '\\|')
  return [`| ${headers.map(cell).join(' | ')} |`, `|${headers.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)].join('\n')
}

/** A results file, checked to be one this renderer reads. */
function readResults(file) {
  let results
  try {
    results = JSON.parse(fs.readFileSync(file, 'utf8'))
  } catch (e) {
    throw new Error(`${file}: not a results file (${e.message})`)
  }
  if (!READS.includes(results.schema)) throw new Error(`${file}: results schema ${results.schema}, this renderer reads ${READS.join(' and ')}`)
  return results
}

// ---------------------------------------------------------------- sections

function header(results, sources) {
  const { run, machine: m } = results
  const out = ['# Benchmark results', '']
  out.push(
    `Measured by \`${run.command}\`; rendered from \`${sources.results}\` by \`node bench/render.js\` — run the benchmark or render again rather than edit this file.`,
  )
  out.push('')
  const commit = run.commit ? `commit ${run.commit}${run.dirty ? ' with uncommitted changes' : ''}` : 'commit unknown'
  const load = (l) => (l ? l.map((x) => x.toFixed(2)).join(' / ') : '–')
  out.push(
    `Machine: ${m.model}, ${m.cores} cores, ${m.memGb.toFixed(0)} GB, ${m.platform}; Node ${m.node}; ${commit}; ${run.date}${run.partial ? ' (a partial run)' : ''}. ` +
      `Load average at start ${load(m.loadStart)}, at end ${load(m.loadEnd)}. Whole run ${(run.seconds / 60).toFixed(1)} min.`,
  )
  out.push('')
  if (sources.baseline) {
    const b = sources.baselineResults
    out.push(`Baseline: \`${sources.baseline}\` (${b.run.date}${b.run.commit ? `, commit ${b.run.commit}` : ''}${b.run.note ? `; ${b.run.note}` : ''}).`)
  } else {
    out.push('Baseline: none given (`--baseline FILE`), so the targets relative to a previous run are not judged.')
  }
  return out
}

function method(results) {
  const c = results.config
  return [
    '',
    '## Method',
    '',
    'Each size is copied fresh from the generated database (bench/generate.js) twice: one copy switched to WAL (the mode the app keeps its database in), ' +
      'one left in the rollback journal (journal_mode=DELETE). In the benchmark\'s process the app\'s own connection (better-sqlite3, read-write) stays open on the copy; ' +
      'the peer (bench/peer/history-peer.js, better-sqlite3 read-only) and the addon read it. Ratio = peer time / addon time.',
    '',
    `- **After a commit**: before every timed call the app's connection commits one transaction (a change_history row about a running task, \`project_id\` NULL, ` +
      "and that task's `updated_at`), then addon and peer each answer once from that snapshot, in alternating order; per-call medians after a few untimed warm-up calls " +
      `(${Object.entries(c.afterCommit).map(([op, k]) => `${op} ${n(k)}`).join(', ')} calls per variant and mode).`,
    `- **Unchanged database**: nothing commits; addon and peer are timed in alternating rounds (A B, B A, …; the median round, ${(c.minMs / 1000).toFixed(1)} s per side), ` +
      `once the copy's files have been still for ${(c.settleMs / 1000).toFixed(1)} s by their own modification times: the addon trusts unchanged file stamps only ` +
      'after 2 s of stillness, and calls before that read the database\'s version as after a commit.',
    '- "Running tasks" are the project\'s IN_PROGRESS tasks, the default filter of the addon\'s batches and watchers and of the peer (the app\'s poll). ' +
      "A **watcher tick** is one look for changes by a watcher of the running tasks, as index.js's timer runs it (on the libuv pool, awaited); the peer's counterpart is its batch of the running tasks.",
  ]
}

function sizeSection(results, size, baseline) {
  const s = results.sizes[size]
  const d = s.db
  const [w, r] = [s.modes.wal, s.modes.delete]
  const base = baseline?.sizes?.[size]?.modes
  const out = ['', `## ${n(d.tasks)} tasks / ${n(d.historyRows)} history rows (${d.projects} projects, ${n(d.orders)} orders, ${n(d.lockRows)} file locks)`, '']
  out.push(
    `Project \`${d.project}\`: ${w.running} running (IN_PROGRESS) tasks; order \`${d.order}\`: ${w.orderTasks} tasks (${w.orderRunning} running), read in every status. ` +
      `Commits per mode: ${n(w.commits)}.`,
  )
  const cells = (x) => (x ? [formatTime(x.addonUs), formatTime(x.peerUs), `**${formatRatio(ratioOf(x))}**`] : ['–', '–', '–'])
  // The baseline's ratios in a last column, when there is a baseline with this size.
  const baseCells = (pick) => (base ? [MODES.map((m) => formatRatio(ratioOf(pick(base[m.name])))).join(' / ')] : [])
  const baseHeader = base ? ['baseline ratio WAL / rollback'] : []
  const measured = (pick) => pick(w) || pick(r)
  const names = {
    single: 'single call (sync)',
    async: `${w.running} async calls in flight (per call; peer: the same calls, sequential)`,
    running: `batch: all ${w.running} running tasks`,
    order: `batch: one order (${w.orderTasks} tasks)`,
    watch: 'watcher tick (peer: its batch of the running tasks)',
  }
  const touches = {
    single: { same: 'the task asked for', other: 'another running task of the project' },
    running: { same: 'a task of the batch', other: 'a running task of another project' },
    order: { same: 'a running task of the order', other: 'a running task outside the order' },
    watch: { same: 'a watched task', other: 'a running task of another project' },
  }
  out.push('', '**After a commit** (median per call)', '')
  const rows = []
  for (const op of Object.keys(touches)) {
    for (const v of ['same', 'other']) {
      const pick = (m) => m?.afterCommit?.[op]?.[v]
      if (measured(pick)) rows.push([names[op], touches[op][v], ...cells(pick(w)), ...cells(pick(r)), ...baseCells(pick)])
    }
  }
  out.push(table(['operation', 'the commit touches', 'WAL: addon', 'peer', 'ratio', 'rollback: addon', 'peer', 'ratio', ...baseHeader], rows))
  out.push('', '**Unchanged database** (polling)', '')
  const urows = []
  for (const op of Object.keys(names)) {
    const pick = (m) => m?.unchanged?.[op]
    if (measured(pick)) urows.push([names[op], ...cells(pick(w)), ...cells(pick(r)), ...baseCells(pick)])
  }
  out.push(table(['operation', 'WAL: addon', 'peer', 'ratio', 'rollback: addon', 'peer', 'ratio', ...baseHeader], urows))
  out.push('')
  const ag = (x, name) =>
    `${name}: all ${n(x.agreement.before.compared)} tasks before the commits ${n(x.agreement.before.mismatches)} mismatches, ` +
    `after them ${n(x.agreement.after.mismatches)}; ${n(x.agreement.afterCommits.compared)} answers timed after a commit ${n(x.agreement.afterCommits.mismatches)}`
  out.push(`Agreement with the peer (every field compared, and the key order of batches) — ${ag(w, 'WAL')}; ${ag(r, 'rollback')}.`)
  const kindsOf = (x) => {
    const kinds = {}
    for (const t of [x.agreement.before, x.agreement.afterCommits, x.agreement.after]) {
      for (const [k, v] of Object.entries(t.kinds)) kinds[k] = (kinds[k] ?? 0) + v
    }
    return Object.entries(kinds).map(([k, v]) => `${k} × ${n(v)}`).join('; ') || 'none'
  }
  const examples = [w, r].flatMap((x) => [...x.agreement.before.examples, ...x.agreement.afterCommits.examples, ...x.agreement.after.examples])
  if (examples.length) {
    out.push('', `Mismatches by status and field — WAL: ${kindsOf(w)}; rollback: ${kindsOf(r)}. The first ones:`, '')
    for (const e of examples.slice(0, 10)) out.push(`- ${describeMismatch(e)}`)
  }
  return out
}

/** As bench/agreement.js writes a mismatch (the renderer needs the JSON only). */
function describeMismatch(m) {
  return `${m.where}: ${m.taskId}${m.status ? ` (${m.status})` : ''}: ${m.diff.map((d) => `${d.field} addon ${JSON.stringify(d.addon)} vs peer ${JSON.stringify(d.peer)}`).join(', ')}`
}

function memorySection(results) {
  const { calls, scenarios } = results.memory
  const out = ['', '## Memory', '']
  if (calls) {
    const peak = calls.peakRssMb != null ? `; the process's peak ${mb(calls.peakRssMb)}, warm-up and uncollected JS garbage included` : ''
    const growth = `${mb(calls.beforeMb)} → ${mb(calls.afterMb)} (**${signedMb(calls.growthMb)}**, ${calls.seconds.toFixed(1)} s${peak})`
    const what = `RSS over ${n(calls.calls)} sync calls about the running tasks, ${n(calls.tasks)}-task DB (${label(calls.mode)}), after a warm-up of 20,000, own process`
    out.push(table(['measure', 'result'], [[what, growth]]))
  }
  if (!scenarios) return out
  const any = Object.values(scenarios)[0]
  out.push('')
  out.push(
    `**Issue 21's scenario** on the ${n(any.db.tasks)}-task database (${n(any.db.historyRows)} history rows). For each journal mode and scope, a fresh process ` +
      'that holds only the addon and the ids it asks about (bench/memory-scenario.js): the addon loaded and one call made (the baseline, after a GC); ' +
      `${any.sweeps} sweeps of getTaskExecutionStepSync over every task; one getStepDurationStatsSync over each whole project; getMultipleTasksExecutionStepsSync ` +
      `for every order, in every status. RSS is sampled every ${n(results.config.sampleEvery)} calls and after every big call; the peak is the highest sample or ` +
      "the kernel's high-water mark, whichever is higher; the end is read after a GC.",
  )
  for (const s of Object.values(scenarios)) {
    out.push('')
    const over = s.projects.length === 1 ? `project \`${s.projects[0]}\`` : `all ${s.projects.length} projects`
    out.push(`Over ${over}: ${n(s.tasks)} tasks, ${n(s.orders)} orders.`, '')
    const modes = MODES.filter((m) => s.modes[m.name])
    const col = (f) => modes.map((m) => f(s.modes[m.name]))
    const rows = [['the addon loaded, one call made (baseline)', ...col((x) => `${mb(x.baseline.rssMb)} (JS heap ${mb(x.baseline.heapMb)})`)]]
    s.modes[modes[0].name].phases.forEach((p, i) => {
      const highWater = (q) => (q.highWaterMb != null ? ` (high-water mark ${mb(q.highWaterMb)})` : '')
      rows.push([`… ${p.name}`, ...col((x) => `${mb(x.phases[i].rssMb)}${highWater(x.phases[i])}, ${x.phases[i].seconds.toFixed(1)} s`)])
    })
    rows.push(['the end, after a GC', ...col((x) => `${mb(x.end.rssMb)} (JS heap ${mb(x.end.heapMb)})`)])
    rows.push(['**growth at the end**', ...col((x) => `**${signedMb(x.growth.endMb)}**`)])
    const sampled = (x) => `${x.peak.phase} — at call ${n(x.peak.calls)}; JS heap ${mb(x.peak.heapMb)}`
    const peak = (x) =>
      x.peak.kernelMb > x.peak.rssMb
        ? `${mb(x.peak.mb)}: the kernel's high-water mark, ${x.peak.where} (the highest sample ${mb(x.peak.rssMb)}: ${sampled(x)})`
        : `${mb(x.peak.mb)} (${sampled(x)})`
    rows.push(['the peak (where; JS heap then)', ...col(peak)])
    rows.push(['**growth at the peak**', ...col((x) => `**${signedMb(x.growth.peakMb)}**`)])
    rows.push(['time', ...col((x) => `${x.seconds.toFixed(x.seconds < 10 ? 1 : 0)} s`)])
    out.push(table(['', ...modes.map((m) => m.label)], rows))
  }
  return out
}

function watchSection(results) {
  const w = results.watch
  const rows = []
  for (const m of MODES) {
    const l = w.latency[m.name]
    rows.push([
      `change→callback latency, ${w.intervalMs} ms interval, ${m.label} (${l.samples} commits from another process at random phases)`,
      `p50 ${l.p50.toFixed(0)} ms, p95 ${l.p95.toFixed(0)} ms, max ${l.max.toFixed(0)} ms${l.errors.length ? `; ${l.errors.length} watcher errors` : ''}`,
    ])
  }
  for (const m of MODES) {
    const c = w.idleCpu[m.name]
    rows.push([
      `idle CPU, watchers at ${w.intervalMs} ms on the ${n(w.tasks)}-task DB, ${m.label} (${results.config.idleSeconds} s)`,
      `1 watcher ${c.one.toFixed(2)} %, 20 watchers ${c.twenty.toFixed(2)} % of a core`,
    ])
  }
  return ['', '## Watchers', '', table(['measure', 'result'], rows)]
}

function calibrationSection(results) {
  const c = results.calibration
  const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`
  const out = ['', '## Estimate calibration (issue 20)', '']
  out.push(
    '`getEstimateCalibration` on the first project of each database: each of its finished runs — from the worker logs, the review logs and the rework ' +
      'runs inside them — left out in turn and estimated from the others at the start of each of its steps and at 25, 50 and 75 % of its long steps ' +
      "(median ≥ 60 s); the error is |expected end − real end|, the naive estimate the sum of the remaining steps' medians, the coverage the share of " +
      'the estimates whose band [lowAt, highAt] held the real end (meant to be 0.80). The generated databases have logs for the runs of their first ' +
      "project's most recent orders (bench/generate.js: skewed durations, about one review in five rejected and reworked); the sample is " +
      '`createSampleDatabase`, made fresh. Each database is calibrated in a process of its own (bench/calibration.js).',
  )
  out.push('')
  const rows = []
  for (const s of c.sources) {
    for (const kind of Object.keys(KINDS)) {
      const k = s.kinds.find((x) => x.kind === kind)
      if (!k) continue
      const ratio = k.naiveMedianAbsErrorMs > 0 ? `${(k.medianAbsErrorMs / k.naiveMedianAbsErrorMs).toFixed(2)}×` : '–'
      const coverage = `${k.coverage.toFixed(4)}${k.runs < CALIBRATION_JUDGED_RUNS ? ' (not judged)' : ''}`
      rows.push([sourceLabel(s), KINDS[kind], n(k.runs), n(k.estimates), seconds(k.medianAbsErrorMs), seconds(k.naiveMedianAbsErrorMs), ratio, coverage])
    }
    if (!s.kinds.length) rows.push([sourceLabel(s), 'no kind calibrated', '–', '–', '–', '–', '–', '–'])
  }
  out.push(table(['data', 'kind', 'runs', 'estimates', 'median error', "naive's", 'error / naive', 'coverage'], rows))
  out.push('')
  const calls = c.sources.map((s) => {
    const logs = s.logs
      ? `${n(s.logs.workerLogs)} worker logs and ${n(s.logs.reviewLogs)} review logs (${n(s.logs.reworks)} with a rework) in ${n(s.logs.orders)} orders`
      : "the sample's own"
    const budget = s.budgetMb == null ? 'the default cache budget' : `setCacheBudget(${s.budgetMb})`
    return [sourceLabel(s), logs, `${s.firstMs.toFixed(0)} ms`, `${s.secondMs.toFixed(0)} ms`, budget]
  })
  out.push(table(['data', 'logs', 'first call (gathers the logs)', 'second call', 'measured with'], calls))
  const retried = c.sources.filter((s) => s.budgetMb != null)
  if (retried.length) {
    out.push('')
    out.push(
      `**At the app's default cache budget the call gave no kind at all** on ${retried.map(sourceLabel).join(', ')} ` +
        `(in ${retried.map((s) => `${s.atDefaultBudget.firstMs.toFixed(0)} ms`).join(', ')}): the project's gathered runs are kept in the ` +
        'run-history cache, within its share of the budget, and the calibration reads them from there; these did not fit. The figures above were measured ' +
        `again, in a fresh process, after setCacheBudget(${c.retryBudgetMb}).`,
    )
  }
  const checked = c.sources.filter((s) => s.logsAgainstHistory)
  if (checked.length) {
    out.push('')
    const text = checked.map((s) => {
      const x = s.logsAgainstHistory
      return `${sourceLabel(s)}: ${n(x.compared)} tasks, ${n(x.fromLogs)} of them read from their logs, ${n(x.mismatches)} mismatches`
    })
    out.push(
      "The logs against the database's history — the addon reading each generated database with its logs, the peer reading the database alone; every " +
        `task of the project, every field but \`source\` compared: ${text.join('; ')}.`,
    )
    const examples = checked.flatMap((s) => s.logsAgainstHistory.examples)
    if (examples.length) out.push('')
    for (const e of examples.slice(0, 10)) out.push(`- ${describeMismatch(e)}`)
  }
  return out
}

/**
 * Every target judged: one row per target and case — the journal mode, where
 * it is judged per mode; the database calibrated, for the calibration's.
 */
function judge(results, baseline) {
  const rows = []
  for (const t of TARGETS) {
    const cases = t.cases ? t.cases(results) : t.perMode ? MODES : [null]
    for (const c of cases) {
      const f = t.figure(results, c?.name, baseline)
      const verdict = f.notJudged ? `not judged: ${f.notJudged}` : meets(t.limit, f.value) ? 'met' : '**missed**'
      rows.push({ target: t, mode: c?.label ?? '', text: f.text ?? '–', verdict })
    }
  }
  return rows
}

function targetsSection(results, baseline) {
  const rows = judge(results, baseline)
  const out = ['', '## Targets', '']
  out.push(table(['target', 'mode or data', 'limit', 'measured', ''], rows.map((r) => [r.target.what, r.mode, limitText(r.target.limit), r.text, r.verdict])))
  out.push('', 'What the targets mean (bench/targets.js):', '')
  // A group of targets (one per operation and state) is listed once, with its members.
  const listed = new Set()
  for (const t of TARGETS) {
    if (t.group && listed.has(t.group.name)) continue
    const members = t.group ? TARGETS.filter((x) => x.group?.name === t.group.name).map((x) => x.group.member) : []
    const name = t.group ? `**${t.group.name}** (${members.join('; ')})` : `**${t.what}**`
    out.push(`- ${name}${t.from ? ` (${t.from})` : ''}. ${t.means}`)
    if (t.group) listed.add(t.group.name)
  }
  return out
}

// ---------------------------------------------------------------- entry points

/** The report of `results` (and `baseline`, or null) as Markdown; `sources` names the files for the header. */
function render(results, baseline, sources = {}) {
  const out = [...header(results, { results: 'results.json', ...sources, baselineResults: baseline }), ...method(results)]
  for (const size of Object.keys(results.sizes ?? {})) out.push(...sizeSection(results, size, baseline))
  if (results.memory) out.push(...memorySection(results))
  if (results.watch) out.push(...watchSection(results))
  if (results.calibration) out.push(...calibrationSection(results))
  out.push(...targetsSection(results, baseline))
  return `${out.join('\n')}\n`
}

const relative = (file) => path.relative(REPO, path.resolve(file))
const defaultOut = (jsonPath) => path.join(path.dirname(jsonPath), path.basename(jsonPath, '.json').replace(/^results/, 'RESULTS') + '.md')

/**
 * Renders a results file to Markdown beside it (or to `mdPath`); the baseline
 * is `baselinePath`, else the one the run names (if that file is there).
 */
function renderFile(jsonPath, { baselinePath = null, mdPath = defaultOut(jsonPath) } = {}) {
  const results = readResults(jsonPath)
  const named = results.run.baseline && path.join(REPO, results.run.baseline)
  const basePath = baselinePath ?? (named && fs.existsSync(named) ? named : null)
  const baseline = basePath ? readResults(basePath) : null
  const text = render(results, baseline, { results: relative(jsonPath), baseline: basePath && relative(basePath) })
  fs.writeFileSync(mdPath, text)
  return { mdPath, text }
}

module.exports = { render, renderFile, readResults, judge, SCHEMA, READS }

if (require.main === module) {
  const args = process.argv.slice(2)
  const opts = {}
  let input = path.join(__dirname, 'results.json')
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = args[i].split(/=(.*)/s)
    if (flag === '--baseline') opts.baselinePath = path.resolve(inline ?? args[++i])
    else if (flag === '--out') opts.mdPath = path.resolve(inline ?? args[++i])
    else if (!flag.startsWith('--')) input = path.resolve(flag)
    else {
      console.error(`usage: node bench/render.js [results.json] [--baseline FILE] [--out FILE]`)
      process.exit(2)
    }
  }
  const { mdPath } = renderFile(input, opts)
  console.error(`wrote ${relative(mdPath)}`)
}
