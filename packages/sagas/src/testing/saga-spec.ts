import { isDeepStrictEqual } from 'node:util'
import { EventfoldError } from '@eventfold/core'
import { eventTypeOf } from '@eventfold/core/spi'
import { InMemoryDocumentStore } from '@eventfold/projections'
import { TestClock } from '../clock/test-clock'
import type { DeadlineInput } from '../deadlines/deadline'
import { Deadlines } from '../deadlines/deadlines'
import { InMemoryDeadlineStore } from '../deadlines/in-memory-deadline-store'
import { commandTypeOf, type CommandSender } from '../sagas/command-senders'
import type { SagaDefinition } from '../sagas/saga-definition'
import type { SagaMessage } from '../sagas/saga-message'
import { sagaDeadlineScope } from '../sagas/saga-instance'
import { Sagas } from '../sagas/sagas'

/** A command as a spec compares it: its type, its fields, and the service it goes to (absent: the local bus). */
export interface SentCommand {
  readonly type: string
  readonly data: Readonly<Record<string, unknown>>
  readonly to?: string
}

/** A deadline the `when` message scheduled, with when it falls due (epoch ms on the spec's clock). */
export interface ScheduledDeadline {
  readonly name: string
  readonly dueAt: number
  readonly payload: unknown
}

/** What the `when` message did. */
export interface SagaSpecOutcome {
  /** Commands sent, in order (compensations included). */
  readonly commands: readonly SentCommand[]
  readonly scheduled: readonly ScheduledDeadline[]
  /** Names of the deadlines cancelled. */
  readonly cancelled: readonly string[]
  /** True when the instance ended. */
  readonly ended: boolean
  /** The instance's state afterwards; `undefined` when no instance handled the message. */
  readonly state: unknown
}

/** What {@link SagaSpecWhen.then} checks; fields left out are not checked. */
export interface SagaSpecExpectation {
  /** Commands: `@Command` instances, `{ type, ... }` plain commands, or `{ command, to }` for another service. */
  readonly commands?: readonly (object | { readonly command: object; readonly to: string })[]
  /** Deadline names, or `{ name, after }` / `{ name, at }` to check the due time too. */
  readonly scheduled?: readonly (string | { readonly name: string; readonly after?: number; readonly at?: number })[]
  readonly cancelled?: readonly string[]
  readonly ended?: boolean
  /** Fields of the state to check (a subset of it). */
  readonly state?: Readonly<Record<string, unknown>>
}

/** A saga spec's expectation did not hold; the message shows what was expected and what happened. */
export class SagaSpecError extends EventfoldError {
  readonly type = 'SagaSpecError'
  constructor(
    readonly saga: string,
    readonly what: string,
    readonly expected: unknown,
    readonly actual: unknown,
  ) {
    super(`SagaSpec '${saga}': ${what} differ\n  expected: ${JSON.stringify(expected)}\n  actual:   ${JSON.stringify(actual)}`)
  }
}

/** A spec after `when`: assert what the message did. */
export interface SagaSpecWhen {
  /** @throws {@link SagaSpecError} naming the first expectation that did not hold. */
  then(expected: SagaSpecExpectation): Promise<void>
  /** What the message did, for assertions of your own. */
  outcome(): Promise<SagaSpecOutcome>
}

/** A spec after `given`. */
export interface SagaSpecGiven {
  /** The message under test: an `@Event` instance, `{ type, data }`, or {@link SagaSpec.deadline}. */
  when(message: object): SagaSpecWhen
}

const DEADLINE = Symbol('deadline')

/**
 * Given/when/then for sagas, with no database: `given` events are handled
 * first, then `when`'s commands, deadlines, end and state are what `then`
 * checks. The clock starts at `SagaSpec.T0`.
 * @example
 * ```ts
 * await SagaSpec.for(OrderSaga)
 *   .given([new OrderPlaced('o1', 'A')])
 *   .when(new StockReserved('o1', 'r1'))
 *   .then({ commands: [new TakePayment('o1')] })
 * ```
 */
export class SagaSpec {
  /** Where the spec's clock starts, in epoch milliseconds. */
  static readonly T0 = 1_800_000_000_000

  private constructor(private readonly saga: SagaDefinition<unknown> | (new () => object)) {}

  /** A spec for a `@Saga` class or a process manager definition. */
  static for(saga: SagaDefinition<unknown> | (new () => object)): SagaSpec {
    return new SagaSpec(saga)
  }

  /** A deadline of the instance, delivered as `when`'s message. */
  static deadline(name: string, payload: unknown = null): object {
    return { [DEADLINE]: true, name, payload }
  }

  given(events: readonly object[]): SagaSpecGiven {
    return { when: (message) => this.run(events, message) }
  }

  private run(given: readonly object[], when: object): SagaSpecWhen {
    let result: Promise<SagaSpecOutcome> | undefined
    const outcome = (): Promise<SagaSpecOutcome> => (result ??= this.execute(given, when))
    return {
      outcome,
      then: async (expected) => check(this.sagaName(), await outcome(), expected),
    }
  }

