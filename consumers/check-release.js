#!/usr/bin/env node
'use strict'
// npm run check:release — what can be checked here of a release that only runs on GitHub:
// the workflow parses, builds every `napi.targets` entry on a runner of the right OS and
// uploads it, tests it, and publishes through `napi artifacts` + `npm publish`; every target
// has an npm/<platform> package whose os/cpu/libc say where it installs; and the main
// package lists every platform package, at its own version, in optionalDependencies.

const fs = require('node:fs')
const path = require('node:path')
const assert = require('node:assert/strict')
const YAML = require('yaml')
const { readNapiConfig } = require('@napi-rs/cli')
const { platformPackages } = require('../scripts/platform-packages')

const ROOT = path.resolve(__dirname, '..')
const WORKFLOW = path.join(ROOT, '.github', 'workflows', 'release.yml')

/** The runner image families that can build (and run) a target of each Node platform. */
const RUNNER_PREFIX = { linux: 'ubuntu-', win32: 'windows-', darwin: 'macos-' }

/** npm's `libc` field for a Rust target ABI; null where npm does not look at libc. */
function npmLibc(target) {
  if (target.platform !== 'linux') return null
  return target.abi === 'musl' ? 'musl' : 'glibc'
}

function parseWorkflow() {
  const doc = YAML.parseDocument(fs.readFileSync(WORKFLOW, 'utf8'))
  if (doc.errors.length > 0) throw new Error(`${WORKFLOW} does not parse: ${doc.errors[0].message}`)
  return doc.toJS()
}

function stepRuns(job) {
  return job.steps.map((step) => step.run ?? '').join('\n')
}

function checkTarget(target, workflow, packagesByPlatform, mainPackage) {
  const where = `target ${target.triple}`
  const buildRows = workflow.jobs.build.strategy.matrix.settings.filter((row) => row.target === target.triple)
  assert.equal(buildRows.length, 1, `${where}: expected one build matrix row, found ${buildRows.length}`)
  const [row] = buildRows
  assert.ok(row.host.startsWith(RUNNER_PREFIX[target.platform]), `${where}: built on ${row.host}`)
  assert.match(row.build, new RegExp(`--target ${target.triple}(\\s|$)`), `${where}: the build command does not pass --target`)

  const testRows = workflow.jobs.test.strategy.matrix.settings.filter((r) => r.target === target.triple)
  assert.equal(testRows.length, 1, `${where}: expected one test matrix row`)
  assert.ok(testRows[0].host.startsWith(RUNNER_PREFIX[target.platform]), `${where}: tested on ${testRows[0].host}`)

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

async function checkRelease() {
  const mainPackage = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'))
  const { targets } = await readNapiConfig(path.join(ROOT, 'package.json'))
  const workflow = parseWorkflow()
  const packages = platformPackages()
  const packagesByPlatform = new Map(packages.map((p) => [p.platform, p]))

  const failures = []
  for (const target of targets) {
    try {
      checkTarget(target, workflow, packagesByPlatform, mainPackage)
    } catch (err) {
      failures.push(err.message.split('\n')[0])
    }
  }

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
  for (const row of workflow.jobs.build.strategy.matrix.settings) {
    if (!triples.has(row.target)) failures.push(`build matrix: ${row.target} is not a napi target`)
  }

  // The napi-rs release flow, in order: artifacts moved into npm/, then npm publish,
  // whose prepublishOnly publishes the platform packages first.
  const publish = stepRuns(workflow.jobs.publish)
  if (!/npm run artifacts|napi artifacts/.test(publish)) failures.push('publish job: no `napi artifacts` step')
  if (!/npm publish/.test(publish)) failures.push('publish job: no `npm publish` step')
  if (!/napi pre-?publish -t npm/.test(mainPackage.scripts.prepublishOnly ?? '')) failures.push('package.json: prepublishOnly is not `napi prepublish -t npm`')
  if (!/napi artifacts/.test(mainPackage.scripts.artifacts ?? '')) failures.push('package.json: the artifacts script is not `napi artifacts`')
  const upload = workflow.jobs.build.steps.find((s) => String(s.uses).startsWith('actions/upload-artifact'))
  if (!upload || !String(upload.with.path).includes('.*.node')) failures.push('build job: the .node binaries are not uploaded')
  if (!mainPackage.files.every((entry) => !entry.endsWith('.node'))) failures.push('package.json: files must not ship a binary in the main package')

  return { targets: targets.map((t) => t.triple), failures }
}

if (require.main === module) {
  checkRelease().then(
    ({ targets, failures }) => {
      if (failures.length > 0) {
        process.stderr.write(`release check FAILED:\n${failures.map((f) => `  - ${f}`).join('\n')}\n`)
        process.exitCode = 1
      } else {
        process.stdout.write(`release check ok: ${targets.length} targets (${targets.join(', ')}) have a build row, a test row, an npm/ package and an optional dependency\n`)
      }
    },
    (err) => {
      process.stderr.write(`release check FAILED: ${err.stack}\n`)
      process.exitCode = 1
    },
  )
}

module.exports = { checkRelease }
