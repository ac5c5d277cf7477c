'use strict'
// The addon's loader is native.js (hand-written: it bundles without warnings and its path
// override works in a bundle); `napi build` no longer generates this file. It stays for code
// that still requires it by this path (windows/suite.js) and is not part of the package.
module.exports = require('./native.js')
