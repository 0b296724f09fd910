import type { Filter } from '@eventfold/projections'

/** A filter split between what the server evaluates and what the process evaluates on the documents it returns. */
export interface QueryPlan {
  /** Sent to the server: every top-level condition it can evaluate. */
  readonly server: Filter
  /** The remaining top-level conditions (implicitly and-ed), or `undefined` when the server takes the whole filter. */
  readonly residual: Filter | undefined
}

const uses = (value: unknown, operators: ReadonlySet<string>): boolean => {
  if (Array.isArray(value)) return value.some((v) => uses(v, operators))
  if (value === null || typeof value !== 'object' || value instanceof RegExp || value instanceof Date) return false
  return Object.entries(value).some(([k, v]) => operators.has(k) || uses(v, operators))
}

/**
 * Splits `filter` by its top-level conditions (which MongoDB and-s): those
 * that use none of `clientSide` go to the server, the others stay in the
 * process. The documents the server returns are a superset of the answer,
 * so evaluating the residual on them gives the answer.
 * @example
 * ```ts
 * planQuery({ status: 'open', limits: { $elemMatch: { kind: 'daily' } } }, new Set(['$elemMatch']))
 * // { server: { status: 'open' }, residual: { limits: { $elemMatch: { kind: 'daily' } } } }
 * ```
 */
export const planQuery = (filter: Filter, clientSide: ReadonlySet<string>): QueryPlan => {
  if (clientSide.size === 0 || !uses(filter, clientSide)) return { server: filter, residual: undefined }
  const server: Record<string, unknown> = {}
  const residual: Record<string, unknown> = {}
  for (const [key, condition] of Object.entries(filter)) {
    if (uses({ [key]: condition }, clientSide)) residual[key] = condition
    else server[key] = condition
  }
  return { server, residual }
}
