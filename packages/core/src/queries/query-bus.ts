import { UndecoratedClassError, UnknownQueryError, ValidationError } from '../errors/errors'

/** A class decorated with `@Query`. */
export type QueryClass<T extends object = object> = abstract new (...args: never[]) => T

const QUERY_INFO = Symbol.for('eventfold.query')

/** Marks a class as a query with a stable type name. */
export function Query(type: string): ClassDecorator {
  return (target) => {
    Object.defineProperty(target, QUERY_INFO, { value: type, enumerable: false })
  }
}

/**
 * The type of a query class or instance (plain `{ type }` objects are accepted).
 * @throws {@link UndecoratedClassError} for an undecorated class.
 */
export const queryTypeOf = (query: object | QueryClass | string): string => {
  if (typeof query === 'string') return query
  const ctor = typeof query === 'function' ? query : query.constructor
  if (ctor && ctor !== Object) {
    if (!Object.prototype.hasOwnProperty.call(ctor, QUERY_INFO)) throw new UndecoratedClassError(ctor.name, 'Query')
    return (ctor as unknown as Record<symbol, string>)[QUERY_INFO]!
  }
  const type = (query as { type?: unknown }).type
  if (typeof type !== 'string') throw new ValidationError('A plain query needs a string `type`', [{ path: 'type', message: 'required' }])
  return type
}

/** Answers a query from a read model. */
export type QueryHandlerFn<Q = never, R = unknown> = (query: Q) => R | Promise<R>

/** Routes each query to its one handler. */
export class QueryBus {
  private readonly handlers = new Map<string, QueryHandlerFn<never>>()

  /**
   * Registers the handler of a query type.
   * @throws {@link ValidationError} when the type already has a handler.
   */
  register<Q extends object, R>(query: QueryClass<Q> | string, handler: QueryHandlerFn<Q, R>): this {
    const type = queryTypeOf(query)
    if (this.handlers.has(type)) throw new ValidationError(`Query '${type}' already has a handler`)
    this.handlers.set(type, handler as QueryHandlerFn<never>)
    return this
  }

  /**
   * Runs a query.
   * @throws {@link UnknownQueryError} when no handler is registered.
   */
  async execute<R = unknown>(query: object): Promise<R> {
    const type = queryTypeOf(query)
    const handler = this.handlers.get(type)
    if (!handler) throw new UnknownQueryError(type)
    return (await handler(query as never)) as R
  }
}
