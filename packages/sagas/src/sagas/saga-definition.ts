import { eventTypeOf } from '@eventfold/core/spi'
import { UndecoratedSagaError } from '../errors'
import type { DeadlineWhen } from '../deadlines/deadline'
import { sagaMetaOf, isSagaClass } from './decorators'
import { deadlineMessageType, type SagaContext, type SagaMessage, type SendOptions } from './saga-message'

/** How messages of one type find their instance. */
export interface SagaRoute {
  /** True when the message starts an instance if none is associated yet. */
  readonly starts: boolean
  /** The association key, e.g. `orderId`. */
  readonly key: string
  /** The association value in the message's data; `undefined` when it has none. */
  valueOf(data: unknown): string | undefined
}

/**
 * A saga as the runtime runs it; `@Saga` classes and
 * {@link defineProcessManager} both compile down to it.
 */
export interface SagaDefinition<State = unknown> {
  readonly name: string
  /** By message type (event types, and `deadline:<name>` for deadlines, which need no route). */
  readonly routes: ReadonlyMap<string, SagaRoute>
  /** Deadline names the saga handles. */
  readonly deadlines: readonly string[]
  initialState(): State
  /** Handles one message: returns the new state; effects go to `ctx`. */
  handle(state: State, message: SagaMessage, ctx: SagaContext): State | Promise<State>
}

const propertyValue =
  (property: string) =>
  (data: unknown): string | undefined => {
    const value = data !== null && typeof data === 'object' ? (data as Record<string, unknown>)[property] : undefined
    return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : undefined
  }

/**
 * Compiles a `@Saga` class: its own fields are the state, its handlers run
 * on an instance holding that state.
 * @throws {@link UndecoratedSagaError} for a class without `@Saga`.
 */
export const sagaFromClass = <T extends object>(cls: new () => T): SagaDefinition<Record<string, unknown>> => {
  if (!isSagaClass(cls)) throw new UndecoratedSagaError(cls.name)
  const meta = sagaMetaOf(cls)
  const routes = new Map<string, SagaRoute>()
  const methods = new Map<string, string>()
  for (const h of meta.handlers) {
    const type = eventTypeOf(h.eventType)
    routes.set(type, { starts: h.starts, key: h.key, valueOf: propertyValue(h.associate) })
    methods.set(type, h.method)
  }
  for (const [name, method] of meta.deadlines) methods.set(deadlineMessageType(name), method)
  return {
    name: meta.name!,
    routes,
    deadlines: [...meta.deadlines.keys()],
    initialState: () => ({ ...new cls() }) as Record<string, unknown>,
    handle: async (state, message, ctx) => {
      const method = methods.get(message.type)
      const instance = Object.assign(new cls(), state) as Record<string, (data: unknown, ctx: SagaContext) => unknown>
      if (method === undefined) return state
      await instance[method]!(message.data, ctx)
      if (meta.ends.has(method)) ctx.end()
      return { ...instance } as Record<string, unknown>
    },
  }
}

/** What a process manager's `react` asks for. */
export interface Reaction {
  /** Commands to send, in order. */
  readonly send?: readonly (object | { readonly command: object; readonly to?: string })[]
  /** Commands that undo this step, recorded for a later `compensate`. */
  readonly compensateWith?: readonly (object | { readonly command: object; readonly to?: string })[]
  /** Send the compensations earlier steps recorded, most recent first (before this reaction's `compensateWith` is recorded). */
  readonly compensate?: boolean
  /** More association values, by key. */
  readonly associate?: Readonly<Record<string, string>>
  readonly schedule?: readonly { readonly name: string; readonly when: DeadlineWhen; readonly payload?: unknown }[]
  readonly cancel?: readonly string[]
  /** End the instance after this message. */
  readonly end?: boolean
}

/** A decider-shaped process manager: `react` decides, `evolve` folds. */
export interface ProcessManagerOptions<State> {
  readonly name: string
  /** Message types that start an instance, with the property of their data that associates it. */
  readonly starts: Readonly<Record<string, string>>
  /** Message types an existing instance handles, with the property that finds it. @default {} */
  readonly handles?: Readonly<Record<string, string>>
  /** Deadline names it handles; they come as messages of type `deadline:<name>`. @default [] */
  readonly deadlines?: readonly string[]
  initialState(): State
  react(message: SagaMessage, state: State): Reaction
  evolve(state: State, message: SagaMessage): State
}

/**
 * A process manager written as functions, for those who prefer them to a class.
 * @example
 * ```ts
 * const shipping = defineProcessManager({
 *   name: 'shipping',
 *   starts: { OrderPaid: 'orderId' },
 *   initialState: () => ({ shipped: false }),
 *   react: (m) => ({ send: [{ type: 'Ship', orderId: (m.data as { orderId: string }).orderId }], end: true }),
 *   evolve: (s) => ({ ...s, shipped: true }),
 * })
 * ```
 */
export const defineProcessManager = <State>(options: ProcessManagerOptions<State>): SagaDefinition<State> => {
  const routes = new Map<string, SagaRoute>()
  for (const [type, property] of Object.entries(options.handles ?? {})) routes.set(type, { starts: false, key: property, valueOf: propertyValue(property) })
  for (const [type, property] of Object.entries(options.starts)) routes.set(type, { starts: true, key: property, valueOf: propertyValue(property) })
  const target = (c: object | { command: object; to?: string }): [object, SendOptions] =>
    'command' in c && typeof c.command === 'object' && c.command !== null ? [c.command, { ...(c.to !== undefined && { to: c.to }) }] : [c, {}]
  return {
    name: options.name,
    routes,
    deadlines: options.deadlines ?? [],
    initialState: options.initialState,
    handle: (state, message, ctx) => {
      const r = options.react(message, state)
      for (const [key, value] of Object.entries(r.associate ?? {})) ctx.associate(key, value)
      for (const c of r.send ?? []) ctx.send(...target(c))
      // Undo what earlier steps recorded before recording this step's own undo.
      if (r.compensate) ctx.compensate()
      for (const c of r.compensateWith ?? []) ctx.compensateWith(...target(c))
      for (const d of r.schedule ?? []) ctx.schedule(d.name, d.when, d.payload)
      for (const name of r.cancel ?? []) ctx.cancel(name)
      if (r.end) ctx.end()
      return options.evolve(state, message)
    },
  }
}
