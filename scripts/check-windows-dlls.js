#!/usr/bin/env node
'use strict'
// Which DLLs a Windows .node imports, and whether a clean Windows PC has them all.
//
//   node scripts/check-windows-dlls.js <file.node> ...
//
// Electron ships no C runtime: a binary that imports VCRUNTIME140.dll, MSVCP*.dll or the
// UCRT's api-ms-win-crt-*.dll (a /MD build) fails to load on a PC without the VC++
// redistributable, with only "The specified module could not be found". The MSVC builds
// link the runtime statically (.cargo/config.toml); the MinGW build that `npm run
// test:windows` makes must not need MinGW's runtime DLLs either. Every import must be a DLL
// Windows itself ships; anything else fails the check.
//
// The imports are read with `dumpbin /dependents` (Visual Studio, found with vswhere) on
// Windows, else `objdump -p` (MinGW's x86_64-w64-mingw32-objdump, the host's objdump or
// llvm-objdump, whichever reads the file); $OBJDUMP names another.

const { spawnSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')

/** Imports that fail on a clean PC, with the reason. */
const FORBIDDEN = [
  [/^vcruntime\d+(_\d+)?d?\.dll$/i, 'the Visual C++ runtime (link it statically: +crt-static)'],
  [/^msvcp\d+.*\.dll$/i, 'the Visual C++ standard library runtime'],
  [/^msvcr\d+d?\.dll$/i, 'an old Visual C++ runtime'],
  [/^(api-ms-win-crt-.*|ucrtbased?)\.dll$/i, 'the Universal C runtime as a DLL (a /MD build)'],
  [/^(concrt|vcomp|vccorlib)\d+.*\.dll$/i, 'a Visual C++ redistributable DLL'],
  [/^(libgcc_s.*|libstdc\+\+.*|libwinpthread.*)\.dll$/i, "MinGW's runtime, which no Windows has"],
  [/^node\.exe$/i, "node.exe: in Electron the host executable is the app's, not node.exe"],
]

/** DLLs every Windows 10 and 11 has (Electron's minimum is Windows 10). */
const SYSTEM = new Set(
  [
    'advapi32', 'bcrypt', 'bcryptprimitives', 'crypt32', 'dbghelp', 'gdi32', 'iphlpapi', 'kernel32',
    'kernelbase', 'msvcrt', 'ncrypt', 'netapi32', 'ntdll', 'ole32', 'oleaut32', 'powrprof', 'psapi',
    'secur32', 'setupapi', 'shell32', 'shlwapi', 'synchronization', 'user32', 'userenv', 'version',
    'winmm', 'ws2_32',
  ].map((name) => `${name}.dll`),
)
const SYSTEM_PATTERN = /^api-ms-win-(core|security|eventing)-.*\.dll$/i

/** What one import is: 'system', or 'forbidden'/'unknown' with a reason. */
function classify(dll) {
  const forbidden = FORBIDDEN.find(([pattern]) => pattern.test(dll))
  if (forbidden) return { dll, kind: 'forbidden', reason: forbidden[1] }
  if (SYSTEM.has(dll.toLowerCase()) || SYSTEM_PATTERN.test(dll)) return { dll, kind: 'system' }
  return { dll, kind: 'unknown', reason: 'not a DLL Windows ships' }
}

/** dumpbin.exe of the newest Visual Studio, or null. */
function findDumpbin() {
  const vswhere = path.join(process.env['ProgramFiles(x86)'] || 'C:\\Program Files (x86)', 'Microsoft Visual Studio', 'Installer', 'vswhere.exe')
  if (!fs.existsSync(vswhere)) return null
  const r = spawnSync(vswhere, ['-latest', '-products', '*', '-find', 'VC\\Tools\\MSVC\\**\\bin\\Host*\\*\\dumpbin.exe'], { encoding: 'utf8' })
  return (r.stdout || '').split(/\r?\n/).find((line) => line.trim()) || null
}

function candidateTools() {
  if (process.env.OBJDUMP) return [[process.env.OBJDUMP, ['-p']]]
  const tools = []
  if (process.platform === 'win32') {
    const dumpbin = findDumpbin()
    if (dumpbin) tools.push([dumpbin, ['/nologo', '/dependents']])
  }
  for (const objdump of ['x86_64-w64-mingw32-objdump', 'objdump', 'llvm-objdump']) tools.push([objdump, ['-p']])
  return tools
}

/** The DLL names in objdump's "DLL Name:" lines or dumpbin's dependency list. */
function parseImports(output) {
  const objdump = [...output.matchAll(/^\s*DLL Name:\s*(\S+)\s*$/gm)].map((m) => m[1])
  if (objdump.length > 0) return objdump
  if (!/has the following (delay load )?dependencies/.test(output)) return null
  return [...output.matchAll(/^\s{4}(\S+\.(?:dll|exe|drv|sys))\s*$/gim)].map((m) => m[1])
}

/** `{ file, tool, imports: [{ dll, kind, reason? }], ok }`; throws when no tool can read the file. */
function checkFile(file) {
  if (!fs.existsSync(file)) throw new Error(`${file} does not exist`)
  const tried = []
  for (const [tool, args] of candidateTools()) {
    const r = spawnSync(tool, [...args, file], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
    if (r.error || r.status !== 0) {
      tried.push(`${path.basename(tool)}: ${r.error ? r.error.code : (r.stderr || '').trim().split('\n')[0]}`)
      continue
    }
    const names = parseImports(r.stdout)
    if (!names) {
      tried.push(`${path.basename(tool)}: no import table in its output`)
      continue
    }
    const unique = [...new Map(names.map((name) => [name.toLowerCase(), name])).values()]
    const imports = unique.map(classify)
    return { file, tool: path.basename(tool), imports, ok: imports.every((i) => i.kind === 'system') }
  }
  throw new Error(`no tool could read the imports of ${file} (${tried.join('; ')})`)
}

/** One line for the log, then one per import that is not allowed. */
function formatReport({ file, tool, imports, ok }) {
  const head = `${path.basename(file)} imports ${imports.map((i) => i.dll).join(', ') || 'no DLL'} (${tool})`
  const bad = imports.filter((i) => i.kind !== 'system').map((i) => `  FORBIDDEN ${i.dll}: ${i.reason}`)
  return [`${head}: ${ok ? 'system DLLs only, no C runtime DLL' : 'NOT loadable on a clean Windows PC'}`, ...bad].join('\n')
}

if (require.main === module) {
  const files = process.argv.slice(2)
  if (files.length === 0) {
    process.stderr.write('usage: node scripts/check-windows-dlls.js <file.node> ...\n')
    process.exit(2)
  }
  let failed = 0
  for (const file of files) {
    try {
      const report = checkFile(file)
      process.stdout.write(`${formatReport(report)}\n`)
      if (!report.ok) failed += 1
    } catch (err) {
      process.stderr.write(`check-windows-dlls: ${err.message}\n`)
      failed += 1
    }
  }
  process.exitCode = failed ? 1 : 0
}

module.exports = { checkFile, formatReport, classify, parseImports }
