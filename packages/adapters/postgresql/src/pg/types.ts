import type { CustomTypesConfig } from 'pg'

// pg OIDs of the types eventfold reads.
const BOOL = 16
const INT8 = 20
const INT2 = 21
const INT4 = 23
const JSON_OID = 114
const JSONB = 3802

const identity = (value: string): string => value
const parsers: Readonly<Record<number, (value: string) => unknown>> = {
  [BOOL]: (value) => value === 't',
  // pg hands int8 out as a string by default, and an application may have
  // told it globally to use parseInt: positions and revisions are parsed here,
  // exactly, whatever the process-wide pg settings are.
  [INT8]: (value) => BigInt(value),
  [INT2]: (value) => Number(value),
  [INT4]: (value) => Number(value),
  [JSON_OID]: (value) => JSON.parse(value),
  [JSONB]: (value) => JSON.parse(value),
}

/**
 * The type parsers of every eventfold query: int8 as bigint, int2/int4 as
 * number, json/jsonb parsed, everything else (text, numeric, xid8) as the
 * server's text. Passed per query, so a pool shared with other code keeps
 * that code's own parsers.
 */
export const EVENTFOLD_TYPES: CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: string) => {
    if (format === 'binary') throw new Error(`eventfold reads text results only (got binary for type ${oid})`)
    return parsers[oid] ?? identity
  }) as CustomTypesConfig['getTypeParser'],
}
