import { extname } from 'node:path'
import { ConfigError } from './config-error'
import type { EventfoldCliConfig } from './define-config'
import { loadJsonConfig } from './json-config'
import { exportedValue, importModule, ConfigLoadError } from './import-module'

/** Checks the parts of a config the CLI relies on, so that mistakes surface as one clear message. */
const assertConfig = (path: string, value: unknown): EventfoldCliConfig => {
  if (value === null || typeof value !== 'object') {
    throw new ConfigError(path, 'must export a config object (module.exports = defineConfig({ ... }) or export default)')
  }
  const c = value as Record<string, unknown>
  if (typeof c.connect !== 'function') throw new ConfigError(path, 'connect must be a function returning { eventStore, documents, close }')
  if (!Array.isArray(c.projections)) throw new ConfigError(path, 'projections must be an array of @Projection classes or projection definitions')
  for (const key of ['aggregates', 'upcasters'] as const) {
    if (c[key] !== undefined && !Array.isArray(c[key])) throw new ConfigError(path, `${key} must be an array when given`)
  }
  if (c.relay !== undefined) assertRelayConfig(path, c.relay)
  if (c.services !== undefined) assertServices(path, c.services)
  return value as EventfoldCliConfig
}

const assertServices = (path: string, services: unknown): void => {
  if (services === null || typeof services !== 'object' || Array.isArray(services)) {
    throw new ConfigError(path, 'services must be an object of service name → { connect }, e.g. services: { order: { connect: () => connectSqlite(\'order.db\') } }')
  }
  const entries = Object.entries(services as Record<string, unknown>)
  if (entries.length === 0) throw new ConfigError(path, 'services must name at least one service when given')
  for (const [name, service] of entries) {
    if (typeof (service as { connect?: unknown } | null)?.connect !== 'function') {
      throw new ConfigError(path, `services.${name}.connect must be a function returning { eventStore, close }`)
    }
  }
}

/** The relay part of a config; publications are recognised by shape, since the application's copy of the package may not be the CLI's. */
const assertRelayConfig = (path: string, relay: unknown): void => {
  if (relay === null || typeof relay !== 'object') throw new ConfigError(path, 'relay must be an object { publications, name?, partitions?, transport? }')
  const r = relay as Record<string, unknown>
  const p = r.publications as Record<string, unknown> | null | undefined
  if (!p || typeof p !== 'object' || !Array.isArray(p.eventTypes) || typeof p.outgoing !== 'function') {
    throw new ConfigError(path, 'relay.publications must be what definePublications(...) returns')
  }
  if (r.name !== undefined && (typeof r.name !== 'string' || r.name === '')) throw new ConfigError(path, 'relay.name must be a non-empty string when given')
  if (r.partitions !== undefined && (!Number.isSafeInteger(r.partitions) || (r.partitions as number) < 1 || (r.partitions as number) > 1024)) {
    throw new ConfigError(path, 'relay.partitions must be an integer from 1 to 1024 when given')
  }
  if (r.transport !== undefined && typeof r.transport !== 'function') throw new ConfigError(path, 'relay.transport must be a function returning a Transport when given')
}

/**
 * Loads a config file: `.json` as a {@link JsonConfig}, anything else as a
 * module exporting a config, or a (possibly async) function returning one.
 * @throws {@link ConfigError} for a config of the wrong shape.
 * @throws the module's own error when loading it fails.
 */
export const loadConfig = async (path: string): Promise<EventfoldCliConfig> => {
  if (extname(path) === '.json') return loadJsonConfig(path)
  let value: unknown
  try {
    value = exportedValue(await importModule(path))
    if (typeof value === 'function') value = await (value as () => unknown)()
  } catch (error) {
    if (error instanceof ConfigError) throw error
    throw new ConfigLoadError(path, error)
  }
  return assertConfig(path, value)
}
