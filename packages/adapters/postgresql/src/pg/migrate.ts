import type pg from 'pg'
import { inTransaction } from './pool'
import { quoteIdent } from './identifiers'
import { PostgresSchemaMissingError } from './schema-errors'

/**
 * The tables of one store, as migration steps: each step is SQL run in the
 * store's schema. Released steps never change; a change is a new step.
 */
export interface SchemaModule {
  /** Recorded in `eventfold_schema`, e.g. `'eventfold.events'`. */
  readonly name: string
  /** Steps as SQL, given the quoted schema name to qualify tables with. */
  readonly steps: ReadonlyArray<(schema: string) => string>
}

/**
 * Brings `module`'s tables in `schema` up to date, creating the schema when
 * it is missing. Runs in one transaction under an advisory lock on the
 * schema, so processes starting together migrate once, one after the other.
 * @throws Error when the schema was migrated by newer code (a higher version).
 */
export const migrate = async (pool: pg.Pool, schema: string, module: SchemaModule): Promise<void> => {
  const q = quoteIdent(schema)
  await inTransaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`eventfold:schema:${schema}`])
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${q}`)
    await client.query(`CREATE TABLE IF NOT EXISTS ${q}.eventfold_schema (module text PRIMARY KEY, version integer NOT NULL)`)
    const { rows } = await client.query<{ version: number }>(`SELECT version FROM ${q}.eventfold_schema WHERE module = $1`, [module.name])
    const current = rows[0]?.version ?? 0
    if (current > module.steps.length) {
      throw new Error(
        `Schema ${q} has '${module.name}' at version ${current}, newer than this code (${module.steps.length}): upgrade @eventfold/postgresql`,
      )
    }
    if (current === module.steps.length) return
    for (const step of module.steps.slice(current)) await client.query(step(q))
    await client.query(
      `INSERT INTO ${q}.eventfold_schema (module, version) VALUES ($1, $2)
       ON CONFLICT (module) DO UPDATE SET version = excluded.version`,
      [module.name, module.steps.length],
    )
  })
}

/**
 * Checks, without writing anything, that `module`'s tables in `schema` are at
 * the version this code expects: what a read-only store does instead of
 * {@link migrate}.
 * @throws {@link PostgresSchemaMissingError} when the schema or the module's tables are missing, or at another version.
 */
export const checkSchema = async (pool: pg.Pool, schema: string, module: SchemaModule): Promise<void> => {
  const q = quoteIdent(schema)
  // to_regclass answers NULL for a missing schema or table instead of failing.
  const { rows: found } = await pool.query<{ relation: string | null }>('SELECT to_regclass($1) AS relation', [`${q}.eventfold_schema`])
  const expected = module.steps.length
  if (found[0]?.relation == null) throw new PostgresSchemaMissingError(schema, module.name, expected)
  const { rows } = await pool.query<{ version: number }>(`SELECT version FROM ${q}.eventfold_schema WHERE module = $1`, [module.name])
  const version = rows[0]?.version
  if (version !== expected) throw new PostgresSchemaMissingError(schema, module.name, expected, version)
}
