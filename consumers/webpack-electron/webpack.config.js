// An Electron main process bundled as electron-builder apps do (the bundle folder is the app;
// AI PM Manager itself packages with Electron Forge: consumers/electron-forge): ts-loader for TypeScript,
// node-loader for native addons (it emits a required .node file next to the bundle and
// loads it from there with process.dlopen).
//
// `webpack --env external-addon` adds the one line the README recommends: the package
// stays a runtime require() from node_modules instead of being bundled.
const path = require('node:path')

module.exports = (env = {}) => ({
  mode: 'production',
  target: 'electron-main',
  entry: path.resolve(__dirname, 'src/main.ts'),
  output: {
    path: path.resolve(__dirname, env['external-addon'] ? 'bundle-external' : 'bundle'),
    filename: 'main.js',
    clean: true,
  },
  resolve: { extensions: ['.ts', '.js'] },
  module: {
    rules: [
      { test: /\.node$/, loader: 'node-loader', options: { name: '[name].[ext]' } },
      { test: /\.ts$/, exclude: /node_modules/, loader: 'ts-loader', options: { configFile: path.resolve(__dirname, 'tsconfig.json') } },
    ],
  },
  externals: env['external-addon'] ? { 'aipm-execution-steps': 'commonjs aipm-execution-steps' } : {},
  node: { __dirname: false, __filename: false },
  optimization: { minimize: false },
})
