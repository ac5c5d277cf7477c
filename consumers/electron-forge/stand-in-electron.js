'use strict'
// Stand-in Electron zips for Electron Packager's `electronZipDir` (nothing can be downloaded
// here). Named and laid out as the real ones, electron-v<version>-<platform>-<arch>.zip, with
// what @electron/packager 18 reads from them (dist/platform.js, linux.js, win32.js): the
// executable it renames (`electron`, `electron.exe`), resources/default_app.asar (which it
// deletes), and LICENSE and version as in the real zip. On Windows it rewrites the version
// resource of electron.exe with resedit, so the stand-in is a real PE executable with a
// version resource (an empty one with one language, made with resedit's pe-library). It
// runs nothing: the packaged main process is run by check.js with Node and a stub `electron`.

const fs = require('node:fs')
const path = require('node:path')

/** A minimal Windows x64 executable with a version resource, as packager's resedit step needs. */
async function standInExe(appRequire) {
  const resedit = await appRequire('resedit/cjs').load()
  const exe = resedit.NtExecutable.createEmpty(false, false)
  const res = resedit.NtExecutableResource.from(exe)
  const version = resedit.Resource.VersionInfo.createEmpty()
  version.lang = 1033
  version.setStringValues({ lang: 1033, codepage: 1200 }, { ProductName: 'Electron stand-in', FileDescription: 'Electron stand-in' })
  version.outputToResourceEntries(res.entries)
  res.outputResource(exe)
  return Buffer.from(exe.generate())
}

/** Writes electron-v<version>-<platform>-<arch>.zip into zipDir; returns its path. */
async function writeStandInZip(appRequire, zipDir, { version, platform, arch }) {
  const yazl = appRequire('yazl')
  const zip = new yazl.ZipFile()
  if (platform === 'win32') zip.addBuffer(await standInExe(appRequire), 'electron.exe')
  else zip.addBuffer(Buffer.from('#!/bin/sh\necho "Electron stand-in: nothing to run" >&2\nexit 1\n'), 'electron', { mode: 0o100755 })
  zip.addBuffer(Buffer.from('stand-in for default_app.asar\n'), 'resources/default_app.asar')
  zip.addBuffer(Buffer.from('Electron stand-in for tests (consumers/electron-forge); not Electron.\n'), 'LICENSE')
  zip.addBuffer(Buffer.from(version), 'version')
  zip.end()

  fs.mkdirSync(zipDir, { recursive: true })
  const file = path.join(zipDir, `electron-v${version}-${platform}-${arch}.zip`)
  await new Promise((resolve, reject) => {
    zip.outputStream.pipe(fs.createWriteStream(file)).on('close', resolve).on('error', reject)
  })
  return file
}

module.exports = { writeStandInZip }
