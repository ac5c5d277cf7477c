#!/usr/bin/env node
'use strict'
// npm run check:release — what can be checked here of the workflows that only run on GitHub:
//
// release.yml  builds every `napi.targets` entry on a runner of the right OS (and of the
//              right CPU where one is needed: Windows on Arm on windows-11-arm), checks each
//              Windows binary imports no C runtime DLL, uploads and tests it, and publishes
//              through `napi artifacts` + `npm publish` with provenance, on npm >= 11.5.1,
//              with `id-token: write`, after scripts/set-repository.js named the repository;
// packages     every target has an npm/<platform> package whose os/cpu/libc say where it
//              installs; the main package lists each, at its own version, in
//              optionalDependencies and package-lock.json; native.js knows each;
// .cargo       every MSVC target links the C runtime statically (+crt-static);
// ci.yml       runs on every push and pull request: .ci/run on Linux, the MSVC build with
//              its Rust tests and Jest on Windows, macOS, and the Electron job (a real
//              Electron 28 and the current one, under xvfb-run on Linux, plainly on Windows).
//
// It prints what it validated, and every failure.

const fs = require('node:fs')
const path = require('node:path')
const assert = require('node:assert/strict')
const YAML = require('yaml')
const TOML = require('smol-toml')
const { readNapiConfig } = require('@napi-rs/cli')
const { platformPackages } = require('../scripts/platform-packages')

const ROOT = path.resolve(__dirname, '..')
const RELEASE = path.join(ROOT, '.github', 'workflows', 'release.yml')
const CI = path.join(ROOT, '.github', 'workflows', 'ci.yml')
const CARGO_CONFIG = path.join(ROOT, '.cargo', 'config.toml')

/** The runner image families that can build (and run) a target of each Node platform. */
const RUNNER_PREFIX = { linux: 'ubuntu-', win32: 'windows-', darwin: 'macos-' }

/** npm's `libc` field for a Rust target ABI; null where npm does not look at libc. */
function npmLibc(target) {
  if (target.platform !== 'linux') return null
  return target.abi === 'musl' ? 'musl' : 'glibc'
}

/** GitHub's arm64 Linux and Windows runners say so in their name (ubuntu-24.04-arm, windows-11-arm). */
const isArmRunner = (host) => /-arm(64)?$/.test(host)

function parseWorkflow(file) {
  const doc = YAML.parseDocument(fs.readFileSync(file, 'utf8'))
  if (doc.errors.length > 0) throw new Error(`${path.relative(ROOT, file)} does not parse: ${doc.errors[0].message}`)
  return doc.toJS()
}

function stepRuns(job) {
  return job.steps.map((step) => step.run ?? '').join('\n')
}

/** `matrix.x` expressions of a job resolved against one matrix combination (enough for runs-on and run). */
const expand = (text, combo) => String(text ?? '').replace(/\$\{\{\s*matrix\.(\w+)\s*\}\}/g, (_, key) => combo[key] ?? '')

/** A job's matrix combinations: the product of its lists, `include` entries merged in as GitHub does. */
function combinations(job) {
  const matrix = job.strategy?.matrix
  if (!matrix) return [{}]
  const lists = Object.entries(matrix).filter(([key]) => key !== 'include' && key !== 'exclude')
  let combos = [{}]
  for (const [key, values] of lists) combos = combos.flatMap((c) => values.map((v) => ({ ...c, [key]: v })))
  for (const extra of matrix.include ?? []) {
    const matching = combos.filter((c) => Object.entries(extra).every(([k, v]) => !(k in c) || c[k] === v || lists.every(([lk]) => lk !== k)))
    if (matching.length === 0) combos.push({ ...extra })
    for (const c of matching) Object.assign(c, Object.fromEntries(Object.entries(extra).filter(([k]) => !lists.some(([lk]) => lk === k))))
  }
  return combos
}

