import { createHash } from 'node:crypto'
import type { QueryConfig } from 'pg'
import { EVENTFOLD_TYPES } from './types'

/**
 * A set of SQL statements run as named (server-side prepared) statements:
 * each connection parses and plans a statement once. The name is derived
 * from the text, so two texts (e.g. on two schemas) never share a name.
 */
export abstract class Statements {
  private readonly names = new Map<string, string>()

  /** The query config of statement `key`, with eventfold's type parsers. */
  protected statement(key: string, text: string, values: unknown[]): QueryConfig {
    let name = this.names.get(key)
    if (name === undefined) {
      name = `eventfold_${key}_${createHash('sha256').update(text).digest('hex').slice(0, 16)}`
      this.names.set(key, name)
    }
    return { name, text, values, types: EVENTFOLD_TYPES }
  }
}
