import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { describe, expect, it } from '@jest/globals'

interface Snippet {
  readme: string
  line: number
  file: string
  names: string[]
  shown: string | undefined
  expected: string | undefined
}
// A plain CommonJS script, like api-report.js.
const { ROOT, readmes, region, regionNames, snippets } = require('./readme-snippets.js') as {
  ROOT: string
  readmes(): string[]
  region(source: string, name: string): string | undefined
  regionNames(source: string): string[]
  snippets(readme: string): Snippet[]
}

const all = readmes().flatMap((readme) => snippets(readme))
const where = (s: Snippet) => `${relative(ROOT, s.readme)}:${s.line} (${relative(ROOT, s.file)}#${s.names.join(',')})`

describe('region', () => {
  it('is the lines between the markers, dedented as a whole', () => {
    const source = ['x', '  // #region a', '  if (y) {', '    z()', '  }', '', '  // #endregion a', 'w'].join('\n')
    expect(region(source, 'a')).toBe('if (y) {\n  z()\n}\n')
    expect(region(source, 'b')).toBeUndefined()
  })
})

describe.each(all.map((s) => [where(s), s] as const))('the README snippet at %s', (_, snippet) => {
  it('quotes its region verbatim', () => {
    expect(snippet.expected).toBeDefined() // the file and region exist
    expect(snippet.shown).toBeDefined() // a ```ts block follows the marker
    expect(snippet.shown).toBe(snippet.expected)
  })
})

describe('the snippet files of the package READMEs', () => {
  const dir = join(ROOT, 'samples/bank-account/src/readme')
  const regions = readdirSync(dir)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
    .flatMap((f) => regionNames(readFileSync(join(dir, f), 'utf8')).map((name) => [f, name] as const))

  it.each(regions)('%s #%s is quoted by a README', (file, name) => {
    expect(all.some((s) => s.file === join(dir, file) && s.names.includes(name))).toBe(true)
  })
})
