// README snippets are quoted from compiled, tested source files. A README marks
// each quoted block with the file and region it comes from:
//
//   <!-- snippet: ../../samples/bank-account/src/readme/core.ts#decider -->
//   ```ts
//   …the lines between `// #region decider` and `// #endregion decider`, dedented…
//   ```
//
// `file#imports,usage` quotes several regions of one file, a blank line apart.
//
// scripts/readme-snippets.test.ts checks every marked block against its region.
'use strict'

const { existsSync, readdirSync, readFileSync } = require('node:fs')
const { dirname, join, relative, resolve } = require('node:path')

const ROOT = resolve(__dirname, '..')
const MARKER = /^<!-- snippet: (\S+)#([\w,-]+) -->$/

/** The README files of the repository, the workspace packages and the samples. */
function readmes(root = ROOT) {
  const found = [join(root, 'README.md')]
  for (const parent of ['packages', 'packages/adapters', 'samples']) {
    for (const name of readdirSync(join(root, parent)).sort()) {
      const readme = join(root, parent, name, 'README.md')
      if (existsSync(readme)) found.push(readme)
    }
  }
  return found
}

/** The lines between `// #region name` and `// #endregion name` of `source`, dedented; undefined when there is no such region. */
function region(source, name) {
  const lines = source.split('\n')
  const start = lines.findIndex((l) => l.trim() === `// #region ${name}`)
  const end = lines.findIndex((l, i) => i > start && l.trim() === `// #endregion ${name}`)
  if (start < 0 || end < 0) return undefined
  const body = lines.slice(start + 1, end)
  const indent = Math.min(...body.filter((l) => l.trim()).map((l) => l.length - l.trimStart().length))
  return body.map((l) => l.slice(indent)).join('\n')
}

/** The region names of `source`, in order. */
function regionNames(source) {
  return [...source.matchAll(/^\s*\/\/ #region ([\w-]+)\s*$/gm)].map((m) => m[1])
}

/**
 * Every marked snippet of `readme`: where it points, the block the README
 * shows (undefined when no ```ts block follows the marker) and the region
 * it should show (undefined when the file or region is missing).
 */
function snippets(readme) {
  const lines = readFileSync(readme, 'utf8').split('\n')
  const found = []
  lines.forEach((line, i) => {
    const m = MARKER.exec(line.trim())
    if (!m) return
    const file = resolve(dirname(readme), m[1])
    let shown
    if (lines[i + 1] === '```ts') {
      const close = lines.indexOf('```', i + 2)
      if (close > 0) shown = lines.slice(i + 2, close).join('\n')
    }
    const names = m[2].split(',')
    const source = existsSync(file) ? readFileSync(file, 'utf8') : undefined
    const regions = names.map((name) => (source === undefined ? undefined : region(source, name)))
    found.push({
      readme,
      line: i + 1,
      file,
      names,
      shown,
      expected: regions.includes(undefined) ? undefined : regions.join('\n\n'),
    })
  })
  return found
}

module.exports = { ROOT, readmes, region, regionNames, snippets, relative }
