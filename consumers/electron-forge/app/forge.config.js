// AI PM Manager's forge.config.js as far as packaging the main process goes: asar with the
// app's unpack glob, its `ignore` function (keep .webpack/, package.json and a named list of
// node_modules folders, drop every other node_modules path), plugin-auto-unpack-natives and
// plugin-webpack. Left out: the Python backend and other extraResource folders, the version
// hook, and plugin-fuses (it rewrites the Electron binary, which is a stand-in here).
//
// Recipe A is this file unchanged. Recipe B adds the one line marked below to `ignore` (and
// one `externals` line to webpack.main.config.js): README, "Using from Electron".
const RECIPE_B = process.env.AIPM_FORGE_RECIPE === 'B'

module.exports = {
  packagerConfig: {
    asar: {
      unpack: '{**/node_modules/better-sqlite3/**/*,**/*.node}',
    },
    // The test's stand-in Electron zips (consumers/electron-forge/check.js): nothing can be
    // downloaded here. The app lets Electron Packager download the real one.
    electronZipDir: process.env.AIPM_ELECTRON_ZIP_DIR,
    ignore: (file) => {
      if (file.startsWith('/.webpack')) return false
      if (file === '/package.json') return false
      if (file.includes('/node_modules/better-sqlite3')) return false
      if (file.includes('/node_modules/bindings')) return false
      if (file.includes('/node_modules/file-uri-to-path')) return false
      if (file.includes('/node_modules/chokidar')) return false
      if (file.includes('/node_modules/readdirp')) return false
      if (file.includes('/node_modules/picomatch')) return false
      if (file.includes('/node_modules/braces')) return false
      if (file.includes('/node_modules/fill-range')) return false
      if (file.includes('/node_modules/to-regex-range')) return false
      if (file.includes('/node_modules/is-number')) return false
      if (file.includes('/node_modules/normalize-path')) return false
      if (file.includes('/node_modules/anymatch')) return false
      if (file.includes('/node_modules/is-glob')) return false
      if (file.includes('/node_modules/is-extglob')) return false
      if (file.includes('/node_modules/glob-parent')) return false
      if (file.includes('/node_modules/is-binary-path')) return false
      if (file.includes('/node_modules/binary-extensions')) return false
      // Recipe B: the package and its platform packages stay in node_modules.
      if (RECIPE_B && file.includes('/node_modules/aipm-execution-steps')) return false
      if (file.includes('/node_modules/')) return true
      if (file.startsWith('/src')) return true
      if (file.endsWith('.config.ts') || file.endsWith('.config.js')) return true
      if (file.endsWith('.config.mts')) return true
      if (file === '/tsconfig.json') return true
      if (file === '/index.html') return true
      if (file.startsWith('/.')) return true
      return false
    },
  },
  rebuildConfig: {
    onlyModules: [],
  },
  makers: [
    { name: '@electron-forge/maker-squirrel', config: { name: 'forge_app' } },
    { name: '@electron-forge/maker-zip', platforms: ['darwin', 'linux', 'win32'] },
  ],
  plugins: [
    {
      name: '@electron-forge/plugin-auto-unpack-natives',
      config: {},
    },
    {
      name: '@electron-forge/plugin-webpack',
      config: {
        mainConfig: './webpack.main.config.js',
        renderer: {
          config: './webpack.renderer.config.js',
          entryPoints: [
            {
              html: './src/index.html',
              js: './src/renderer.ts',
              name: 'main_window',
              preload: {
                js: './src/preload.ts',
              },
            },
          ],
        },
      },
    },
  ],
}
