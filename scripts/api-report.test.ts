import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { afterAll, describe, expect, it } from '@jest/globals'

// A plain CommonJS script, so that `node scripts/api-report.js --update` runs without a build.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const api = require('./api-report.js') as {
  parseModule(source: string): { declared: Map<string, Set<string>>; stars: { from: string; typeOnly: boolean }[] }
  exportsOf(file: string, packages: unknown[]): Map<string, Set<string>>
  reports(): { entry: { specifier: string; report: string }; exports: Map<string, Set<string>>; expected: string; actual: string | undefined }[]
  unexportedReferences(root?: string): string[]
  VALUE_KINDS: Set<string>
}

const kinds = (exportsMap: Map<string, Set<string>>): Record<string, string> =>
  Object.fromEntries([...exportsMap].map(([name, k]) => [name, [...k].sort().join('+')]))

describe('the export parser', () => {
  const dir = mkdtempSync(join(tmpdir(), 'api-report-'))
  const write = (files: Record<string, string>): void => {
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(join(dir, name, '..'), { recursive: true })
      writeFileSync(join(dir, name), text)
    }
  }
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('reads every form of exported declaration with its kind', () => {
    const { declared } = api.parseModule(`
      import { thing } from './thing'
      /** export const notAComment = 1 */
      // export const neither = 2
      export const a = 1
      export const { b, c: renamed, ...rest } = thing
      export let d = 1
      export function e<T, U>(x: T): U { const inner = 'export const no = 1'; return x as unknown as U }
      export function e(x: unknown): unknown
      export async function* f() {}
      export abstract class G<T = { a: string }> { method() { return { export: 1 } } }
      export declare class H {}
      export const enum I { A }
      export enum J { B }
      export interface K { export: string }
      export type L<T> = T extends string ? { x: 1 } : never
      export namespace M { export const inner = 1 }
      export const generic = <From = unknown, To = unknown>(f: From): To => f as unknown as To
      export const template = \`{ \${thing} }\`
      export default class {}
    `)
    expect(Object.fromEntries([...declared].map(([name, k]) => [name, [...k].join('+')]))).toEqual({
      a: 'const',
      b: 'const',
      renamed: 'const',
      rest: 'const',
      d: 'let',
      e: 'function',
      f: 'function',
      G: 'class',
      H: 'class',
      I: 'enum',
      J: 'enum',
      K: 'interface',
      L: 'type',
      M: 'namespace',
      generic: 'const',
      template: 'const',
      default: 'class',
    })
  })

  it('follows re-exports through files, keeping type-only ones as types', () => {
    write({
      'pkg/values.ts': 'export class Store {}\nexport const helper = () => 1\nexport interface Options { a: number }\n',
      'pkg/nested/index.ts': "export * from '../values'\nexport type Alias = string\n",
      'pkg/local.ts': "import { Store as S, helper } from './values'\nconst own = 1\ntype Hidden = number\nexport { own, S as Renamed, type Hidden, helper }\n",
      'pkg/entry.ts': [
        "export * from './nested'",
        "export { Store as RenamedStore, type Options as Opts } from './values'",
        "export type { helper as helperType } from './values'",
        "export * as ns from './values'",
        "export { own, Renamed, type Hidden } from './local'",
        "export const Store = 'shadows the star export'",
      ].join('\n'),
    })
    expect(kinds(api.exportsOf(join(dir, 'pkg/entry.ts'), []))).toEqual({
      Store: 'const',
      helper: 'const',
      Options: 'interface',
      Alias: 'type',
      RenamedStore: 'class',
      Opts: 'interface',
      helperType: 'type',
      ns: 'namespace',
      own: 'const',
      Renamed: 'class',
      Hidden: 'type',
    })
  })

  it('refuses a re-export of a name the target does not export', () => {
    write({ 'bad/a.ts': 'export const a = 1\n', 'bad/entry.ts': "export { b } from './a'\n" })
    expect(() => api.exportsOf(join(dir, 'bad/entry.ts'), [])).toThrow("'b' is not exported by './a'")
  })
})

