// The report renderer and the targets' judgement, on fixtures:
// `node --test bench/` (npm run test:bench).
//
// bench/fixtures/results-quick.json is what `npm run bench -- --quick` wrote;
// bench/results-2026-12-01.json is the committed baseline (the figures of the
// full run of 2026-12-01), also used here as a full run's results;
// bench/fixtures/calibration.json is the calibration section (issue 20) of a
// run of `npm run bench -- --only=calibration`, added to those.
'use strict'

const { test } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { render, renderFile, readResults, judge } = require('./render')
const { ALLOWANCE } = require('./targets')

const QUICK = path.join(__dirname, 'fixtures', 'results-quick.json')
const BASELINE = path.join(__dirname, 'results-2026-12-01.json')
const CALIBRATION = path.join(__dirname, 'fixtures', 'calibration.json')
const load = (file) => JSON.parse(fs.readFileSync(file, 'utf8'))
/** The quick run's results with the calibration section of the fixture (results schema 2). */
const withCalibration = (results = load(QUICK)) => ({ ...results, schema: 2, calibration: load(CALIBRATION).calibration })

/** The verdict of one target (and mode) in a judgement. */
function verdict(rows, id, mode = '') {
  const row = rows.find((r) => r.target.id === id && r.mode === mode)
  assert.ok(row, `a row for ${id} ${mode}`)
  return row.verdict
}

/** Every Markdown table of `text`: its header's cell count and each row's. */
function tables(text) {
  const out = []
  let current = null
  for (const line of text.split('\n')) {
    if (!line.startsWith('|')) {
      current = null
      continue
    }
    const cells = line.replace(/\\\|/g, '').split('|').length - 2
    if (!current) out.push((current = { header: cells, rows: [] }))
    else current.rows.push(cells)
  }
  return out
}

