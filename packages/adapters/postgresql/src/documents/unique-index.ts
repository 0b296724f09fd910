import { createHash } from 'node:crypto'
import { InvalidDocumentOperationError, type IndexSpec } from '@eventfold/projections'
import { quoteIdent, quoteLiteral } from '../pg/identifiers'

/** Every PostgreSQL index that backs a declared unique index has a name that starts with this. */
export const UNIQUE_INDEX_PREFIX = 'eventfold_document_unique_'

/** The PostgreSQL side of one declared unique index. */
export interface UniqueIndexSql {
  /** Name of the index: derived from the collection and key paths, so re-declaring it is a no-op. */
  readonly sqlName: string
  /** The index's key expressions, comma-separated, over the `doc` column. */
  readonly expressions: string
  /** `CREATE UNIQUE INDEX IF NOT EXISTS …` as a partial index on the collection's rows. */
  readonly create: string
}

/**
 * The SQL of a unique index on `spec.keys`, on the documents table `table`
 * (schema-qualified). Each key is the jsonb value at the field's path, with
 * a missing field indexed as JSON `null` as MongoDB does, so two documents
 * without the field collide. jsonb keeps types apart (the string `"1"` is
 * not the number `1`) and compares whole values (an array is one key, not
 * one per element as in MongoDB).
 * @throws {@link InvalidDocumentOperationError} for an empty key list or an empty path segment.
 */
export const uniqueIndexSql = (table: string, spec: IndexSpec): UniqueIndexSql => {
  const paths = Object.keys(spec.keys)
  if (paths.length === 0) throw new InvalidDocumentOperationError('an index needs at least one key', spec.collection)
  const keys = paths.map((path) => `coalesce(doc #> ${pathArray(spec.collection, path)}, 'null'::jsonb)`)
  const hash = createHash('sha256').update(JSON.stringify([spec.collection, paths])).digest('hex').slice(0, 24)
  const sqlName = `${UNIQUE_INDEX_PREFIX}${hash}`
  return {
    sqlName,
    expressions: keys.join(', '),
    create: `CREATE UNIQUE INDEX IF NOT EXISTS ${quoteIdent(sqlName)} ON ${table} (${keys.map((k) => `(${k})`).join(', ')})
      WHERE collection = ${quoteLiteral(spec.collection)}`,
  }
}

/** `'a.b'` → `ARRAY['a', 'b']::text[]`, a constant, so the index expression is immutable. */
const pathArray = (collection: string, path: string): string => {
  const segments = path.split('.')
  if (segments.some((s) => s === '' || s.startsWith('$'))) {
    throw new InvalidDocumentOperationError(`cannot index the path '${path}'`, collection)
  }
  return `ARRAY[${segments.map(quoteLiteral).join(', ')}]::text[]`
}
