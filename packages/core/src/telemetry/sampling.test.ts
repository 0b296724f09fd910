import { context, trace } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { AlwaysOffSampler, AlwaysOnSampler, InMemorySpanExporter, ParentBasedSampler, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace'
import { CommandBus } from '../commands/command-bus'
import { AggregateRepository } from '../aggregates/repository'
import { InMemoryEventStore } from '../store/in-memory-event-store'
import { toAggregateDefinition } from '../aggregates/aggregate-definition'
import { Account, Deposit, OpenAccount } from '../__fixtures__/account'
import { parseTraceparent } from './trace-context'

const spans = new InMemorySpanExporter()
let provider: TracerProvider

const register = (root: AlwaysOnSampler | AlwaysOffSampler) => {
  trace.disable()
  provider = new TracerProvider({ sampler: new ParentBasedSampler({ root }), spanProcessors: [new SimpleSpanProcessor({ exporter: spans })] })
  trace.setGlobalTracerProvider(provider)
}

beforeAll(() => context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable()))
afterAll(() => {
  trace.disable()
  context.disable()
})

describe('a command the sampler drops', () => {
  it('records no span, yet its events carry the unsampled trace, and a service that continues it keeps the decision', async () => {
    const store = new InMemoryEventStore()
    const bus = new CommandBus({ repository: new AggregateRepository(store) }).register(toAggregateDefinition(Account))
    register(new AlwaysOffSampler())
    const { events } = await bus.execute(new OpenAccount('d1', 'Ann'))
    const carried = parseTraceparent(events[0]!.metadata.traceparent)
    expect(carried).toMatchObject({ traceFlags: 0 })
    expect(spans.getFinishedSpans()).toEqual([])

    // Another service samples every new trace, but follows the parent's decision.
    register(new AlwaysOnSampler())
    const next = await bus.execute(new Deposit('d1', 5), { metadata: { traceparent: events[0]!.metadata.traceparent } })
    expect(spans.getFinishedSpans()).toEqual([])
    expect(parseTraceparent(next.events[0]!.metadata.traceparent)?.traceId).toBe(carried!.traceId)
    // A trace of its own is sampled there.
    await bus.execute(new Deposit('d1', 5))
    expect(spans.getFinishedSpans().map((s) => s.name)).toEqual(['append', 'command TestDeposit'])
  })
})