function checkTarget(target, workflow, packagesByPlatform, mainPackage) {
  const where = `target ${target.triple}`
  const buildRows = workflow.jobs.build.strategy.matrix.settings.filter((row) => row.target === target.triple)
  assert.equal(buildRows.length, 1, `${where}: expected one build matrix row, found ${buildRows.length}`)
  const [row] = buildRows
  assert.ok(row.host.startsWith(RUNNER_PREFIX[target.platform]), `${where}: built on ${row.host}`)
  assert.match(row.build, new RegExp(`--target ${target.triple}(\\s|$)`), `${where}: the build command does not pass --target`)
  if (target.abi === 'msvc') {
    // --strip and RUSTFLAGS replace .cargo/config.toml's flags (napi sets RUSTFLAGS for --strip).
    assert.doesNotMatch(row.build, /--strip|(^|\s)-s(\s|$)|RUSTFLAGS/, `${where}: the build command overrides .cargo/config.toml's rustflags`)
    if (target.arch === 'arm64') assert.ok(isArmRunner(row.host), `${where}: built on ${row.host}, not an arm64 Windows runner`)
  }

  const testRows = workflow.jobs.test.strategy.matrix.settings.filter((r) => r.target === target.triple)
  assert.equal(testRows.length, 1, `${where}: expected one test matrix row`)
  assert.ok(testRows[0].host.startsWith(RUNNER_PREFIX[target.platform]), `${where}: tested on ${testRows[0].host}`)
  if (target.platform !== 'darwin') {
    assert.equal(isArmRunner(testRows[0].host), target.arch === 'arm64', `${where}: tested on ${testRows[0].host}, a runner of another CPU`)
  }

  const pkg = packagesByPlatform.get(target.platformArchABI)
  assert.ok(pkg, `${where}: no npm/${target.platformArchABI}/package.json`)
  const { manifest } = pkg
  const binary = `${mainPackage.napi.binaryName}.${target.platformArchABI}.node`
  assert.equal(manifest.name, `${mainPackage.name}-${target.platformArchABI}`, `${where}: package name`)
  assert.equal(manifest.version, mainPackage.version, `${where}: package version`)
  assert.deepEqual(manifest.os, [target.platform], `${where}: os`)
  assert.deepEqual(manifest.cpu, [target.arch], `${where}: cpu`)
  const libc = npmLibc(target)
  assert.deepEqual(manifest.libc, libc ? [libc] : undefined, `${where}: libc`)
  assert.equal(manifest.main, binary, `${where}: main`)
  assert.deepEqual(manifest.files, [binary], `${where}: files`)
  assert.equal(mainPackage.optionalDependencies?.[manifest.name], mainPackage.version, `${where}: not in optionalDependencies at ${mainPackage.version}`)
}

/** Every MSVC target's rustflags in .cargo/config.toml carry +crt-static. */
function checkStaticCrt(targets, failures) {
  const msvc = targets.filter((t) => t.abi === 'msvc')
  let config = {}
  try {
    config = TOML.parse(fs.readFileSync(CARGO_CONFIG, 'utf8'))
  } catch (err) {
    failures.push(`.cargo/config.toml: ${err.code === 'ENOENT' ? 'missing' : err.message.split('\n')[0]}`)
  }
  for (const { triple } of msvc) {
    const flags = config.target?.[triple]?.rustflags
    const list = Array.isArray(flags) ? flags.join(' ') : String(flags ?? '')
    if (!/target-feature=(\S*,)?\+crt-static/.test(list)) failures.push(`.cargo/config.toml: [target.${triple}] rustflags lack -C target-feature=+crt-static (the .node would need the VC++ runtime, which Electron does not ship)`)
  }
  return `static C runtime for ${msvc.map((t) => t.triple).join(', ')} (.cargo/config.toml)`
}

