// Timing helpers: mean time per operation over enough repetitions, and percentiles.
'use strict'

const now = () => process.hrtime.bigint()

/** Mean microseconds per call of `fn`, repeating until `minMs` have passed (after a warm-up). */
function timeSync(fn, { minMs = 1000, warmup = 50 } = {}) {
  for (let i = 0; i < warmup; i++) fn(i)
  let calls = 0
  let batch = 1
  const started = now()
  let elapsed = 0n
  while (elapsed < BigInt(minMs) * 1_000_000n) {
    for (let i = 0; i < batch; i++) fn(calls + i)
    calls += batch
    batch = Math.min(batch * 2, 10_000)
    elapsed = now() - started
  }
  return Number(elapsed) / 1000 / calls
}

/** Mean microseconds per call when `fanOut()` (a Promise of `calls` calls) is awaited repeatedly. */
async function timeAsync(fanOut, calls, { minMs = 1000, warmup = 2 } = {}) {
  for (let i = 0; i < warmup; i++) await fanOut()
  let rounds = 0
  const started = now()
  let elapsed = 0n
  while (elapsed < BigInt(minMs) * 1_000_000n) {
    await fanOut()
    rounds++
    elapsed = now() - started
  }
  return Number(elapsed) / 1000 / (rounds * calls)
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  const m = Math.floor(s.length / 2)
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length

/**
 * Two sides timed in alternating rounds (A B, B A, A B, …) so that a change in the
 * machine's load hits both alike: [median round of A, of B, A's rounds, B's rounds],
 * µs per call.
 */
async function compare(a, b, { minMs = 1000, rounds = 6 } = {}) {
  const chunk = { minMs: Math.max(50, minMs / rounds) }
  const as = []
  const bs = []
  for (let r = 0; r < rounds; r++) {
    // A B, B A, A B, …: neither side is always the one right after the other
    if (r % 2 === 0) {
      as.push(await a(chunk))
      bs.push(await b(chunk))
    } else {
      bs.push(await b(chunk))
      as.push(await a(chunk))
    }
  }
  return [median(as), median(bs), as, bs]
}

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]
}

/** `12.3 µs`, `4.56 ms` */
function formatTime(us) {
  if (!Number.isFinite(us)) return '–'
  if (us >= 1000) return `${(us / 1000).toFixed(us >= 100_000 ? 0 : 2)} ms`
  return `${us.toFixed(us >= 100 ? 0 : 1)} µs`
}

const formatRatio = (r) => (Number.isFinite(r) ? `${r >= 100 ? r.toFixed(0) : r.toFixed(1)}×` : '–')

module.exports = { timeSync, timeAsync, compare, median, mean, percentile, formatTime, formatRatio }
