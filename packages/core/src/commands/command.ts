import { UndecoratedClassError, ValidationError } from '../errors/errors'

/** A class decorated with `@Command`. */
export type CommandClass<T extends object = object> = abstract new (...args: never[]) => T

/** A command written without a class: `{ type: 'Deposit', accountId: 'a1', amount: 5 }`. */
export interface PlainCommand {
  readonly type: string
  readonly [key: string]: unknown
}

interface CommandInfo {
  readonly type: string
  aggregateIdProperty?: string
}

const COMMAND_INFO = Symbol.for('eventfold.command')
const AGGREGATE_ID = Symbol.for('eventfold.aggregateId')

/**
 * Marks a class as a command with a stable type name.
 * @example
 * ```ts
 * @Command('Deposit')
 * class Deposit { @AggregateId() accountId!: string; amount!: number }
 * ```
 */
export function Command(type: string): ClassDecorator {
  return (target) => {
    const idProperty = (target.prototype as Record<symbol, string | undefined>)[AGGREGATE_ID]
    const info: CommandInfo = idProperty ? { type, aggregateIdProperty: idProperty } : { type }
    Object.defineProperty(target, COMMAND_INFO, { value: info, enumerable: false })
  }
}

/** Marks the command property that names the target aggregate instance. */
export function AggregateId(): PropertyDecorator {
  return (prototype, property) => {
    if (typeof property !== 'string') throw new TypeError('@AggregateId() needs a string-named property')
    Object.defineProperty(prototype, AGGREGATE_ID, { value: property, enumerable: false, configurable: true })
  }
}

const infoOf = (cls: unknown): CommandInfo | undefined =>
  typeof cls === 'function' && Object.prototype.hasOwnProperty.call(cls, COMMAND_INFO)
    ? ((cls as unknown as Record<symbol, CommandInfo>)[COMMAND_INFO] as CommandInfo)
    : undefined

/**
 * The type name of a command class or instance.
 * @throws {@link UndecoratedClassError} for a class without `@Command`.
 * @throws {@link ValidationError} for a plain object without a string `type`.
 */
export const commandTypeOf = (command: object | CommandClass | string): string => {
  if (typeof command === 'string') return command
  if (typeof command === 'function') {
    const info = infoOf(command)
    if (!info) throw new UndecoratedClassError(command.name, 'Command')
    return info.type
  }
  if (command === null || typeof command !== 'object') {
    throw new ValidationError('A command must be an object')
  }
  const ctor = command.constructor
  if (ctor && ctor !== Object) {
    const info = infoOf(ctor)
    if (!info) throw new UndecoratedClassError(ctor.name || 'anonymous', 'Command')
    return info.type
  }
  const type = (command as { type?: unknown }).type
  if (typeof type !== 'string' || type.length === 0) {
    throw new ValidationError('A plain command needs a non-empty string `type`', [{ path: 'type', message: 'required' }])
  }
  return type
}

/** The property that `@AggregateId()` marked on a command class, if any. */
export const aggregateIdPropertyOf = (command: object | CommandClass): string | undefined => {
  const ctor = typeof command === 'function' ? command : command.constructor
  return infoOf(ctor)?.aggregateIdProperty
}
