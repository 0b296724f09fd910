#!/usr/bin/env node
// Builds the console's front end into packages/cli/dist/console, where
// `eventfold serve` serves it from: one bundled script, the page and its style.
'use strict'
const { copyFileSync, mkdirSync } = require('node:fs')
const { join } = require('node:path')
const esbuild = require('esbuild')

const out = join(__dirname, '..', 'dist', 'console')

const build = async () => {
  mkdirSync(out, { recursive: true })
  await esbuild.build({
    entryPoints: [join(__dirname, 'src', 'main.ts')],
    outfile: join(out, 'console.js'),
    bundle: true,
    format: 'esm',
    target: 'es2022',
    minify: true,
    sourcemap: true,
    logLevel: 'warning',
  })
  for (const f of ['index.html', 'console.css']) copyFileSync(join(__dirname, f), join(out, f))
}

module.exports = { build, out }

if (require.main === module) {
  build().catch((error) => {
    process.stderr.write(`console build failed: ${error?.message ?? error}\n`)
    process.exit(1)
  })
}
