import { createHash } from 'node:crypto'
import { InvalidDocumentOperationError, type IndexSpec } from '@eventfold/projections'

/** The SQLite side of one declared unique index. */
export interface UniqueIndexSql {
  /** Name of the SQLite index: derived from the collection and key paths, so re-declaring it is a no-op. */
  readonly sqlName: string
  /** The index's key expressions, comma-separated, over the `doc` column. */
  readonly expressions: string
  /** `CREATE UNIQUE INDEX IF NOT EXISTS …` as a partial index on the collection's rows. */
  readonly create: string
}

const quoteSqlString = (s: string): string => `'${s.replaceAll("'", "''")}'`

/**
 * The SQL of a unique index on `spec.keys`. Each key is the JSON text of the
 * field (`doc -> '$."a"."b"'`), with a missing field indexed as JSON `null`
 * as MongoDB does, so two documents without the field collide. JSON text
 * keeps types apart (the string `"1"` is not the number `1`) and compares
 * whole values (an array is one key, not one per element as in MongoDB).
 * @throws {@link InvalidDocumentOperationError} for an empty key list or a path SQLite cannot address.
 */
export const uniqueIndexSql = (spec: IndexSpec): UniqueIndexSql => {
  const paths = Object.keys(spec.keys)
  if (paths.length === 0) throw new InvalidDocumentOperationError('an index needs at least one key', spec.collection)
  const expressions = paths.map((path) => `ifnull(doc -> ${quoteSqlString(jsonPath(spec.collection, path))}, 'null')`).join(', ')
  const hash = createHash('sha256').update(JSON.stringify([spec.collection, paths])).digest('hex').slice(0, 24)
  const sqlName = `eventfold_document_unique_${hash}`
  return {
    sqlName,
    expressions,
    create: `CREATE UNIQUE INDEX IF NOT EXISTS "${sqlName}" ON eventfold_documents (${expressions}) WHERE collection = ${quoteSqlString(spec.collection)}`,
  }
}

/** `'a.b'` → `'$."a"."b"'`: every segment quoted, so any name but one with a `"` is addressable. */
const jsonPath = (collection: string, path: string): string => {
  const segments = path.split('.')
  for (const s of segments) {
    if (s === '' || s.includes('"') || s.startsWith('$')) {
      throw new InvalidDocumentOperationError(`cannot index the path '${path}'`, collection)
    }
  }
  return `$${segments.map((s) => `."${s}"`).join('')}`
}