/** The release's Windows builds are checked for C runtime imports, and nothing overrides the flags. */
function checkDllCheck(workflow, targets, failures) {
  const step = workflow.jobs.build.steps.find((s) => /scripts\/check-windows-dlls\.js/.test(s.run ?? ''))
  if (!step) {
    failures.push('release.yml build job: no step runs scripts/check-windows-dlls.js on the Windows binaries')
    return 'no DLL check'
  }
  const uploadAt = workflow.jobs.build.steps.findIndex((s) => String(s.uses).startsWith('actions/upload-artifact'))
  if (workflow.jobs.build.steps.indexOf(step) > uploadAt) failures.push('release.yml build job: the DLL check runs after the upload')
  const windowsTriples = targets.filter((t) => t.abi === 'msvc').map((t) => t.triple)
  const condition = String(step.if ?? '')
  const covered = (triple) => !condition || (/contains\(matrix\.settings\.target, '([^']+)'\)/.exec(condition)?.[1] ?? '\0').split(' ').some((part) => triple.includes(part))
  for (const triple of windowsTriples) if (!covered(triple)) failures.push(`release.yml build job: the DLL check's condition (${condition}) skips ${triple}`)
  for (const scope of [workflow.env, workflow.jobs.build.env, ...workflow.jobs.build.steps.map((s) => s.env)]) {
    for (const name of Object.keys(scope ?? {})) {
      if (/^(RUSTFLAGS|CARGO_ENCODED_RUSTFLAGS|CARGO_BUILD_RUSTFLAGS|CARGO_TARGET_\w*MSVC_RUSTFLAGS)$/.test(name)) failures.push(`release.yml: ${name} is set, which replaces .cargo/config.toml's +crt-static`)
    }
  }
  return `the release checks the DLL imports of ${windowsTriples.join(', ')} before uploading them`
}

/** Publishing: repository filled in and required, provenance, npm >= 11.5.1, id-token: write. */
function checkPublish(workflow, mainPackage, failures) {
  const job = workflow.jobs.publish
  const publish = stepRuns(job)
  if (!/npm run artifacts|napi artifacts/.test(publish)) failures.push('publish job: no `napi artifacts` step')
  if (!/napi pre-?publish -t npm/.test(mainPackage.scripts.prepublishOnly ?? '')) failures.push('package.json: prepublishOnly is not `napi prepublish -t npm`')
  if (!/napi artifacts/.test(mainPackage.scripts.artifacts ?? '')) failures.push('package.json: the artifacts script is not `napi artifacts`')

  const at = (pattern) => job.steps.findIndex((s) => pattern.test(s.run ?? ''))
  const publishAt = at(/npm publish/)
  if (publishAt === -1) {
    failures.push('publish job: no `npm publish` step')
    return 'no publish step'
  }
  const publishStep = job.steps[publishAt]
  if (!/--provenance/.test(publishStep.run)) failures.push('publish job: `npm publish` without --provenance')
  if (String(publishStep.env?.NPM_CONFIG_PROVENANCE) !== 'true') failures.push('publish job: NPM_CONFIG_PROVENANCE is not true for the platform packages napi prepublish publishes')

  const repoAt = at(/scripts\/set-repository\.js/)
  if (repoAt === -1 || repoAt > publishAt) failures.push('publish job: scripts/set-repository.js does not run before `npm publish` (npm refuses provenance without repository)')
  else if (/--check/.test(job.steps[repoAt].run)) failures.push('publish job: set-repository.js only checks; it must fill the fields in from GITHUB_REPOSITORY')
  else if (!/github\.repository/.test(String(job.steps[repoAt].env?.GITHUB_REPOSITORY ?? '${{ github.repository }}'))) failures.push('publish job: GITHUB_REPOSITORY is not github.repository')
  for (const { manifest } of [{ manifest: mainPackage }, ...platformPackages()]) {
    const url = manifest.repository?.url ?? manifest.repository
    if (url && !/github\.com/.test(url)) failures.push(`${manifest.name}: repository ${url} is not a GitHub URL (provenance needs the repository it is built in)`)
  }

  const npmAt = at(/npm (install|i) -g npm@/)
  const npmVersion = /npm@(\d+)\.(\d+)\.(\d+)/.exec(job.steps[npmAt]?.run ?? '')
  const [major, minor, patch] = npmVersion ? npmVersion.slice(1).map(Number) : [0, 0, 0]
  if (npmAt === -1 || npmAt > publishAt || !npmVersion) failures.push('publish job: no pinned `npm install -g npm@x.y.z` before publishing (trusted publishing needs npm >= 11.5.1)')
  else if (major < 11 || (major === 11 && (minor < 5 || (minor === 5 && patch < 1)))) failures.push(`publish job: npm@${npmVersion.slice(1).join('.')} is older than 11.5.1`)

  const idToken = job.permissions?.['id-token'] ?? workflow.permissions?.['id-token']
  if (idToken !== 'write') failures.push('publish job: no `id-token: write` permission (OIDC for trusted publishing and provenance)')
  return `publish: set-repository.js before npm ${npmVersion ? npmVersion.slice(1).join('.') : '?'} publishes with --provenance and id-token: write`
}

