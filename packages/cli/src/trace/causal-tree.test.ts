import { causalTree, type TraceNode, type TracedEvent } from './causal-tree'

let position = 0n
const event = (service: string, eventId: string, causationId: string | undefined, occurredAt: string): TracedEvent => ({
  service,
  streamId: `S-${eventId}`,
  revision: 0n,
  position: ++position,
  type: `T${eventId}`,
  eventId,
  causationId,
  occurredAt,
})

/** The tree as nested ids, commands as `cmd:<id>`. */
const shape = (nodes: readonly TraceNode[]): unknown[] =>
  nodes.map((n) => {
    const id = n.kind === 'event' ? n.event.eventId : `cmd:${n.id}`
    return n.children.length === 0 ? id : { [id]: shape(n.children) }
  })

describe('causalTree', () => {
  it('nests each event under the event or command its causation id names, siblings in time order', () => {
    const events = [
      event('order', 'e1', 'cmd-1', '2026-01-01T00:00:01Z'),
      event('payment', 'p1', 'e1', '2026-01-01T00:00:03Z'),
      event('order', 'e2', 'cmd-1', '2026-01-01T00:00:01Z'),
      event('payment', 'p0', 'e1', '2026-01-01T00:00:02Z'),
      event('order', 'e3', 'p1', '2026-01-01T00:00:04Z'),
    ]
    expect(shape(causalTree(events, ['order', 'payment']))).toEqual([{ 'cmd:cmd-1': [{ e1: ['p0', { p1: ['e3'] }] }, 'e2'] }])
  })

  it('compares times as instants, whatever their offsets', () => {
    const events = [event('a', 'x', undefined, '2026-01-01T01:00:00+02:00'), event('a', 'y', undefined, '2026-01-01T00:00:00Z')]
    expect(shape(causalTree(events, ['a']))).toEqual(['x', 'y'])
  })

  it('shows every event once: one without a cause, one naming itself and a cycle of causes become roots', () => {
    const events = [
      event('a', 'r', undefined, '2026-01-01T00:00:01Z'),
      event('a', 's', 's', '2026-01-01T00:00:02Z'),
      event('a', 'c1', 'c2', '2026-01-01T00:00:03Z'),
      event('a', 'c2', 'c1', '2026-01-01T00:00:04Z'),
    ]
    expect(shape(causalTree(events, ['a']))).toEqual(['r', 's', { c1: ['c2'] }])
  })
})
