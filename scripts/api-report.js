#!/usr/bin/env node
// The public surface of every package entry point (each `exports` key of each
// package.json), read from the TypeScript sources: TypeScript 7 has no
// JavaScript compiler API, so this follows export declarations itself.
//
//   node scripts/api-report.js           compare with the checked-in reports, and check that
//                                        exported declarations name only exported types (after a build)
//   node scripts/api-report.js --update  rewrite packages/*/api/*.api.md
//
// scripts/api-report.test.ts runs the comparison under jest.
'use strict'

const { existsSync, readFileSync, readdirSync, writeFileSync, mkdirSync, rmSync } = require('node:fs')
const { dirname, join, relative, resolve } = require('node:path')

const ROOT = resolve(__dirname, '..')
const PACKAGE_DIRS = ['packages', 'packages/adapters']

/** Kinds that exist at runtime; `interface` and `type` do not. */
const VALUE_KINDS = new Set(['class', 'function', 'const', 'let', 'var', 'enum', 'namespace'])

/**
 * The source without comments, with the text of every string literal kept
 * (module specifiers are needed) but braces inside strings hidden, so that
 * top-level statements can be told from nested ones.
 */
function stripComments(source) {
  let out = ''
  let i = 0
  while (i < source.length) {
    const c = source[i]
    const next = source[i + 1]
    if (c === '/' && next === '/') {
      while (i < source.length && source[i] !== '\n') i++
    } else if (c === '/' && next === '*') {
      const end = source.indexOf('*/', i + 2)
      const stop = end < 0 ? source.length : end + 2
      out += source.slice(i, stop).replace(/[^\n]/g, ' ')
      i = stop
    } else if (c === "'" || c === '"' || c === '`') {
      let j = i + 1
      while (j < source.length && source[j] !== c) j += source[j] === '\\' ? 2 : 1
      out += source.slice(i, j + 1).replace(/[{}]/g, ' ')
      i = j + 1
    } else {
      out += c
      i++
    }
  }
  return out
}

/** Top-level statements that begin with `export` or `import`, and local declarations. */
function topLevel(code) {
  const statements = []
  let depth = 0
  for (let i = 0; i < code.length; i++) {
    const c = code[i]
    if (c === '{' || c === '(' || c === '[') depth++
    else if (c === '}' || c === ')' || c === ']') depth--
    else if (depth === 0 && /[a-z]/.test(c) && (i === 0 || /[\s;}]/.test(code[i - 1]))) {
      const word = /^[a-z]+/.exec(code.slice(i, i + 12))[0]
      if (['export', 'import', 'declare', 'abstract', 'class', 'function', 'async', 'const', 'let', 'var', 'enum', 'interface', 'type', 'namespace'].includes(word)) {
        const end = statementEnd(code, i)
        statements.push(code.slice(i, end))
        i = end
        continue
      }
      i += word.length - 1
    }
  }
  return statements
}

/** Where the statement at `start` ends: a `;` at depth 0, or a line at depth 0 that starts the next declaration. */
function statementEnd(code, start) {
  const column = start - code.lastIndexOf('\n', start - 1) - 1
  let depth = 0
  for (let i = start; i < code.length; i++) {
    const c = code[i]
    if (c === '{' || c === '(' || c === '[') depth++
    else if (c === '}' || c === ')' || c === ']') depth--
    else if (depth === 0 && c === ';') return i
    else if (depth === 0 && c === '\n' && startsStatement(code.slice(i + 1, i + 40), column)) return i
  }
  return code.length
}

const STATEMENT_START = /^( *)(export|import|declare|abstract|class|function|async|const|let|var|enum|interface|type|namespace)\b/

/** A line that starts the next statement: a declaration keyword, indented no deeper than the statement (a deeper line continues it). */
const startsStatement = (line, column) => {
  const m = STATEMENT_START.exec(line)
  return m !== null && m[1].length <= column
}

const DECLARATION =
  /^(?:export\s+)?(?:declare\s+)?(?:default\s+)?(?:abstract\s+)?(?:async\s+)?(class|function\s*\*?|const\s+enum|const|let|var|enum|interface|type|namespace|module)\s*([A-Za-z_$][\w$]*)?/

/**
 * The export and import declarations of one module's source, as data:
 * `declared` (name → kinds), `named` re-exports, `stars`, `locals` (exported
 * local bindings by name) and `imports` (local name → { from, name }).
 */
