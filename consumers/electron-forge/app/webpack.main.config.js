// The app's webpack.main.config.js. Recipe A is this file unchanged: webpack bundles
// aipm-execution-steps and node-loader emits its .node into .webpack/main/. Recipe B adds
// the one `externals` line (README, "Using from Electron").
const RECIPE_B = process.env.AIPM_FORGE_RECIPE === 'B'

module.exports = {
  entry: './src/main.ts',
  module: {
    rules: require('./webpack.rules'),
  },
  resolve: {
    extensions: ['.js', '.ts', '.jsx', '.tsx', '.css', '.json'],
  },
  externals: {
    'better-sqlite3': 'commonjs better-sqlite3',
    ...(RECIPE_B ? { 'aipm-execution-steps': 'commonjs aipm-execution-steps' } : {}),
  },
}
