import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { describe, expect, it } from '@jest/globals'

const ROOT = resolve(__dirname, '..')

/** Source files the framework runs in an application: not tests, test kits or fixtures, and not the CLI, whose output is its job. */
const frameworkSources = (dir: string): string[] =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return ['testing', 'test-support', '__fixtures__', 'node_modules', 'dist'].includes(name) ? [] : frameworkSources(path)
    return /\.ts$/.test(name) && !/\.test\.ts$/.test(name) ? [path] : []
  })

const packageSources = (): string[] => {
  const roots = readdirSync(join(ROOT, 'packages')).flatMap((name) =>
    name === 'adapters' ? readdirSync(join(ROOT, 'packages/adapters')).map((a) => join(ROOT, 'packages/adapters', a, 'src')) : [join(ROOT, 'packages', name, 'src')],
  )
  return roots.filter((r) => !r.includes(`${join('packages', 'cli')}`)).flatMap((r) => frameworkSources(r))
}

/** Code, not comments: TSDoc examples show `console.log` to a reader. */
const codeLines = (text: string): string[] => text.split('\n').filter((line) => !/^\s*(\*|\/\/|\/\*)/.test(line))

describe('the framework', () => {
  it('never writes to stdout or the console by itself: it logs through the logger the application sets', () => {
    const sources = packageSources()
    expect(sources.length).toBeGreaterThan(100)
    const offenders = sources.flatMap((file) =>
      codeLines(readFileSync(file, 'utf8'))
        .filter((line) => /\bconsole\.\w+\(|process\.stdout\.write/.test(line))
        .map((line) => `${relative(ROOT, file)}: ${line.trim()}`),
    )
    expect(offenders).toEqual([])
  })
})