/** ci.yml: the test jobs and the Electron job. */
function checkCi(failures) {
  let ci
  try {
    ci = parseWorkflow(CI)
  } catch (err) {
    failures.push(`ci.yml: ${err.code === 'ENOENT' ? 'missing' : err.message}`)
    return 'no ci.yml'
  }
  const on = ci.on ?? ci[true] // YAML 1.1 reads a bare `on` key as true
  const events = Array.isArray(on) ? on : Object.keys(on ?? {})
  for (const event of ['push', 'pull_request']) if (!events.includes(event)) failures.push(`ci.yml: does not run on ${event}`)

  const jobs = Object.entries(ci.jobs ?? {}).flatMap(([id, job]) => combinations(job).map((combo) => ({ id, job, combo, host: expand(job['runs-on'], combo), runs: expand(stepRuns(job), combo) })))
  const find = (what, predicate) => {
    const found = jobs.find(predicate)
    if (!found) failures.push(`ci.yml: no job ${what}`)
    return found
  }
  find('on ubuntu running .ci/run (or npm test)', (j) => j.host.startsWith('ubuntu-') && /\.ci\/run|npm test/.test(j.runs))
  find('on windows building with MSVC (npm run build), checking its DLLs, and running cargo test and Jest', (j) =>
    j.host.startsWith('windows-') && /npm run build/.test(j.runs) && /check-windows-dlls/.test(j.runs) && /cargo test/.test(j.runs) && /jest/.test(j.runs))
  find('on macos running cargo test and Jest', (j) => j.host.startsWith('macos-') && /cargo test/.test(j.runs) && /jest/.test(j.runs))

  const electron = jobs.filter((j) => /consumers\/electron\/run\.js/.test(j.runs))
  if (electron.length === 0) {
    failures.push('ci.yml: no Electron job (consumers/electron/run.js)')
    return 'ci.yml without an Electron job'
  }
  const versionOf = (j) => /--electron\s+(\S+)/.exec(j.runs)?.[1]
  for (const [os, prefix] of [['Linux', 'ubuntu-'], ['Windows', 'windows-']]) {
    const onOs = electron.filter((j) => j.host.startsWith(prefix))
    const versions = onOs.map(versionOf)
    if (!versions.some((v) => /^28(\.|$)/.test(v ?? ''))) failures.push(`ci.yml: the Electron job does not run Electron 28 (the app's) on ${os}`)
    if (!versions.includes('latest')) failures.push(`ci.yml: the Electron job does not run the current Electron (latest) on ${os}`)
  }
  for (const j of electron.filter((e) => e.host.startsWith('ubuntu-'))) {
    const line = j.runs.split('\n').find((l) => /consumers\/electron\/run\.js/.test(l))
    if (!/xvfb-run/.test(line)) failures.push(`ci.yml: the Electron job on ${j.host} does not run under xvfb-run`)
  }
  const combos = electron.map((j) => `${versionOf(j)} on ${j.host}`)
  return `ci.yml on push and pull_request: .ci/run on ubuntu, MSVC build + DLL check + cargo test + Jest on windows, macos; Electron ${combos.join(', ')}`
}

