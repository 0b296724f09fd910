import { CommandBus } from '../commands/command-bus'
import { AggregateRepository } from '../aggregates/repository'
import { InMemoryEventStore } from '../store/in-memory-event-store'
import { toAggregateDefinition } from '../aggregates/aggregate-definition'
import { Account, OpenAccount } from '../__fixtures__/account'
import { traceLogFields } from './logger'

describe('telemetry without an SDK', () => {
  const bus = () => new CommandBus({ repository: new AggregateRepository(new InMemoryEventStore()) }).register(toAggregateDefinition(Account))

  it('adds no traceparent to the events of a command', async () => {
    const { events } = await bus().execute(new OpenAccount('n1', 'Ann'))
    expect(events[0]!.metadata).not.toHaveProperty('traceparent')
  })

  it('passes a traceparent given in the metadata on to the events unchanged', async () => {
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'
    const { events } = await bus().execute(new OpenAccount('n2', 'Ann'), { metadata: { traceparent } })
    expect(events[0]!.metadata.traceparent).toBe(traceparent)
  })

  it('gives log lines no trace fields', () => {
    expect(traceLogFields()).toEqual({})
  })
})
