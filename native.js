'use strict'
// Loads the native addon for this machine (index.js wraps it). It tries, in order:
//
//   1. NAPI_RS_NATIVE_LIBRARY_PATH, when set: that file and nothing else;
//   2. aipm-execution-steps.<platform>.node next to this file (what `npm run build` writes);
//   3. the platform package npm installed for this machine, aipm-execution-steps-<platform>.
//
// Written for bundlers as much as for Node. Steps 1 and 2, and step 3 unbundled, load
// through a `require` made by createRequire, which webpack leaves alone: the override works
// in a bundle as it does in Node. In a webpack bundle, step 3 is one request with the
// platform left open (`../aipm-execution-steps-${platform}/…node`): webpack answers it by
// looking in the node_modules folder this package is in, bundles the binary of every
// platform package installed there (through the app's rule for .node files, node-loader in
// Electron Forge's templates) and has nothing to warn about for the ones that are not.
//
// Replaces the loader napi-rs generates (`napi build --js`), whose static requests gave
// webpack a warning for every platform package not installed, and whose override webpack
// turned into an empty context that could never load anything.
const { existsSync, readFileSync } = require('node:fs')
const { createRequire } = require('node:module')
const { join } = require('node:path')

/** The platforms of package.json `napi.targets`: a package aipm-execution-steps-<platform> each. */
const PUBLISHED = ['darwin-arm64', 'darwin-x64', 'linux-arm64-gnu', 'linux-x64-gnu', 'win32-arm64-msvc', 'win32-x64-msvc']

/** A require webpack does not rewrite, for paths known only at run time. */
const requireAtRunTime = createRequire(__filename)

function isMusl() {
  try {
    return readFileSync('/usr/bin/ldd', 'utf8').includes('musl')
  } catch {
    if (typeof process.report?.getReport !== 'function') return false
    process.report.excludeNetwork = true
    return !process.report.getReport().header?.glibcVersionRuntime
  }
}

/** This machine as napi-rs names platforms: win32-x64-msvc, linux-x64-gnu, darwin-arm64, … */
function platformName() {
  const { platform, arch } = process
  if (platform === 'win32') return `win32-${arch}-msvc`
  if (platform === 'linux') return `linux-${arch}-${isMusl() ? 'musl' : 'gnu'}`
  return `${platform}-${arch}`
}

function fromPlatformPackage(platform) {
  if (typeof __webpack_require__ === 'function') {
    try {
      return require(`../aipm-execution-steps-${platform}/aipm-execution-steps.${platform}.node`)
    } catch (err) {
      err.message = `not bundled (was it installed when the bundle was built?): ${err.message}`
      throw err
    }
  }
  return requireAtRunTime(`aipm-execution-steps-${platform}`)
}

function loadBinding() {
  const platform = platformName()
  const attempts = []
  const attempt = (what, load) => {
    try {
      return load()
    } catch (err) {
      attempts.push({ what, err })
      return null
    }
  }

  let binding = null
  const override = process.env.NAPI_RS_NATIVE_LIBRARY_PATH
  if (override) {
    binding = attempt(`NAPI_RS_NATIVE_LIBRARY_PATH=${override}`, () => requireAtRunTime(override))
  } else {
    const local = join(__dirname, `aipm-execution-steps.${platform}.node`)
    if (existsSync(local)) binding = attempt(local, () => requireAtRunTime(local))
    if (!binding && PUBLISHED.includes(platform)) {
      binding = attempt(`aipm-execution-steps-${platform}`, () => fromPlatformPackage(platform))
    } else if (!binding) {
      attempts.push({ what: platform, err: new Error('no prebuilt binary is published for this platform') })
    }
  }
  if (binding) return binding

  const err = new Error(
    `Cannot find native binding for ${platform}. Tried:\n` +
      `${attempts.map(({ what, err }) => `  - ${what}: ${err.message.replace(/\s*\n\s*/g, ' ')}`).join('\n')}\n` +
      'Install the platform package (npm installs it as an optional dependency; if npm skipped it, remove ' +
      'node_modules and package-lock.json and install again), or set NAPI_RS_NATIVE_LIBRARY_PATH to the .node file.',
  )
  err.code = 'ERR_NATIVE_BINDING_NOT_FOUND'
  err.cause = attempts.length === 1 ? attempts[0].err : new AggregateError(attempts.map((a) => a.err))
  throw err
}

const binding = loadBinding()
// Which kind of artifact was loaded, as the generated loader reported it (index.d.ts).
binding.__napiBindingTarget = 'native'
module.exports = binding