describe.each(api.reports().map((report) => [report.entry.specifier, report] as const))('the public surface of %s', (specifier, report) => {
  it('is the one in its checked-in API report', () => {
    if (report.actual === report.expected) return
    const lines = (text = '') => new Set(text.split('\n'))
    const [before, after] = [lines(report.actual), lines(report.expected)]
    const changes = [...[...before].filter((l) => !after.has(l)).map((l) => `- ${l}`), ...[...after].filter((l) => !before.has(l)).map((l) => `+ ${l}`)]
    throw new Error(
      `The exports of ${specifier} differ from its API report ${relative(join(__dirname, '..'), report.entry.report)}${report.actual === undefined ? ' (missing)' : ''}:\n` +
        `${changes.join('\n')}\n` +
        'If the change is intended, run `npm run api:update` and commit the report; otherwise change the entry point back.',
    )
  })

  it('has the runtime values the report lists, and no others', () => {
    // jest maps every entry to its source (jest.config.js), so an entry missing there fails here too.
    const loaded = Object.keys(require(specifier) as object).filter((name) => name !== '__esModule')
    const values = [...report.exports].filter(([, k]) => [...k].some((kind) => api.VALUE_KINDS.has(kind))).map(([name]) => name)
    expect(loaded.sort()).toEqual(values.sort())
  })
})

describe('the check that exported declarations name only exported types', () => {
  const root = mkdtempSync(join(tmpdir(), 'api-references-'))
  afterAll(() => rmSync(root, { recursive: true, force: true }))

  it('names the package types an export uses but no entry exports, and nothing else', () => {
    const files: Record<string, string> = {
      'packages/adapters/.keep': '',
      'packages/demo/package.json': JSON.stringify({ name: 'demo', exports: { '.': { types: './dist/index.d.ts', default: './dist/index.js' } } }),
      'packages/demo/dist/index.d.ts': "export { Store, type StoreOptions } from './store';\nexport * from './shown';\n",
      'packages/demo/dist/shown.d.ts': 'export interface Shown {\n}\n',
      'packages/demo/dist/hidden.d.ts': 'export interface Hidden {\n}\nexport interface Lost {\n}\n',
      'packages/demo/dist/store.d.ts': [
        "import { type Hidden } from './hidden';",
        "import type { Shown } from './shown';",
        "import type { External } from 'elsewhere';",
        'type Alias = string;',
        'declare const KEY: unique symbol;',
        '/** Options: a `Lost` in a comment is no reference. */',
        'export interface StoreOptions {',
        '    readonly hidden?: Hidden;',
        '    readonly Hidden?: "Lost";',
        '    readonly shown: Shown;',
        '    readonly external?: External;',
        '    readonly alias?: Alias;',
        '}',
        'export declare class Store {',
        '    private readonly [KEY];',
        '    private inner;',
        '    constructor(options: StoreOptions);',
        '    Hidden(shown: Shown): void;',
        '    lost(): import("./hidden").Lost;',
        '}',
        '',
      ].join('\n'),
    }
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(join(root, name, '..'), { recursive: true })
      writeFileSync(join(root, name), text)
    }
    expect(api.unexportedReferences(root)).toEqual([
      'demo: Store names Lost (packages/demo/dist/hidden.d.ts)',
      'demo: StoreOptions names Alias (packages/demo/dist/store.d.ts)',
      'demo: StoreOptions names Hidden (packages/demo/dist/hidden.d.ts)',
    ])
  })

  it('finds none in the workspace packages: every type a public declaration names is exported', () => {
    // The check reads the declaration files tsc emits; `tsc -b` returns at once when they are up to date.
    const repo = join(__dirname, '..')
    execFileSync(process.execPath, [join(repo, 'node_modules/typescript/bin/tsc'), '-b', 'tsconfig.json'], { cwd: repo, stdio: 'pipe' })
    expect(api.unexportedReferences()).toEqual([])
  })
})