test('a quick run renders every section; what a quick run cannot judge says why', () => {
  const text = render(load(QUICK), null, { results: 'bench/fixtures/results-quick.json' })
  for (const heading of ['# Benchmark results', '## Method', '## 2,000 tasks', '## Memory', '## Watchers', '## Targets']) {
    assert.ok(text.includes(`\n${heading}`) || text.startsWith(heading), heading)
  }
  assert.match(text, /Baseline: none given/)
  assert.match(text, /\*\*Issue 21's scenario\*\* on the 2,000-task database/)
  assert.match(text, /^Over project `ai_pm_manager`: 800 tasks, 40 orders\.$/m)
  assert.match(text, /^Over all 4 projects: 2,000 tasks, 100 orders\.$/m)
  const rows = judge(load(QUICK), null)
  assert.equal(verdict(rows, 'memory-project', 'WAL'), 'not judged: measured on the 2,000-task database with 3 sweeps')
  assert.equal(verdict(rows, 'memory-database', 'rollback'), 'not judged: measured on the 2,000-task database with 3 sweeps')
  assert.equal(verdict(rows, 'rss-calls'), "not judged: fewer calls than the target's 1,000,000")
  assert.equal(verdict(rows, 'unchanged-single-versus-baseline', 'rollback'), 'not judged: no baseline given (--baseline)')
  assert.equal(verdict(rows, 'idle-cpu', 'WAL'), 'met')
  assert.equal(verdict(rows, 'schema-unchanged'), 'met')
})

test('every table row has as many cells as its header', () => {
  for (const [results, baseline] of [
    [load(QUICK), null],
    [load(QUICK), load(BASELINE)],
    [load(BASELINE), load(BASELINE)],
    [withCalibration(), null],
  ]) {
    const found = tables(render(results, baseline))
    assert.ok(found.length >= 5, `${found.length} tables`)
    for (const t of found) {
      assert.equal(t.rows[0], t.header, 'the separator row')
      for (const cells of t.rows) assert.equal(cells, t.header)
    }
  }
})

test("the working set against a baseline: met within the allowance of the baseline's lead, missed beyond it", () => {
  const baseline = load(BASELINE)
  const same = judge(load(BASELINE), baseline)
  for (const id of ['unchanged-single-versus-baseline', 'afterCommit-running-versus-baseline', 'unchanged-order-versus-baseline']) {
    assert.equal(verdict(same, id, 'WAL'), 'met', id)
  }
  // A run without watcher ticks against one with them, or the other way round: nothing to compare.
  assert.match(verdict(same, 'unchanged-watch-versus-baseline', 'WAL'), /^not judged: the baseline has no unchanged database figures/)

  const slower = (factor) => {
    const r = load(BASELINE)
    for (const size of Object.values(r.sizes)) size.modes.wal.unchanged.single.addonUs *= factor
    return judge(r, baseline)
  }
  // Slower by a factor f, the lead is 1/f of the baseline's.
  const within = 0.95 / (1 - ALLOWANCE)
  const beyond = 1.05 / (1 - ALLOWANCE)
  assert.equal(verdict(slower(within), 'unchanged-single-versus-baseline', 'WAL'), 'met', 'within the allowance')
  assert.equal(verdict(slower(beyond), 'unchanged-single-versus-baseline', 'WAL'), '**missed**', 'beyond it')
  assert.equal(verdict(slower(beyond), 'unchanged-single-versus-baseline', 'rollback'), 'met', 'the other mode is judged apart')
  const row = slower(1.25).find((x) => x.target.id === 'unchanged-single-versus-baseline' && x.mode === 'WAL')
  assert.match(row.text, /^0\.80 of the baseline's lead; 10,000: 13\.5 µs, 3\.0× \(baseline 3\.7×\); 100,000: 19\.4 µs, 4\.5× \(baseline 5\.7×\)$/)
})

test('the memory targets of issue 21: ≤ 64 MB of growth, peak included, judged on the 100,000-task database only', () => {
  const withScenarios = (tasks, peakMb, endMb) => {
    const r = load(BASELINE)
    r.memory.scenarios = structuredClone(load(QUICK).memory.scenarios)
    for (const s of Object.values(r.memory.scenarios)) {
      s.db.tasks = tasks
      for (const m of Object.values(s.modes)) m.growth = { peakMb, endMb }
    }
    return judge(r, null)
  }
  for (const scope of ['project', 'database']) {
    const id = `memory-${scope}`
    assert.equal(verdict(withScenarios(100_000, 64, 30), id, 'WAL'), 'met')
    assert.equal(verdict(withScenarios(100_000, 64.5, 30), id, 'WAL'), '**missed**', 'the peak counts')
    assert.equal(verdict(withScenarios(100_000, 20, 70), id, 'rollback'), '**missed**', 'so does the end')
    assert.match(verdict(withScenarios(10_000, 20, 20), id, 'WAL'), /^not judged: measured on the 10,000-task database/)
  }
})

test('renderFile writes RESULTS…md beside results…json, with the baseline the run names', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aipm-bench-render-'))
  try {
    const results = load(QUICK)
    results.run.baseline = path.relative(path.join(__dirname, '..'), BASELINE)
    const json = path.join(dir, 'results-quick.json')
    fs.writeFileSync(json, JSON.stringify(results))
    const { mdPath, text } = renderFile(json)
    assert.equal(mdPath, path.join(dir, 'RESULTS-quick.md'))
    assert.equal(fs.readFileSync(mdPath, 'utf8'), text)
    assert.match(text, /^Baseline: `bench\/results-2026-12-01\.json` \(2026-12-01 22:34 UTC; the figures of bench\/RESULTS\.md/m)
    // The quick size is not in the baseline: nothing to compare, and it says so.
    assert.match(text, /not judged: the baseline has no unchanged database figures of this operation for the sizes measured/)
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})

test('a results file of another schema, or no results file, is refused', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aipm-bench-render-'))
  try {
    const other = path.join(dir, 'results-old.json')
    fs.writeFileSync(other, JSON.stringify({ ...load(QUICK), schema: 0 }))
    assert.throws(() => readResults(other), /results schema 0, this renderer reads 1 and 2/)
    const text = path.join(dir, 'results-text.json')
    fs.writeFileSync(text, '# not JSON')
    assert.throws(() => readResults(text), /not a results file/)
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})

test('the calibration section: a row per database and kind, the calls, the default budget that gave nothing, the logs against the history', () => {
  const text = render(withCalibration(), null)
  assert.match(text, /\n## Estimate calibration \(issue 20\)\n/)
  assert.match(text, /^\| 10,000-task DB \| first runs \| 610 \| 6,710 \| 43\.5 s \| 46\.0 s \| 0\.95× \| 0\.8504 \|$/m)
  assert.match(text, /^\| 100,000-task DB \| rework runs \| 112 \| 1,232 \| 46\.0 s \| 42\.0 s \| 1\.10× \| 0\.8628 \|$/m)
  assert.match(text, /^\| sample DB \| rework runs \| 13 \| 125 \| 139\.0 s \| 138\.0 s \| 1\.01× \| 0\.8320 \(not judged\) \|$/m)
  assert.match(text, /^\| 10,000-task DB \| 610 worker logs and 577 review logs \(110 with a rework\) in 34 orders \| 174 ms \| 129 ms \| setCacheBudget\(32\) \|$/m)
  assert.match(text, /^\| sample DB \| the sample's own \| \d+ ms \| \d+ ms \| the default cache budget \|$/m)
  assert.match(text, /\*\*At the app's default cache budget the call gave no kind at all\*\* on 10,000-task DB, 100,000-task DB/)
  assert.match(text, /10,000-task DB: 4,000 tasks, 607 of them read from their logs, 0 mismatches; 100,000-task DB: 40,000 tasks, 628 of them/)
  // A run without the part has no section.
  assert.doesNotMatch(render(load(QUICK), null), /Estimate calibration/)
})

test('the calibration targets: coverage 0.80 ± 0.05 and an error below the naive one, per database and kind, judged from 30 runs', () => {
  const rows = judge(withCalibration(), null)
  const v = (kind, what, data) => verdict(rows, `calibration-${what}-${kind}`, data)
  assert.equal(v('review', 'coverage', '10,000-task DB'), 'met', '0.833')
  assert.equal(v('first', 'coverage', '100,000-task DB'), '**missed**', '0.856')
  assert.equal(v('first', 'coverage', '10,000-task DB'), '**missed**', '0.8504: above 0.85, if only just')
  assert.equal(rows.find((r) => r.target.id === 'calibration-coverage-first' && r.mode === '10,000-task DB').text, '0.8504 of 6,710 estimates (610 runs)')
  assert.equal(v('first', 'error', '10,000-task DB'), 'met', '43.5 s against 46.0 s')
  assert.equal(v('rework', 'error', '100,000-task DB'), '**missed**', '46.0 s against 42.0 s')
  assert.equal(v('rework', 'coverage', 'sample DB'), 'not judged: 13 runs, fewer than 30')
  assert.equal(v('rework', 'error', 'sample DB'), 'not judged: 13 runs, fewer than 30')
  const row = rows.find((r) => r.target.id === 'calibration-error-first' && r.mode === '10,000-task DB')
  assert.equal(row.text, '43.5 s against 46.0 s (0.95×)')

  const moved = (coverage, errorMs) => {
    const r = withCalibration()
    const k = r.calibration.sources[0].kinds[0]
    k.coverage = coverage
    k.medianAbsErrorMs = errorMs
    return judge(r, null)
  }
  const at = (rs, what) => verdict(rs, `calibration-${what}-first`, '10,000-task DB')
  assert.equal(at(moved(0.75, 46_000), 'coverage'), 'met', 'the lower end is inside')
  assert.equal(at(moved(0.85, 46_000), 'coverage'), 'met', 'the upper end is inside')
  assert.equal(at(moved(0.749, 46_000), 'coverage'), '**missed**')
  assert.equal(at(moved(0.8, 46_000), 'error'), '**missed**', "as large as the naive estimate's is not below it")

  // A kind the call did not calibrate (too few runs), and a run without the part.
  const r = withCalibration()
  r.calibration.sources[2].kinds = r.calibration.sources[2].kinds.filter((k) => k.kind !== 'rework')
  assert.match(verdict(judge(r, null), 'calibration-coverage-rework', 'sample DB'), /^not judged: no calibration of rework runs/)
  assert.equal(verdict(judge(load(QUICK), null), 'calibration-coverage-first'), 'not judged: calibration was not measured in this run (--only)')
})
