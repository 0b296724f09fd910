// Jest runs tests as CommonJS; @platformatic/kafka and its helpers ship only ES
// modules. This transform compiles them to CommonJS with SWC, first turning
// `import.meta.url` (which CommonJS has no syntax for) into the file's URL.
const { createTransformer } = require('@swc/jest')

const swc = createTransformer({
  jsc: { parser: { syntax: 'ecmascript' }, target: 'es2022' },
  module: { type: 'commonjs' },
  sourceMaps: 'inline',
})

const IMPORT_META_URL = /\bimport\.meta\.url\b/g

module.exports = {
  process(source, filename, options) {
    // Not require('node:url'): some of these modules declare their own `require`.
    const replaced = source.replace(IMPORT_META_URL, "('file://' + encodeURI(__filename))")
    return swc.process(replaced, filename, options)
  },
  getCacheKey(source, filename, options) {
    return `esm-cjs-2:${swc.getCacheKey(source, filename, options)}`
  },
}