/** native.js knows every published platform. */
function checkLoader(targets, failures) {
  const source = fs.readFileSync(path.join(ROOT, 'native.js'), 'utf8')
  const list = /const PUBLISHED = \[([^\]]*)\]/.exec(source)?.[1] ?? ''
  const known = [...list.matchAll(/'([^']+)'/g)].map((m) => m[1]).sort()
  const expected = targets.map((t) => t.platformArchABI).sort()
  if (JSON.stringify(known) !== JSON.stringify(expected)) failures.push(`native.js: PUBLISHED is ${known.join(', ')}, napi.targets give ${expected.join(', ')}`)
  return `native.js loads each of the ${expected.length} platform packages`
}

async function checkRelease() {
  const mainPackage = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'))
  const { targets } = await readNapiConfig(path.join(ROOT, 'package.json'))
  const workflow = parseWorkflow(RELEASE)
  const packages = platformPackages()
  const packagesByPlatform = new Map(packages.map((p) => [p.platform, p]))

  const failures = []
  const validated = []
  for (const target of targets) {
    try {
      checkTarget(target, workflow, packagesByPlatform, mainPackage)
    } catch (err) {
      failures.push(err.message.split('\n')[0])
    }
  }
  validated.push(`${targets.length} targets (${targets.map((t) => t.triple).join(', ')}): a build row and a test row on a runner of their OS and CPU, an npm/ package, an optional dependency`)
  if (!targets.some((t) => t.triple === 'aarch64-pc-windows-msvc')) failures.push('napi.targets: no aarch64-pc-windows-msvc (Windows on Arm)')

  // Nothing beyond the targets: no stray package, dependency or matrix row.
  const platforms = new Set(targets.map((t) => t.platformArchABI))
  const triples = new Set(targets.map((t) => t.triple))
  for (const { platform } of packages) if (!platforms.has(platform)) failures.push(`npm/${platform} is not a napi target`)
  for (const name of Object.keys(mainPackage.optionalDependencies ?? {})) {
    if (!platforms.has(name.slice(mainPackage.name.length + 1))) failures.push(`optionalDependencies: ${name} is not a napi target`)
  }
  // `npm ci` refuses a lock without them (see scripts/sync-platform-packages.js).
  const lock = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8'))
  for (const name of Object.keys(mainPackage.optionalDependencies ?? {})) {
    if (lock.packages[`node_modules/${name}`]?.version !== mainPackage.version) {
      failures.push(`package-lock.json: no entry for ${name}@${mainPackage.version}; run node scripts/sync-platform-packages.js`)
    }
  }
  validated.push('package-lock.json has every platform package (npm ci works on a fresh clone)')
  for (const row of workflow.jobs.build.strategy.matrix.settings) {
    if (!triples.has(row.target)) failures.push(`build matrix: ${row.target} is not a napi target`)
  }
  const upload = workflow.jobs.build.steps.find((s) => String(s.uses).startsWith('actions/upload-artifact'))
  if (!upload || !String(upload.with.path).includes('.*.node')) failures.push('build job: the .node binaries are not uploaded')
  if (!mainPackage.files.every((entry) => !entry.endsWith('.node'))) failures.push('package.json: files must not ship a binary in the main package')

  validated.push(checkStaticCrt(targets, failures))
  validated.push(checkDllCheck(workflow, targets, failures))
  validated.push(checkPublish(workflow, mainPackage, failures))
  validated.push(checkLoader(targets, failures))
  validated.push(checkCi(failures))
  return { targets: targets.map((t) => t.triple), validated, failures: [...new Set(failures)] }
}

if (require.main === module) {
  checkRelease().then(
    ({ validated, failures }) => {
      if (failures.length > 0) {
        process.stderr.write(`release check FAILED:\n${failures.map((f) => `  - ${f}`).join('\n')}\n`)
        process.exitCode = 1
      } else {
        process.stdout.write(`release check ok:\n${validated.map((v) => `  - ${v}`).join('\n')}\n`)
      }
    },
    (err) => {
      process.stderr.write(`release check FAILED: ${err.stack}\n`)
      process.exitCode = 1
    },
  )
}

module.exports = { checkRelease }
