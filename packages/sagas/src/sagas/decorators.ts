import type { EventClass } from '@eventfold/core'

/** How a handled message finds its saga instance: by the value of one property of its data. */
export interface AssociateOptions {
  /**
   * The property of the event's data whose value finds the instance; also
   * the association key, unless `key` names another.
   */
  readonly associate: string
  /** The association key the value is looked up under. @default the `associate` property's name */
  readonly key?: string
}

/** What one handler method is registered for. */
export interface SagaHandlerMeta {
  readonly method: string
  readonly eventType: string | EventClass
  readonly starts: boolean
  readonly associate: string
  readonly key: string
}

/** What the decorators record on a saga class. */
export interface SagaClassMeta {
  name: string | undefined
  readonly handlers: SagaHandlerMeta[]
  readonly deadlines: Map<string, string>
  readonly ends: Set<string>
}

const SAGA_META = Symbol.for('eventfold.saga')

/** The metadata the decorators recorded on `cls`, created on first use. */
export const sagaMetaOf = (cls: object): SagaClassMeta => {
  const holder = cls as Record<symbol, SagaClassMeta | undefined>
  if (!Object.prototype.hasOwnProperty.call(cls, SAGA_META)) {
    Object.defineProperty(cls, SAGA_META, { value: { name: undefined, handlers: [], deadlines: new Map(), ends: new Set() }, enumerable: false })
  }
  return holder[SAGA_META]!
}

/** True when `cls` was decorated with `@Saga`. */
export const isSagaClass = (cls: unknown): boolean =>
  typeof cls === 'function' && Object.prototype.hasOwnProperty.call(cls, SAGA_META) && sagaMetaOf(cls).name !== undefined

/**
 * Marks a class as a saga with a stable name. Its own fields are the
 * instance's state (JSON data), stored between messages.
 * @example
 * ```ts
 * @Saga('order-fulfilment')
 * class OrderSaga { reserved = false }
 * ```
 */
export function Saga(name: string): ClassDecorator {
  return (target) => {
    sagaMetaOf(target).name = name
  }
}

const handler =
  (eventType: string | EventClass, { associate, key = associate }: AssociateOptions, starts: boolean): MethodDecorator =>
  (prototype, method) => {
    if (typeof method !== 'string') throw new TypeError('saga handlers need string-named methods')
    sagaMetaOf(prototype.constructor).handlers.push({ method, eventType, starts, associate, key })
  }

/**
 * The event that starts an instance: a new one is created unless an active
 * instance with the same association already exists, which then handles it.
 */
export const StartSaga = (eventType: string | EventClass, options: AssociateOptions): MethodDecorator => handler(eventType, options, true)

/** An event an existing instance handles; instances are found by `associate`. An event no instance is associated with is ignored. */
export const SagaEventHandler = (eventType: string | EventClass, options: AssociateOptions): MethodDecorator => handler(eventType, options, false)

const endSaga: MethodDecorator = (prototype, method) => {
  if (typeof method !== 'string') throw new TypeError('saga handlers need string-named methods')
  sagaMetaOf(prototype.constructor).ends.add(method)
}

/**
 * The instance ends after this handler: it handles nothing more and its
 * pending deadlines are cancelled. Written `@EndSaga` or `@EndSaga()`.
 */
export function EndSaga(): MethodDecorator
export function EndSaga(prototype: object, method: string | symbol, descriptor?: PropertyDescriptor): void
export function EndSaga(prototype?: object, method?: string | symbol, descriptor?: PropertyDescriptor): MethodDecorator | void {
  if (prototype === undefined) return endSaga
  endSaga(prototype, method!, descriptor!)
}

/** Handles deadline `name` scheduled by this instance, delivered back to it by the deadline worker. */
export const SagaDeadlineHandler =
  (name: string): MethodDecorator =>
  (prototype, method) => {
    if (typeof method !== 'string') throw new TypeError('saga handlers need string-named methods')
    sagaMetaOf(prototype.constructor).deadlines.set(name, method)
  }
