import { deepStrictEqual, fail } from 'node:assert'
import { aggregateStreamId, toAggregateDefinition, type AggregateClass, type AggregateDefinition } from '../aggregates/aggregate-definition'
import type { EventData, RecordedEvent } from '../events/event'
import { defaultEventRegistry, type EventRegistry } from '../events/event-registry'

const comparable = (events: readonly EventData[]) => events.map((e) => ({ type: e.type, data: JSON.parse(JSON.stringify(e.data ?? null)) as unknown }))

/** The outcome of `when`, to assert with `then` or `thenThrows`. */
export interface SpecResult<State> {
  /** Asserts the command produced exactly these events (types and data). */
  then(expected: readonly object[]): Promise<void>
  /** Asserts the command failed with this error class (and message, when given). */
  thenThrows(errorClass: abstract new (...args: never[]) => Error, message?: string | RegExp): Promise<void>
  /** Asserts on the state after the new events. */
  thenState(check: (state: State) => void): Promise<void>
}

/** A given/when/then specification of one aggregate, with no I/O. */
export class AggregateSpec<State> {
  private constructor(
    private readonly definition: AggregateDefinition<State>,
    private readonly registry: EventRegistry,
    private readonly history: readonly object[] = [],
    private readonly id = 'spec-1',
  ) {}

  /**
   * Starts a specification.
   * @example
   * ```ts
   * await AggregateSpec.for(Account).given([new AccountOpened('a1', 'Ann')]).when(new Deposit('a1', 5)).then([new Deposited('a1', 5)])
   * ```
   */
  static for<S = object>(aggregate: AggregateClass | AggregateDefinition<S>, registry: EventRegistry = defaultEventRegistry): AggregateSpec<S> {
    return new AggregateSpec<S>(toAggregateDefinition(aggregate as AggregateClass) as AggregateDefinition<S>, registry)
  }

  /** The events already in the aggregate's stream (`@Event` instances or `{ type, data }`). */
  given(events: readonly object[], aggregateId = this.id): AggregateSpec<State> {
    return new AggregateSpec(this.definition, this.registry, events, aggregateId)
  }

  /** The command under test. */
  when(command: object): SpecResult<State> {
    const run = async (): Promise<{ events: EventData[]; state: State } | { error: unknown }> => {
      const streamId = aggregateStreamId(this.definition, this.id)
      let state = this.definition.initialState()
      this.definition.attach?.(state, this.id, this.registry)
      this.history.forEach((e, i) => {
        const data = this.registry.toEventData(e)
        const recorded = { ...data, metadata: { eventId: `given-${i}`, occurredAt: new Date(0).toISOString(), schemaVersion: 1, ...data.metadata }, streamId, revision: BigInt(i), position: BigInt(i + 1) } as RecordedEvent
        state = this.definition.evolve(state, recorded, this.registry)
      })
      try {
        const events = await this.definition.decide(command, state, { aggregateId: this.id, streamId, metadata: {} }, this.registry)
        if (!this.definition.evolvesOnDecide) {
          for (const e of events) state = this.definition.evolve(state, { ...e, streamId, revision: -1n, position: -1n } as RecordedEvent, this.registry)
        }
        return { events, state }
      } catch (error) {
        return { error }
      }
    }
    const outcome = run()
    const success = async () => {
      const o = await outcome
      if ('error' in o) throw o.error
      return o
    }
    return {
      then: async (expected) => {
        const { events } = await success()
        deepStrictEqual(comparable(events), comparable(expected.map((e) => this.registry.toEventData(e))))
      },
      thenState: async (check) => check((await success()).state),
      thenThrows: async (errorClass, message) => {
        const o = await outcome
        if (!('error' in o)) {
          fail(`expected ${errorClass.name} but the command produced ${JSON.stringify(comparable(o.events))}`)
        }
        const error = o.error
        if (!(error instanceof errorClass)) throw error
        if (message !== undefined) {
          const ok = typeof message === 'string' ? error.message.includes(message) : message.test(error.message)
          if (!ok) fail(`expected ${errorClass.name} message to match ${String(message)}, got '${error.message}'`)
        }
      },
    }
  }
}
