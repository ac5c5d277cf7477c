'use strict'
// The app's own packaging: Electron Forge 7 with plugin-webpack (node-loader, ts-loader
// transpileOnly), its `ignore` function, asar with its unpack glob and
// plugin-auto-unpack-natives (app/, shaped like AI PM Manager's forge.config.js and
// webpack configs). `electron-forge package` runs to the end, offline, with stand-in Electron
// zips (stand-in-electron.js), for linux-x64 and win32-x64 and two recipes:
//
//   A  the app's config unchanged: webpack bundles the package, node-loader its .node;
//   B  `externals` for the package plus one `ignore` line keeping node_modules/aipm-execution-steps*.
//
// Each packaged app is then read as Electron presents it (app.asar extracted with
// @electron/asar, its .unpacked files where Electron finds them) and its bundled main
// process run with a stub `electron` module: with Node for linux-x64, with Windows Node
// under Wine for win32-x64 (the x86_64-pc-windows-gnu build `npm run test:windows` makes
// stands in for the MSVC binary of aipm-execution-steps-win32-x64-msvc). The win32-x64 half
// needs what test:windows needs (root, or its Debian packages installed) and says SKIPPED
// with the reason where it cannot run (a failure with CI=true, as test:windows).

const assert = require('node:assert/strict')
const { execFileSync } = require('node:child_process')
const crypto = require('node:crypto')
const fs = require('node:fs')
const { createRequire } = require('node:module')
const os = require('node:os')
const path = require('node:path')
const expected = require('../shared/sample-expectations')
const { writeStandInZip } = require('./stand-in-electron')

const REPO = path.resolve(__dirname, '..', '..')
const STUB_PATH = path.join(__dirname, 'electron-stub')
const CI = !!process.env.CI && !['0', 'false'].includes(process.env.CI.toLowerCase())
const PACKAGE = 'aipm-execution-steps'
const STEPS = ['get_task_info', 'assign_worker', 'file_lock', 'execute_task', 'create_report', 'update_status_done', 'auto_review']

const sha256 = (buffer) => crypto.createHash('sha256').update(buffer).digest('hex')

function sh(file, args, options = {}) {
  try {
    return execFileSync(file, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...options })
  } catch (err) {
    throw new Error(`${path.basename(file)} ${args.join(' ')} failed (exit ${err.status}):\n${`${err.stdout ?? ''}${err.stderr ?? ''}`.trim().slice(-3000)}`)
  }
}

/** The Windows side: the MinGW build and Wine from windows/run.js, or why not. */
function windowsSetup() {
  const win = require('../../windows/run.js')
  try {
    win.preflight()
    win.ensurePackages()
    win.buildAddon()
    const nodeExe = win.ensureNode(win.NODE_VERSIONS[0])
    win.ensurePrefix()
    return { win, nodeExe, nodeVersion: win.NODE_VERSIONS[0] }
  } catch (err) {
    if (!(err instanceof win.SetupError)) throw err
    if (CI) throw new Error(`win32-x64 cannot be set up (CI=true, so this is a failure): ${err.message}`)
    return { skipped: err.message }
  }
}

/** npm/win32-x64-msvc as published, with `binary` as its .node; returns the tarball. */
function packWin32Package(binary, workDir) {
  const stage = path.join(workDir, 'win32-x64-msvc')
  fs.cpSync(path.join(REPO, 'npm', 'win32-x64-msvc'), stage, { recursive: true })
  const manifest = JSON.parse(fs.readFileSync(path.join(stage, 'package.json'), 'utf8'))
  fs.copyFileSync(binary, path.join(stage, manifest.main))
  const [{ filename }] = JSON.parse(sh('npm', ['pack', '--json', '--pack-destination', workDir], { cwd: stage }))
  return { name: manifest.name, tarball: path.join(workDir, filename) }
}