function parseModule(source) {
  const module = { declared: new Map(), named: [], stars: [], localDeclarations: new Map(), localExports: [], imports: new Map() }
  const addKind = (map, name, kind) => map.set(name, new Set([...(map.get(name) ?? []), kind]))
  for (const raw of topLevel(stripComments(source))) {
    const statement = raw.replace(/\s+/g, ' ').trim()
    let m
    if ((m = /^export (type )?\* as ([\w$]+) from ['"]([^'"]+)['"]/.exec(statement))) {
      addKind(module.declared, m[2], m[1] ? 'type' : 'namespace')
    } else if ((m = /^export (type )?\* from ['"]([^'"]+)['"]/.exec(statement))) {
      module.stars.push({ from: m[2], typeOnly: Boolean(m[1]) })
    } else if ((m = /^export (type )?\{([^}]*)\}(?: from ['"]([^'"]+)['"])?/.exec(statement))) {
      for (const specifier of m[2].split(',').map((s) => s.trim()).filter(Boolean)) {
        const s = /^(type )?([\w$]+)(?: as ([\w$]+))?$/.exec(specifier)
        if (!s) throw new Error(`Cannot read the export specifier '${specifier}' in: ${statement}`)
        const entry = { name: s[2], as: s[3] ?? s[2], typeOnly: Boolean(m[1] || s[1]) }
        if (m[3]) module.named.push({ ...entry, from: m[3] })
        else module.localExports.push(entry)
      }
    } else if (/^export default\b/.test(statement)) {
      addKind(module.declared, 'default', VALUE_KINDS.has(kindOf(statement)) ? kindOf(statement) : 'const')
    } else if ((m = /^export import ([\w$]+) ?=/.exec(statement))) {
      addKind(module.declared, m[1], 'namespace')
    } else if (/^export ?=/.test(statement)) {
      continue
    } else if ((m = /^import (type )?(.*?) from ['"]([^'"]+)['"]/.exec(statement))) {
      readImportClause(m[2], m[3], Boolean(m[1]), module.imports)
    } else if (/^import\b/.test(statement)) {
      continue
    } else {
      const exported = /^export /.test(statement)
      for (const [name, kind] of declaredNames(statement)) {
        addKind(exported ? module.declared : module.localDeclarations, name, kind)
      }
    }
  }
  return module
}

function kindOf(statement) {
  const m = DECLARATION.exec(statement)
  if (!m) return undefined
  const word = m[1].replace(/\s*\*?\s*$/, '').replace(/\s+/g, ' ')
  return word === 'const enum' ? 'enum' : word === 'module' ? 'namespace' : word
}

