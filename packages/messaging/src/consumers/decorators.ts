import { UndecoratedClassError } from '@eventfold/core'
import { assertConsumerName, defineConsumer, type ConsumerDefinition, type IntegrationHandler } from './consumer-definition'

/** Options of {@link Consumer}. */
export interface ConsumerOptions {
  readonly topics: readonly string[]
  /** @default the consumer's name, `-` and `.` turned into `_` */
  readonly collection?: string
}

interface ConsumerMetadata extends ConsumerOptions {
  readonly name: string
  readonly handlers: ReadonlyMap<string, string>
}

const META = Symbol.for('eventfold.consumer')
const HANDLERS = Symbol.for('eventfold.consumer.handlers')

/**
 * Marks a class as a consumer of integration events: an ordinary service
 * (resolve it from your container), whose `@Handles` methods are its handlers.
 * @example
 * ```ts
 * @Consumer('billing', { topics: ['orders'] })
 * class Billing {
 *   @Handles('OrderPlaced.v1') async placed(e: IntegrationEnvelope<{ orderId: string }>, { commands }: ConsumerContext) {}
 * }
 * ```
 */
export function Consumer(name: string, options: ConsumerOptions): ClassDecorator {
  assertConsumerName(name)
  return (target) => {
    const handlers = (target.prototype as Record<symbol, Map<string, string> | undefined>)[HANDLERS] ?? new Map<string, string>()
    const meta: ConsumerMetadata = { name, ...options, handlers: new Map(handlers) }
    Object.defineProperty(target, META, { value: meta, enumerable: false })
  }
}

/** Marks a method of a {@link Consumer} as the handler of an integration event type. */
export function Handles(eventType: string): MethodDecorator {
  return (prototype, method) => {
    if (!Object.prototype.hasOwnProperty.call(prototype, HANDLERS)) {
      const inherited = (prototype as Record<symbol, Map<string, string> | undefined>)[HANDLERS]
      Object.defineProperty(prototype, HANDLERS, { value: new Map(inherited ?? []), enumerable: false })
    }
    ;(prototype as Record<symbol, Map<string, string>>)[HANDLERS]!.set(eventType, String(method))
  }
}

/**
 * The consumer a `@Consumer` instance defines, its handlers bound to it.
 * @throws {@link UndecoratedClassError} when the instance's class is not decorated with `@Consumer`.
 */
export const consumerFromInstance = (instance: object): ConsumerDefinition => {
  const cls = instance.constructor
  const meta = Object.prototype.hasOwnProperty.call(cls, META) ? (cls as unknown as Record<symbol, ConsumerMetadata>)[META] : undefined
  if (!meta) throw new UndecoratedClassError(cls.name, 'Consumer')
  const handlers: Record<string, IntegrationHandler> = {}
  for (const [type, method] of meta.handlers) {
    const fn = (instance as Record<string, unknown>)[method] as IntegrationHandler
    handlers[type] = fn.bind(instance)
  }
  return defineConsumer(meta.name, { topics: meta.topics, collection: meta.collection, handlers })
}
