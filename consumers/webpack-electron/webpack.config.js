// The app's webpack config for the Electron main process: ts-loader for TypeScript,
// node-loader for native addons (it emits the .node file next to the bundle and loads
// it from there with process.dlopen).
const path = require('node:path')

module.exports = {
  mode: 'production',
  target: 'electron-main',
  entry: path.resolve(__dirname, 'src/main.ts'),
  output: { path: path.resolve(__dirname, 'bundle'), filename: 'main.js', clean: true },
  resolve: { extensions: ['.ts', '.js'] },
  module: {
    rules: [
      { test: /\.node$/, loader: 'node-loader', options: { name: '[name].[ext]' } },
      { test: /\.ts$/, exclude: /node_modules/, loader: 'ts-loader', options: { configFile: path.resolve(__dirname, 'tsconfig.json') } },
    ],
  },
  node: { __dirname: false, __filename: false },
  optimization: { minimize: false },
}