/** The app (app/ plus consumers/shared's service) with the packed package installed. */
function createApp(workDir, mainTarball, platformPackages) {
  const appDir = path.join(workDir, 'forge-app')
  fs.cpSync(path.join(__dirname, 'app'), appDir, { recursive: true })
  for (const file of ['ScriptExecutionService.ts', 'probe.ts']) {
    fs.cpSync(path.join(__dirname, '..', 'shared', file), path.join(appDir, 'src', 'shared', file))
  }
  const manifestPath = path.join(appDir, 'package.json')
  const manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8'))
  manifest.dependencies = { [PACKAGE]: `file:${mainTarball}` }
  // Where the published package's optionalDependencies would fetch them from npm.
  manifest.optionalDependencies = Object.fromEntries(platformPackages.map(({ name, tarball }) => [name, `file:${tarball}`]))
  fs.writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`)
  return appDir
}

/** `npm install` for a target platform, as README tells a build machine to (--os/--cpu). */
function install(appDir, platform, arch) {
  sh('npm', ['install', '--no-audit', '--no-fund', `--os=${platform}`, `--cpu=${arch}`], {
    cwd: appDir,
    env: { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1' },
  })
  return fs.readdirSync(path.join(appDir, 'node_modules')).filter((name) => name.startsWith(`${PACKAGE}-`))
}

/** webpack's warnings and errors for the main process, with Forge's own config for recipe A. */
async function webpackDiagnostics(appDir, outDir) {
  const appRequire = createRequire(path.join(appDir, 'package.json'))
  const webpack = appRequire('webpack')
  const { default: WebpackConfigGenerator } = appRequire('@electron-forge/plugin-webpack/dist/WebpackConfig')
  const pluginConfig = require(path.join(appDir, 'forge.config.js')).plugins.find((p) => p.name === '@electron-forge/plugin-webpack').config
  const config = await new WebpackConfigGenerator(pluginConfig, appDir, true, 3000).getMainConfig()
  config.output.path = outDir
  config.context = appDir // Forge compiles from the app's folder (its working directory)
  const stats = await new Promise((resolve, reject) => webpack(config).run((err, result) => (err ? reject(err) : resolve(result))))
  const { warnings, errors } = stats.toJson({ all: false, warnings: true, errors: true, moduleTrace: false })
  const fromPackage = (w) => `${w.moduleName ?? ''} ${w.moduleIdentifier ?? ''}`.includes(`node_modules/${PACKAGE}`)
  return { warnings: warnings.length, packageWarnings: warnings.filter(fromPackage), errors }
}

/** `electron-forge package` for one recipe and platform; returns the packaged app's folder. */
function forgePackage(appDir, { recipe, platform, arch, zipDir, outDir }) {
  const cli = createRequire(path.join(appDir, 'package.json')).resolve('@electron-forge/cli/dist/electron-forge.js')
  sh(process.execPath, [cli, 'package', `--platform=${platform}`, `--arch=${arch}`], {
    cwd: appDir,
    env: { ...process.env, AIPM_FORGE_RECIPE: recipe, AIPM_ELECTRON_ZIP_DIR: zipDir, ELECTRON_SKIP_BINARY_DOWNLOAD: '1', NO_COLOR: '1' },
  })
  const packaged = path.join(outDir, `${recipe}-${platform}-${arch}`)
  fs.renameSync(path.join(appDir, 'out', `forge-app-${platform}-${arch}`), packaged)
  return packaged
}

/** Every .node file in the packaged app: where it is and which binary it is. */
function shippedBinaries(appRequire, packaged, knownBinaries) {
  const asar = appRequire('@electron/asar')
  const archive = path.join(packaged, 'resources', 'app.asar')
  const found = []
  const walk = (dir, prefix) => {
    for (const [name, entry] of Object.entries(dir.files ?? {})) {
      const file = prefix ? `${prefix}/${name}` : name
      if (entry.files) walk(entry, file)
      else if (name.endsWith('.node')) {
        const content = entry.unpacked ? fs.readFileSync(path.join(`${archive}.unpacked`, file)) : asar.extractFile(archive, file)
        found.push({ file, where: entry.unpacked ? 'app.asar.unpacked' : 'app.asar', binary: knownBinaries.get(sha256(content)) ?? 'an unknown binary' })
      }
    }
  }
  walk(asar.getRawHeader(archive).header, '')
  return found
}

/** The packaged app as Electron presents it: app.asar's files, the unpacked ones at their places. */
function extractApp(appRequire, packaged, dest) {
  appRequire('@electron/asar').extractAll(path.join(packaged, 'resources', 'app.asar'), dest)
  return dest
}

/** Why a run failed: its report's error, else its output from the first error line on (not the minified source line). */
function failureOf(report, output) {
  const text = fs.existsSync(report) ? fs.readFileSync(report, 'utf8') : output
  const at = text.search(/^\w*Error\b/m)
  return text.slice(Math.max(at, 0), Math.max(at, 0) + 2000)
}

/** Runs the packaged main process with Node and the stub `electron`; returns its report. */
function runWithNode(appDir, userData, env = {}) {
  const report = path.join(userData, '..', `${path.basename(userData)}.report.json`)
  fs.mkdirSync(userData, { recursive: true })
  const runEnv = { ...process.env, NODE_PATH: STUB_PATH, AIPM_STUB_USER_DATA: userData, AIPM_FORGE_REPORT: report, ...env }
  if (!env.NAPI_RS_NATIVE_LIBRARY_PATH) delete runEnv.NAPI_RS_NATIVE_LIBRARY_PATH
  try {
    execFileSync(process.execPath, [appDir], { env: runEnv, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' })
  } catch (err) {
    throw new Error(`the packaged main process exited with ${err.status}: ${failureOf(report, `${err.stdout}${err.stderr}`)}`)
  }
  return JSON.parse(fs.readFileSync(report, 'utf8'))
}

/** The same with Windows Node under Wine (windows/run.js's prefix and environment). */
async function runUnderWine({ win, nodeExe }, appDir, userData) {
  const report = path.join(userData, '..', `${path.basename(userData)}.report.json`)
  const output = path.join(userData, '..', `${path.basename(userData)}.output.txt`)
  fs.mkdirSync(userData, { recursive: true })
  const env = win.wineEnv({
    NODE_PATH: win.winPath(STUB_PATH),
    AIPM_STUB_USER_DATA: win.winPath(userData),
    AIPM_FORGE_REPORT: win.winPath(report),
    // Wine 8 has no bcryptprimitives.dll; windows/run.js's stand-in is found on the PATH,
    // so nothing is added to the packaged app.
    WINEPATH: win.winPath(win.ADDON_DIR),
  })
  const r = await win.wineNode(nodeExe, [win.winPath(appDir)], env, output, 5 * 60000)
  if (r.code !== 0 || !fs.existsSync(report)) {
    throw new Error(`the packaged main process under Wine exited with ${r.timedOut ? 'a time-out' : r.code}: ${failureOf(report, fs.readFileSync(output, 'utf8'))}`)
  }
  return JSON.parse(fs.readFileSync(report, 'utf8'))
}

/** What every run of the packaged main process must report. */
function assertAnswers(report, where) {
  assert.equal(report.error, undefined, `${where}: ${report.error}`)
  expected.assertProbeReport(report.probe)
  assert.deepEqual(report.steps.map((s) => s.step), STEPS, `${where}: steps[].step`)
  assert.equal(report.steps[3].status, 'in_progress', `${where}: TASK_1031 is in step 4`)
  assert.equal(report.bindingTarget, 'native')
}

/** The loaded .node, relative to the extracted app (posix), or a failure naming what was loaded. */
function loadedFrom(report, appDir, where) {
  const unix = report.binaries.map((file) => file.replace(/^[A-Z]:/i, '').replace(/\\/g, '/'))
  const inside = unix.filter((file) => file.startsWith(`${appDir}/`))
  assert.equal(inside.length, 1, `${where}: one .node loaded from the app, got ${JSON.stringify(report.binaries)}`)
  return inside[0].slice(appDir.length + 1)
}

module.exports = {
  name: 'electron-forge',
  what: 'Electron Forge 7 packages the app (recipes A and B, linux-x64 and win32-x64); the packaged main process loads the addon',
  async run(ctx) {
    const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'aipm-forge-'))
    const note = (line) => process.stdout.write(`  ${line}\n`)
    try {
      const windows = windowsSetup()
      if (windows.skipped) note(`win32-x64: SKIPPED — ${windows.skipped}`)
      else note(`win32-x64: the x86_64-pc-windows-gnu build of test:windows (${path.relative(REPO, windows.win.ADDON)}) stands in for aipm-execution-steps.win32-x64-msvc.node`)

      const linuxBinary = ctx.modulePath(`${ctx.platformPackageName}/${ctx.binaryName}`)
      const knownBinaries = new Map([[sha256(fs.readFileSync(linuxBinary)), ctx.binaryName]])
      const platformPackages = [{ name: ctx.platformPackageName, tarball: ctx.tarballs.platform }]
      if (!windows.skipped) {
        platformPackages.push(packWin32Package(windows.win.ADDON, workDir))
        knownBinaries.set(sha256(fs.readFileSync(windows.win.ADDON)), 'aipm-execution-steps.win32-x64-msvc.node (MinGW stand-in)')
      }

      const appDir = createApp(workDir, ctx.tarballs.main, platformPackages)
      const appRequire = createRequire(path.join(appDir, 'package.json'))
      const zipDir = path.join(workDir, 'electron-zips')
      const outDir = path.join(workDir, 'packaged')
      fs.mkdirSync(outDir)

      let electronVersion
      const targets = [{ platform: 'linux', arch: 'x64' }]
      if (!windows.skipped) targets.push({ platform: 'win32', arch: 'x64' })
      for (const { platform, arch } of targets) {
        const installed = install(appDir, platform, arch)
        note(`${platform}-${arch}: npm install --os=${platform} --cpu=${arch} installed ${installed.join(', ')}`)
        assert.deepEqual(installed, [`${PACKAGE}-${platform}-${arch}-${platform === 'win32' ? 'msvc' : 'gnu'}`], 'only the target platform package is installed')
        electronVersion = appRequire('electron/package.json').version
        await writeStandInZip(appRequire, zipDir, { version: electronVersion, platform, arch })

        if (platform === 'linux') {
          const diagnostics = await webpackDiagnostics(appDir, path.join(workDir, 'webpack-check'))
          assert.deepEqual(diagnostics.errors, [], 'webpack errors')
          note(`recipe A: webpack (Forge's main config, the app's rules) printed ${diagnostics.packageWarnings.length} warnings from ${PACKAGE} (${diagnostics.warnings} in all)`)
          assert.equal(diagnostics.packageWarnings.length, 0, `webpack warns about ${PACKAGE} ${diagnostics.packageWarnings.length} times:\n${diagnostics.packageWarnings.map((w) => w.message.split('\n')[0]).join('\n')}`)
        }

        for (const recipe of ['A', 'B']) {
          const where = `recipe ${recipe} ${platform}-${arch}`
          const packaged = forgePackage(appDir, { recipe, platform, arch, zipDir, outDir })
          const shipped = shippedBinaries(appRequire, packaged, knownBinaries)
          note(`${where} ships ${shipped.map((s) => `${s.binary} as ${s.file} in ${s.where}`).join('; ') || 'no .node'}`)
          assert.equal(shipped.length, 1, `${where}: one binary shipped`)
          const [binary] = shipped
          assert.equal(binary.where, 'app.asar.unpacked', `${where}: the .node is unpacked`)
          if (recipe === 'A') assert.match(binary.file, /^\.webpack\/main\/[0-9a-f]+\.node$/, `${where}: node-loader's copy`)
          else assert.match(binary.file, new RegExp(`^node_modules/${PACKAGE}-${platform}-${arch}-(gnu|msvc)/`), `${where}: the platform package's file`)

          const app = extractApp(appRequire, packaged, path.join(workDir, 'run', `${recipe}-${platform}`, 'resources', 'app'))
          const userData = path.join(workDir, 'run', `${recipe}-${platform}`, 'user-data')
          const report = platform === 'win32' ? await runUnderWine(windows, app, userData) : runWithNode(app, userData)
          assertAnswers(report, where)
          assert.equal(report.platform, `${platform}-${arch}`)
          assert.equal(loadedFrom(report, app, where), binary.file, `${where}: the process loaded the shipped binary`)
          note(`${where}: the packaged main process (${report.node}${platform === 'win32' ? ' under Wine' : ''}) loaded ${binary.file} and answered (${expected.RUNNING_TASK_DISPLAYS.TASK_1031} for TASK_1031)`)

          if (recipe === 'A' && platform === 'linux') {
            // The documented override, bundled: with the bundled binary gone the bundle cannot
            // load, and NAPI_RS_NATIVE_LIBRARY_PATH brings it back from elsewhere.
            const moved = path.join(workDir, 'elsewhere', ctx.binaryName)
            fs.mkdirSync(path.dirname(moved))
            fs.renameSync(path.join(app, binary.file), moved)
            assert.throws(() => runWithNode(app, `${userData}-gone`), /Cannot find native binding/, 'without its binary the bundle cannot load')
            const overridden = runWithNode(app, `${userData}-override`, { NAPI_RS_NATIVE_LIBRARY_PATH: moved })
            assertAnswers(overridden, `${where} with NAPI_RS_NATIVE_LIBRARY_PATH`)
            assert.deepEqual(overridden.binaries, [moved])
            note(`${where}: NAPI_RS_NATIVE_LIBRARY_PATH works in the bundle (binary moved out of the app, loaded from ${path.relative(workDir, moved)})`)
          }
        }
      }

      // Why recipe A needs plugin-auto-unpack-natives: asar matches the unpack glob with
      // minimatch, whose ** never enters a dot folder such as .webpack.
      const minimatch = createRequire(appRequire.resolve('@electron/asar'))('minimatch')
      const forgeConfig = require(path.join(appDir, 'forge.config.js'))
      const bundled = path.join(workDir, 'staging', 'resources', 'app', '.webpack', 'main', 'b8f097ea.node')
      const appGlob = forgeConfig.packagerConfig.asar.unpack
      const withPlugin = `{${appGlob},**/{.**,**}/**/*.node}` // what plugin-auto-unpack-natives makes of it
      assert.equal(minimatch(bundled, appGlob, { matchBase: true }), false, "the app's glob alone unpacks .webpack/main/*.node")
      assert.equal(minimatch(bundled, withPlugin, { matchBase: true }), true)
      note(`recipe A: the app's unpack glob ${appGlob} does not match .webpack/main/<hash>.node; plugin-auto-unpack-natives' addition does`)

      return `Electron Forge ${appRequire('@electron-forge/cli/package.json').version}, Electron ${electronVersion} (stand-in zips): ` +
        `${targets.map((t) => `${t.platform}-${t.arch}`).join(' and ')} packaged with recipes A and B, each loaded from its package` +
        `; 0 webpack warnings from the package; the path override works bundled${windows.skipped ? `; win32-x64 SKIPPED — ${windows.skipped}` : ''}`
    } finally {
      if (ctx.keep) process.stdout.write(`  kept ${workDir}\n`)
      else fs.rmSync(workDir, { recursive: true, force: true })
    }
  },
}