/** The names a declaration statement binds, with their kind. */
function declaredNames(statement) {
  const kind = kindOf(statement)
  if (!kind) throw new Error(`Cannot read the declaration: ${statement.slice(0, 120)}`)
  if (!['const', 'let', 'var'].includes(kind)) return [[DECLARATION.exec(statement)[2], kind]]
  // `const { a, b: c } = …` binds a and c. `const a = 1, b = 2` would list only a: the test's
  // comparison with the runtime exports catches that.
  const text = statement.replace(/^(?:export )?(?:declare )?(?:const|let|var) /, '')
  const names = []
  if (/^[{[]/.test(text)) {
    for (const part of text.slice(1, matchingClose(text)).split(',')) {
      const bound = part.includes(':') ? part.split(':')[1] : part
      const name = bound.split('=')[0].replace(/\.\.\./, '').trim()
      if (name) names.push([name, kind])
    }
  } else {
    names.push([/^[\w$]+/.exec(text)[0], kind])
  }
  return names
}

function matchingClose(text) {
  let depth = 0
  for (let i = 0; i < text.length; i++) {
    if ('{[('.includes(text[i])) depth++
    else if ('}])'.includes(text[i]) && --depth === 0) return i
  }
  return text.length
}

function readImportClause(clause, from, typeOnly, imports) {
  const m = /^(?:([\w$]+)\s*,?\s*)?(?:\*\s*as\s+([\w$]+)|\{([^}]*)\})?$/.exec(clause.trim())
  if (!m) return
  if (m[1]) imports.set(m[1], { from, name: 'default', typeOnly })
  if (m[2]) imports.set(m[2], { from, name: '*', typeOnly })
  for (const specifier of (m[3] ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    const s = /^(type )?([\w$]+)(?: as ([\w$]+))?$/.exec(specifier)
    if (s) imports.set(s[3] ?? s[2], { from, name: s[2], typeOnly: typeOnly || Boolean(s[1]) })
  }
}

/** Resolves a module specifier from `fromFile` to a source file, or undefined for a third-party module. */
function resolveSpecifier(specifier, fromFile, packages) {
  if (specifier.startsWith('.')) {
    const base = resolve(dirname(fromFile), specifier.replace(/\.js$/, ''))
    for (const candidate of [`${base}.ts`, `${base}.d.ts`, join(base, 'index.ts'), join(base, 'index.d.ts')]) if (existsSync(candidate)) return candidate
    throw new Error(`Cannot resolve '${specifier}' from ${relative(ROOT, fromFile)}`)
  }
  for (const pkg of packages) {
    for (const entry of pkg.entries) if (entry.specifier === specifier) return entry.source
  }
  return undefined
}

/**
 * The exports of the module in `file`: name → set of kinds. A name re-exported
 * with `type` keeps only the kind `type` (it exists for the type checker only).
 */
function exportsOf(file, packages, seen = new Map()) {
  if (seen.has(file)) return seen.get(file)
  const result = new Map()
  seen.set(file, result)
  const module = parseModule(readFileSync(file, 'utf8'))
  const external = (kinds) => kinds ?? new Set(['external'])
  const add = (name, kinds, typeOnly) => {
    const merged = new Set([...(result.get(name) ?? [])])
    for (const kind of kinds) merged.add(typeOnly && VALUE_KINDS.has(kind) ? 'type' : kind)
    result.set(name, merged)
  }
  const lookup = (specifier, name) => {
    const target = resolveSpecifier(specifier, file, packages)
    if (!target) return undefined
    const kinds = exportsOf(target, packages, seen).get(name)
    if (!kinds) throw new Error(`'${name}' is not exported by '${specifier}' (from ${relative(ROOT, file)})`)
    return kinds
  }
  for (const star of module.stars) {
    const target = resolveSpecifier(star.from, file, packages)
    if (!target) throw new Error(`export * from the third-party module '${star.from}' (in ${relative(ROOT, file)}) cannot be listed`)
    for (const [name, kinds] of exportsOf(target, packages, seen)) if (name !== 'default' && !module.declared.has(name)) add(name, kinds, star.typeOnly)
  }
  for (const [name, kinds] of module.declared) add(name, kinds, false)
  for (const { name, as, from, typeOnly } of module.named) {
    result.delete(as)
    add(as, external(lookup(from, name)), typeOnly)
  }
  for (const { name, as, typeOnly } of module.localExports) {
    result.delete(as)
    const local = module.localDeclarations.get(name)
    const imported = module.imports.get(name)
    if (local) add(as, local, typeOnly)
    else if (imported) add(as, external(imported.name === '*' ? new Set(['namespace']) : lookup(imported.from, imported.name)), typeOnly || imported.typeOnly)
    else throw new Error(`'${name}' is exported by ${relative(ROOT, file)} but not declared there`)
  }
  return result
}

/** Every workspace package with its entry points, from the `exports` map of its package.json. */
function workspacePackages(root = ROOT) {
  const packages = []
  for (const parent of PACKAGE_DIRS) {
    for (const name of readdirSync(join(root, parent)).sort()) {
      const dir = join(root, parent, name)
      const manifest = join(dir, 'package.json')
      if (!existsSync(manifest)) continue
      const pkg = JSON.parse(readFileSync(manifest, 'utf8'))
      const entries = []
      for (const [key, target] of Object.entries(pkg.exports ?? { '.': { default: pkg.main } })) {
        const runtime = typeof target === 'string' ? target : target.default
        if (!runtime.endsWith('.js')) continue
        const source = join(dir, runtime.replace(/^\.?\/?dist\//, 'src/').replace(/\.js$/, '.ts'))
        const subpath = key.replace(/^\.\/?/, '')
        const types = typeof target === 'string' || !target.types ? runtime.replace(/\.js$/, '.d.ts') : target.types
        entries.push({
          key,
          specifier: subpath ? `${pkg.name}/${subpath}` : pkg.name,
          source,
          declarations: join(dir, types),
          report: join(dir, 'api', `${subpath ? subpath.replace(/\//g, '-') : 'index'}.api.md`),
        })
      }
      packages.push({ name: pkg.name, dir, entries })
    }
  }
  return packages
}

// The coherence of the public surface: a type that an exported declaration
// names must itself be exported, or an application cannot name it. This reads
// the declaration files `tsc -b` emits (bodies, inferred types and private
// members are already resolved there), so the packages must be built first.

/** Member modifiers that may precede a member's name at the start of a line of a declaration file. */
const MODIFIERS = new Set(['readonly', 'static', 'abstract', 'protected', 'public', 'private', 'override', 'declare', 'get', 'set', 'async', 'accessor'])

/** A declaration file as data: its declarations' texts by name, imports, and the forms of export of parseModule. */
function parseDeclarations(file) {
  const source = readFileSync(file, 'utf8')
  const module = parseModule(source)
  const texts = new Map()
  for (const raw of topLevel(stripComments(source))) {
    const flat = raw.replace(/\s+/g, ' ').trim()
    if (/^(import|export (type )?(\*|\{)|export default|export ?=|export import)\b/.test(flat) || /^export (type )?[*{]/.test(flat)) continue
    if (!kindOf(flat)) continue
    for (const [name] of declaredNames(flat)) texts.set(name, [...(texts.get(name) ?? []), raw])
  }
  return { ...module, texts }
}

/**
 * Where the name `name` of `file`'s scope is declared: `{ file, name }`, or
 * undefined for a third-party or other package's type, or a name the file does
 * not bind (a builtin, a type parameter).
 */
function declarationOf(file, name, parsed, seen = new Set()) {
  const key = `${file}#${name}`
  if (seen.has(key)) return undefined
  seen.add(key)
  const module = parsed(file)
  if (module.texts.has(name)) return { file, name }
  const imported = module.imports.get(name)
  if (!imported || !imported.from.startsWith('.') || imported.name === '*') return undefined
  return exportedDeclaration(resolveSpecifier(imported.from, file, []), imported.name, parsed, seen)
}

/** The declaration behind the export `name` of `file`, following re-exports. */
function exportedDeclaration(file, name, parsed, seen = new Set()) {
  const module = parsed(file)
  if (module.declared.has(name) && module.texts.has(name)) return { file, name }
  for (const entry of module.named) {
    if (entry.as !== name) continue
    return entry.from.startsWith('.') ? exportedDeclaration(resolveSpecifier(entry.from, file, []), entry.name, parsed, seen) : undefined
  }
  for (const entry of module.localExports) if (entry.as === name) return declarationOf(file, entry.name, parsed, seen)
  for (const star of module.stars) {
    if (!star.from.startsWith('.')) continue
    const found = exportedDeclaration(resolveSpecifier(star.from, file, []), name, parsed, seen)
    if (found) return found
  }
  return undefined
}

/**
 * The names a declaration's text refers to, with the module they are taken
 * from when written `import("./x").Name`. Names of members and parameters
 * (followed by `:`, or starting a line as `name(`), names after a `.`, and
 * private members are left out: they are not references.
 */
function referencesIn(text) {
  const refs = []
  let code = text.replace(/import\(\s*['"]([^'"]+)['"]\s*\)\.([A-Za-z_$][\w$]*)/g, (match, from, name) => {
    refs.push({ name, from })
    return ' '.repeat(match.length)
  })
  code = code.replace(/'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"|`(?:[^`\\]|\\.)*`/g, (match) => ' '.repeat(match.length))
  for (const line of code.split('\n')) {
    // A private member's type is not emitted, but its computed key (`[KEY]`) is: not part of the surface.
    if (/^\s*(private\b|#private\b)/.test(line)) continue
    let first = true
    for (const m of line.matchAll(/[A-Za-z_$][\w$]*/g)) {
      const name = m[0]
      const after = line.slice(m.index + name.length)
      const memberName = first && !MODIFIERS.has(name) && /^\??\s*[(<:;]/.test(after)
      if (!MODIFIERS.has(name)) first = false
      if (memberName || /^\??:/.test(after) || line[m.index - 1] === '.') continue
      refs.push({ name })
    }
  }
  return refs
}

/**
 * Every type an exported declaration of a workspace package names that is
 * declared in that package but exported from none of its entries, as
 * `'<package>: <Exported> names <Type> (<file>)'`.
 * @throws when a package has not been built (its declaration files are missing)
 */
function unexportedReferences(root = ROOT) {
  const cache = new Map()
  const parsed = (file) => {
    if (!cache.has(file)) cache.set(file, parseDeclarations(file))
    return cache.get(file)
  }
  const problems = []
  for (const pkg of workspacePackages(root)) {
    const inPackage = (file) => file.startsWith(pkg.dir + '/')
    const exported = new Map()
    for (const entry of pkg.entries) {
      if (!existsSync(entry.declarations)) throw new Error(`${relative(root, entry.declarations)} is missing: build first (npx tsc -b tsconfig.json)`)
      for (const name of exportsOf(entry.declarations, []).keys()) {
        const declaration = exportedDeclaration(entry.declarations, name, parsed)
        if (declaration && inPackage(declaration.file)) exported.set(`${declaration.file}#${declaration.name}`, { ...declaration, as: name })
      }
    }
    const found = new Set()
    for (const { file, name, as } of exported.values()) {
      for (const text of parsed(file).texts.get(name)) {
        for (const ref of referencesIn(text)) {
          if (ref.name === name && !ref.from) continue
          const target = ref.from
            ? ref.from.startsWith('.') && exportedDeclaration(resolveSpecifier(ref.from, file, []), ref.name, parsed)
            : declarationOf(file, ref.name, parsed)
          if (!target || !inPackage(target.file) || exported.has(`${target.file}#${target.name}`)) continue
          found.add(`${pkg.name}: ${as} names ${target.name} (${relative(root, target.file)})`)
        }
      }
    }
    problems.push(...[...found].sort())
  }
  return problems
}

const byName = (a, b) => (a < b ? -1 : a > b ? 1 : 0)

/** The report of one entry point: one line per exported name with its kinds, sorted by name. */
function renderReport(entry, exportsMap) {
  const lines = [...exportsMap]
    .sort(([a], [b]) => byName(a.toLowerCase(), b.toLowerCase()) || byName(a, b))
    .map(([name, kinds]) => `${[...kinds].sort().join('+')} ${name}`)
  return [
    `# \`${entry.specifier}\``,
    '',
    `The exported names of \`${entry.specifier}\` (\`${relative(ROOT, entry.source)}\`) with their kinds.`,
    'Generated by `npm run api:update` (`node scripts/api-report.js --update`); a test fails when it differs from the source.',
    '',
    '```',
    ...lines,
    '```',
    '',
  ].join('\n')
}

/** The report every entry point should have, beside the one checked in (undefined when missing). */
function reports(root = ROOT) {
  const packages = workspacePackages(root)
  return packages.flatMap((pkg) =>
    pkg.entries.map((entry) => {
      const exportsMap = exportsOf(entry.source, packages)
      return {
        entry,
        exports: exportsMap,
        expected: renderReport(entry, exportsMap),
        actual: existsSync(entry.report) ? readFileSync(entry.report, 'utf8') : undefined,
      }
    }),
  )
}

function main(argv) {
  const update = argv.includes('--update')
  const all = reports()
  if (update) {
    for (const pkg of workspacePackages()) rmSync(join(pkg.dir, 'api'), { recursive: true, force: true })
    for (const { entry, expected } of all) {
      mkdirSync(dirname(entry.report), { recursive: true })
      writeFileSync(entry.report, expected)
    }
    console.log(`api-report: wrote ${all.length} reports`)
    return 0
  }
  const stale = all.filter((r) => r.actual !== r.expected)
  for (const { entry } of stale) console.error(`api-report: ${relative(ROOT, entry.report)} differs from ${entry.specifier}`)
  if (stale.length) console.error('If the change is intended, run `npm run api:update` and commit the reports.')
  const unexported = unexportedReferences()
  for (const problem of unexported) console.error(`api-report: ${problem}, which no entry exports`)
  return stale.length || unexported.length ? 1 : 0
}

if (require.main === module) process.exitCode = main(process.argv.slice(2))

module.exports = { parseModule, exportsOf, workspacePackages, renderReport, reports, unexportedReferences, referencesIn, VALUE_KINDS }
