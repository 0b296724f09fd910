import { readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { ConfigError } from './config-error'
import type { EventfoldCliConfig } from './define-config'
import { importModule, ConfigLoadError } from './import-module'
import { connectSqlite } from './sqlite'

/**
 * The shape of `eventfold.config.json`: an SQLite file and the compiled
 * modules that export the application's `projections`, `aggregates` and
 * `upcasters` arrays. Paths are relative to the config file. Without
 * modules, the commands that need no application code (streams, trace,
 * dead letters, deadlines) still work.
 * @example
 * ```json
 * { "sqlite": "bank.db", "modules": ["./dist/eventfold-app.js"] }
 * ```
 */
export interface JsonConfig {
  readonly sqlite: string
  /** @default none */
  readonly modules?: readonly string[]
  /** The SQLite files of the services `eventfold trace` follows a flow across, by service name. @default the one service `default` on `sqlite` */
  readonly services?: Readonly<Record<string, string>>
}

const KEYS = ['$schema', 'sqlite', 'modules', 'services']
const EXPORTS = ['projections', 'aggregates', 'upcasters'] as const

const parseJsonConfig = (path: string): JsonConfig => {
  let raw: unknown
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'))
  } catch (error) {
    throw new ConfigError(path, `not valid JSON: ${(error as Error).message}`)
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError(path, 'must hold a JSON object')
  const unknown = Object.keys(raw).filter((k) => !KEYS.includes(k))
  if (unknown.length > 0) throw new ConfigError(path, `unknown key(s) ${unknown.map((k) => `"${k}"`).join(', ')}; allowed: "sqlite", "modules", "services"`)
  const { sqlite, modules = [] } = raw as Record<string, unknown>
  if (typeof sqlite !== 'string' || sqlite === '') throw new ConfigError(path, '"sqlite" must be the path of the SQLite file, e.g. "sqlite": "app.db"')
  if (!Array.isArray(modules) || !modules.every((m) => typeof m === 'string' && m !== '')) {
    throw new ConfigError(path, '"modules" must be an array of module paths, e.g. "modules": ["./dist/eventfold-app.js"]')
  }
  const { services } = raw as Record<string, unknown>
  if (services === undefined) return { sqlite, modules: modules as string[] }
  const files = services !== null && typeof services === 'object' && !Array.isArray(services) ? Object.entries(services) : []
  if (files.length === 0 || !files.every(([, f]) => typeof f === 'string' && f !== '')) {
    throw new ConfigError(path, '"services" must map service names to SQLite files, e.g. "services": { "order": "order.db", "payment": "payment.db" }')
  }
  return { sqlite, modules: modules as string[], services: services as Record<string, string> }
}

/** What one module of a JSON config contributes. */
const moduleExports = (path: string, modulePath: string, mod: unknown): Record<(typeof EXPORTS)[number], unknown[]> => {
  const hasAny = (m: unknown): m is Record<string, unknown> => m !== null && typeof m === 'object' && EXPORTS.some((k) => k in m)
  const source = hasAny(mod) ? mod : hasAny((mod as { default?: unknown } | null)?.default) ? (mod as { default: Record<string, unknown> }).default : undefined
  if (!source) throw new ConfigError(path, `module ${modulePath} exports none of ${EXPORTS.join(', ')}`)
  const out = { projections: [] as unknown[], aggregates: [] as unknown[], upcasters: [] as unknown[] }
  for (const key of EXPORTS) {
    const value = source[key]
    if (value === undefined) continue
    if (!Array.isArray(value)) throw new ConfigError(path, `module ${modulePath}: export '${key}' must be an array`)
    out[key] = value
  }
  return out
}

/**
 * Reads `eventfold.config.json` into a config: stores on the SQLite file,
 * projections, aggregates and upcasters concatenated from the modules, in
 * the order given.
 * @throws {@link ConfigError} when the file or a module does not have the documented shape.
 */
export const loadJsonConfig = async (path: string): Promise<EventfoldCliConfig> => {
  const json = parseJsonConfig(path)
  const base = dirname(path)
  const merged = { projections: [] as unknown[], aggregates: [] as unknown[], upcasters: [] as unknown[] }
  for (const m of json.modules ?? []) {
    let mod: unknown
    try {
      mod = await importModule(resolve(base, m))
    } catch (error) {
      if (error instanceof ConfigError) throw error
      throw new ConfigLoadError(path, error)
    }
    const exports = moduleExports(path, m, mod)
    for (const key of EXPORTS) merged[key].push(...exports[key])
  }
  const sqlitePath = resolve(base, json.sqlite)
  return {
    connect: () => connectSqlite(sqlitePath),
    projections: merged.projections as EventfoldCliConfig['projections'],
    aggregates: merged.aggregates as NonNullable<EventfoldCliConfig['aggregates']>,
    upcasters: merged.upcasters as NonNullable<EventfoldCliConfig['upcasters']>,
    ...(json.services
      ? { services: Object.fromEntries(Object.entries(json.services).map(([name, file]) => [name, { connect: () => connectSqlite(resolve(base, file)) }])) }
      : {}),
  }
}
