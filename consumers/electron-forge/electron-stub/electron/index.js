'use strict'
// A stand-in for Electron's main-process module, just enough for a packaged main process to
// run in plain Node (consumers/electron-forge/check.js puts this folder on NODE_PATH): the
// real Electron cannot be downloaded here. The ci.yml Electron job runs a real one.
//
// app.getPath('userData') is $AIPM_STUB_USER_DATA; app.exit() ends the process.
const { EventEmitter } = require('node:events')

class App extends EventEmitter {
  constructor() {
    super()
    this.isPackaged = true
  }

  whenReady() {
    return Promise.resolve()
  }

  getPath(name) {
    if (name !== 'userData' || !process.env.AIPM_STUB_USER_DATA) throw new Error(`electron stub: no path for ${name}`)
    return process.env.AIPM_STUB_USER_DATA
  }

  exit(code = 0) {
    process.exit(code)
  }

  quit() {
    process.exit(0)
  }
}

class BrowserWindow extends EventEmitter {
  constructor(options = {}) {
    super()
    this.options = options
    this.webContents = Object.assign(new EventEmitter(), { send() {}, isDestroyed: () => false })
  }

  loadURL(url) {
    this.url = url
    return Promise.resolve()
  }
}

module.exports = { app: new App(), BrowserWindow, ipcMain: new EventEmitter() }