  private sagaName(): string {
    return typeof this.saga === 'function' ? new Sagas({ documents: new InMemoryDocumentStore(), sagas: [this.saga] }).definitions[0]!.name : this.saga.name
  }

  private async execute(given: readonly object[], when: object): Promise<SagaSpecOutcome> {
    const clock = new TestClock(SagaSpec.T0)
    const store = new RecordingDeadlineStore()
    const sent: SentCommand[] = []
    const record: CommandSender = async (_command, c) => {
      sent.push({ type: c.type, data: c.data, ...(c.to !== undefined && { to: c.to }) })
    }
    const sagas = new Sagas({ documents: new InMemoryDocumentStore(), sagas: [this.saga], local: record, integration: record, deadlines: new Deadlines(store, { clock }), clock })
    let seq = 0
    const messageOf = (event: object): SagaMessage => {
      const id = `spec-${++seq}`
      const type = 'type' in event && 'data' in event && typeof event.type === 'string' ? event.type : eventTypeOf(event.constructor as never)
      const data = 'type' in event && 'data' in event && typeof event.type === 'string' ? event.data : { ...event }
      return { id, type, data, metadata: { eventId: id, correlationId: 'spec' } }
    }
    const ids = new Set<string>()
    for (const event of given) for (const o of await sagas.handle(messageOf(event))) ids.add(o.sagaId)
    sent.length = 0
    store.reset()
    let sagaId: string | undefined
    if ((when as Record<symbol, unknown>)[DEADLINE] === true) {
      const { name, payload } = when as unknown as { name: string; payload: unknown }
      sagaId = [...ids].at(-1)
      const definition = sagas.definitions[0]!
      if (sagaId !== undefined) {
        const id = `spec-${++seq}`
        await sagas.deliverDeadline({ id, scope: sagaDeadlineScope(definition.name, sagaId), name, dueAt: clock.now(), payload })
      }
    } else {
      const outcomes = await sagas.handle(messageOf(when))
      sagaId = outcomes.at(-1)?.sagaId
    }
    const instance = sagaId === undefined ? undefined : await sagas.get(sagaId).catch(() => undefined)
    return {
      commands: sent,
      scheduled: store.scheduled.map(({ name, dueAt, payload }) => ({ name, dueAt, payload })),
      cancelled: store.cancelled,
      ended: instance?.status === 'ended',
      state: instance?.state,
    }
  }
}

/** A deadline store that remembers the schedules and cancels since its last reset. */
class RecordingDeadlineStore extends InMemoryDeadlineStore {
  scheduled: DeadlineInput[] = []
  cancelled: string[] = []

  override async schedule(deadline: DeadlineInput): Promise<void> {
    this.scheduled.push(deadline)
    await super.schedule(deadline)
  }
  override async cancel(scope: string, name: string): Promise<boolean> {
    this.cancelled.push(name)
    return super.cancel(scope, name)
  }
  reset(): void {
    this.scheduled = []
    this.cancelled = []
  }
}

const sentOf = (c: object): SentCommand => {
  if ('command' in c && typeof c.command === 'object' && c.command !== null && 'to' in c && typeof c.to === 'string') {
    return { ...sentOf(c.command), to: c.to }
  }
  return { type: commandTypeOf(c), data: { ...(c as Record<string, unknown>) } }
}

/** Equal as JSON data: commands come back from the store as plain objects. */
const sameData = (a: unknown, b: unknown): boolean => isDeepStrictEqual(JSON.parse(JSON.stringify(a ?? null)), JSON.parse(JSON.stringify(b ?? null)))

const check = (saga: string, actual: SagaSpecOutcome, expected: SagaSpecExpectation): void => {
  if (expected.commands !== undefined) {
    const want = expected.commands.map(sentOf)
    if (!sameData(want, actual.commands)) throw new SagaSpecError(saga, 'commands sent', want, actual.commands)
  }
  if (expected.scheduled !== undefined) {
    const want = expected.scheduled.map((s) => (typeof s === 'string' ? { name: s } : { name: s.name, dueAt: s.at ?? SagaSpec.T0 + (s.after ?? 0) }))
    const got = actual.scheduled.map((s, i) => {
      const w = want[i]
      return w !== undefined && !('dueAt' in w) ? { name: s.name } : { name: s.name, dueAt: s.dueAt }
    })
    if (!sameData(want, got)) throw new SagaSpecError(saga, 'deadlines scheduled', want, got)
  }
  if (expected.cancelled !== undefined && !isDeepStrictEqual([...expected.cancelled], [...actual.cancelled])) {
    throw new SagaSpecError(saga, 'deadlines cancelled', expected.cancelled, actual.cancelled)
  }
  if (expected.ended !== undefined && expected.ended !== actual.ended) throw new SagaSpecError(saga, 'ended', expected.ended, actual.ended)
  if (expected.state !== undefined) {
    const state = (actual.state ?? {}) as Record<string, unknown>
    const got = Object.fromEntries(Object.keys(expected.state).map((k) => [k, state[k]]))
    if (!sameData(got, expected.state)) throw new SagaSpecError(saga, 'state', expected.state, got)
  }
}
