#!/usr/bin/env node
'use strict'
// npm run test:consumers — proves the package works where native addons usually break:
// packs the package as npm would publish it (npm run pack:local), installs the tarballs
// into one throwaway project with pinned tools, and runs every consumer in it. Each
// consumer (consumers/<name>/check.js) asserts real query results on the sample database.
//
//   node consumers/run.js [--reuse-dist] [--keep] [consumer ...]
//     --reuse-dist  use the tarballs already in dist/ instead of packing again
//     --keep        keep the throwaway project (its path is printed)
//     consumer      run only these (typescript, jest, vitest, worker-threads, webpack-electron, node-versions,
//                   electron-forge)
//
// Needs the host's binary (npm run build) and the npm registry for the tools. The Node 18 /
// 22 binaries are the linux-x64 npm packages, so the run is for Linux x64 (as CI is).

const { execFileSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')
const { packLocal } = require('../scripts/pack-local')
const { hostPlatformPackage } = require('../scripts/platform-packages')
const { createProject } = require('./project')

const CONSUMERS = ['typescript', 'jest', 'vitest', 'worker-threads', 'webpack-electron', 'node-versions', 'electron-forge'].map((name) =>
  require(`./${name}/check`))

const DIST = path.resolve(__dirname, '..', 'dist')

function parseArgs(argv) {
  const flags = new Set(argv.filter((a) => a.startsWith('--')))
  const only = argv.filter((a) => !a.startsWith('--'))
  const unknown = only.filter((name) => !CONSUMERS.some((c) => c.name === name))
  if (unknown.length > 0) throw new Error(`unknown consumer(s): ${unknown.join(', ')}`)
  return { reuseDist: flags.has('--reuse-dist'), keep: flags.has('--keep'), only }
}

/** The tarballs in dist/ from an earlier pack:local, if both are there. */
function existingTarballs(platformName, version) {
  const main = path.join(DIST, `aipm-execution-steps-${version}.tgz`)
  const platform = path.join(DIST, `${platformName}-${version}.tgz`)
  return fs.existsSync(main) && fs.existsSync(platform) ? { main, platform } : null
}

/** What a consumer's check gets: commands run in the project, scratch folders. */
function contextFor(projectDir, platformManifest, tarballs, keep) {
  const exec = (file, args, options = {}) => {
    try {
      return execFileSync(file, args, { cwd: projectDir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...options })
    } catch (err) {
      const output = `${err.stdout ?? ''}${err.stderr ?? ''}`.trim()
      throw new Error(`${path.basename(file)} ${args.join(' ')} failed (exit ${err.status}):\n${output}`)
    }
  }
  let scratchCount = 0
  const scratchDir = () => fs.mkdtempSync(path.join(projectDir, `scratch-${(scratchCount += 1)}-`))
  return {
    projectDir,
    /** The packed tarballs ({ main, platform }), for consumers that install them into a project of their own. */
    tarballs,
    /** --keep: consumers keep their own scratch folders too. */
    keep,
    /** The host's platform package and its binary, e.g. aipm-execution-steps.linux-x64-gnu.node */
    platformPackageName: platformManifest.name,
    binaryName: platformManifest.main,
    exec,
    node: (args, options) => exec(process.execPath, args, options),
    modulePath: (relative) => path.join(projectDir, 'node_modules', relative),
    scratchDir,
    /** An empty folder for `createSampleDatabase`. */
    newUserDataDir: scratchDir,
  }
}

function seconds(ms) {
  return `${(ms / 1000).toFixed(1)}s`
}

async function main() {
  const options = parseArgs(process.argv.slice(2))
  const started = Date.now()
  const platform = hostPlatformPackage()
  if (!platform) throw new Error(`no npm/ package matches this host (${process.platform}-${process.arch})`)
  const { version } = require('../package.json')

  let tarballs = options.reuseDist ? existingTarballs(platform.manifest.name, version) : null
  if (!tarballs) tarballs = packLocal()
  process.stdout.write(`tarballs: ${path.relative(process.cwd(), tarballs.main)}, ${path.relative(process.cwd(), tarballs.platform)}\n`)

  const installStarted = Date.now()
  const projectDir = createProject(tarballs, platform.manifest.name)
  process.stdout.write(`installed into ${projectDir} in ${seconds(Date.now() - installStarted)}\n\n`)

  const ctx = contextFor(projectDir, platform.manifest, tarballs, options.keep)
  const selected = options.only.length > 0 ? CONSUMERS.filter((c) => options.only.includes(c.name)) : CONSUMERS
  const outcomes = []
  for (const consumer of selected) {
    const consumerStarted = Date.now()
    process.stdout.write(`▶ ${consumer.name}: ${consumer.what}\n`)
    try {
      const detail = await consumer.run(ctx)
      outcomes.push({ name: consumer.name, ok: true, detail, ms: Date.now() - consumerStarted })
    } catch (err) {
      outcomes.push({ name: consumer.name, ok: false, detail: err.message, ms: Date.now() - consumerStarted })
    }
    const last = outcomes[outcomes.length - 1]
    process.stdout.write(`  ${last.ok ? 'PASS' : 'FAIL'} (${seconds(last.ms)}) ${last.detail}\n\n`)
  }

  const width = Math.max(...outcomes.map((o) => o.name.length))
  process.stdout.write('consumer summary:\n')
  for (const o of outcomes) {
    const firstLine = o.detail.split('\n')[0]
    process.stdout.write(`  ${o.ok ? 'PASS' : 'FAIL'}  ${o.name.padEnd(width)}  ${seconds(o.ms).padStart(6)}  ${firstLine}\n`)
  }
  if (options.keep) process.stdout.write(`kept ${projectDir}\n`)
  else fs.rmSync(projectDir, { recursive: true, force: true })

  const failed = outcomes.filter((o) => !o.ok).length
  process.stdout.write(`${outcomes.length - failed}/${outcomes.length} consumers passed; ${seconds(Date.now() - started)} in all (pack, install, run, clean up)\n`)
  if (failed > 0) process.exitCode = 1
}

main().catch((err) => {
  process.stderr.write(`consumers: ${err.stack}\n`)
  process.exitCode = 1
})
