import type { EventStore } from '@eventfold/core'
import { InMemoryDocumentStore, type DocumentStore } from '@eventfold/projections'

/** A read-only store's error for a schema module whose tables were never created (e.g. PostgreSQL's `eventfold.documents`). */
const isMissingDocumentTables = (error: unknown): boolean => {
  const e = error as { type?: unknown; module?: unknown; found?: unknown } | null
  return typeof e === 'object' && e !== null && e.type === 'postgres-schema-missing' && e.found === undefined && e.module === 'eventfold.documents'
}

/**
 * Read-only, a log whose projections never ran has no document tables: its
 * documents read as an empty store, as SQLite's do (`connectSqlite`). The log
 * is read first, so a schema that has no log either still fails naming it.
 */
export const emptyWhenMissing = (documents: DocumentStore, eventStore: EventStore): DocumentStore => {
  let empty: Promise<DocumentStore> | undefined
  const fallback = async (error: unknown): Promise<DocumentStore> => {
    if (!isMissingDocumentTables(error)) throw error
    empty ??= eventStore.headPosition().then(() => new InMemoryDocumentStore())
    return empty
  }
  return new Proxy(documents, {
    get(target, key) {
      const value = Reflect.get(target, key, target) as unknown
      if (typeof value !== 'function') return value
      return (...args: unknown[]): unknown => {
        const result = (value as (...a: unknown[]) => unknown).apply(target, args)
        if (!(result instanceof Promise)) return result
        return result.catch(async (error: unknown) => {
          const store = (await fallback(error)) as unknown as Record<PropertyKey, (...a: unknown[]) => unknown>
          return store[key]!(...args)
        })
      }
    },
  })
}
