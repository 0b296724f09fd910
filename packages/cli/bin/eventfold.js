#!/usr/bin/env node
'use strict'
// The `eventfold` command npm links at install time. It is committed (the
// compiled CLI is not), so that the link exists even before the first build.
const { existsSync } = require('node:fs')
const { join } = require('node:path')

const cli = join(__dirname, '..', 'dist', 'bin.js')
if (!existsSync(cli)) {
  process.stderr.write(`eventfold: error: the CLI is not built (${cli} is missing): run \`npm run build\` in the repository first\n`)
  process.exit(1)
}
require(cli)
