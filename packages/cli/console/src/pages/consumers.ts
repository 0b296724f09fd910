import { get, seg } from '../api'
import { h, link, table } from '../dom'
import type { Page } from './page'

interface Groups {
  readonly transport: boolean
  readonly transportError: string | null
  readonly consumers: { name: string; topics: string[]; parked: number; lag: string | null }[]
  readonly partitions: { consumer: string; topic: string; partition: number; committed: string | null; end: string; lag: string }[] | null
  readonly relay: {
    relay: string
    head: string | null
    parked: number
    partitions: { partition: string; checkpoint: string | null; lag: string; owner: string | null }[]
  } | null
}

/** How often the page asks again: each answer asks the transport for the groups' lag. */
const POLL_MS = 2000

const groupsView = (g: Groups): Node[] => {
  if (g.consumers.length === 0) return [h('p', { id: 'no-consumers' }, 'the config registers no consumers (add consumers: [...] to it to see their groups here)')]
  const nodes: (Node | null)[] = [
    g.transport ? null : h('p', { id: 'no-transport' }, 'the config declares no transport: the lag of the groups is unknown (add transport: () => … to it)'),
    g.transportError === null ? null : h('p', { id: 'transport-error', class: 'error' }, `the transport could not tell the lag: ${g.transportError}`),
    table(
      g.consumers,
      [
        { header: 'consumer group', cell: (c) => c.name },
        { header: 'topics', cell: (c) => c.topics.join(', ') },
        { header: 'lag', cell: (c) => h('span', { class: 'lag' }, c.lag ?? '-'), className: 'num' },
        { header: 'parked', cell: (c) => (c.parked > 0 ? link(`parked?consumer=${seg(c.name)}`, String(c.parked), { class: 'parked' }) : h('span', { class: 'parked' }, '0')), className: 'num' },
      ],
      { id: 'consumers' },
    ),
    g.partitions && g.partitions.length > 0
      ? table(
          g.partitions,
          [
            { header: 'consumer group', cell: (p) => p.consumer },
            { header: 'topic', cell: (p) => p.topic },
            { header: 'partition', cell: (p) => p.partition, className: 'num' },
            { header: 'committed', cell: (p) => p.committed ?? '-', className: 'num' },
            { header: 'end', cell: (p) => p.end, className: 'num' },
            { header: 'lag', cell: (p) => p.lag, className: 'num' },
          ],
          { id: 'consumer-partitions' },
        )
      : null,
  ]
  return nodes.filter((n): n is Node => n !== null)
}

const relayView = (g: Groups): Node[] => {
  if (!g.relay) return [h('p', { id: 'no-relay' }, 'the config has no relay')]
  const r = g.relay
  return [
    h('p', { class: 'muted' }, `relay '${r.relay}': head ${r.head ?? 'empty log'}, parked ${r.parked}`),
    r.partitions.length === 0
      ? h('p', { id: 'relay-not-run' }, 'the relay has not run yet')
      : table(
          r.partitions,
          [
            { header: 'partition', cell: (p) => p.partition },
            { header: 'checkpoint', cell: (p) => p.checkpoint ?? 'none', className: 'num' },
            { header: 'lag', cell: (p) => h('span', { class: 'lag' }, p.lag), className: 'num' },
            { header: 'owner', cell: (p) => p.owner ?? '-' },
          ],
          { id: 'relay' },
        ),
  ]
}

/** Consumer groups with their lag on the transport and their parked messages; the relay's checkpoints and lag. */
export const consumersPage: Page = {
  route: 'consumers',
  title: 'Consumers',
  render: async (ctx) => {
    const groups = h('div', {})
    const relay = h('div', {})
    const draw = (g: Groups): void => {
      groups.replaceChildren(...groupsView(g))
      for (const [i, c] of g.consumers.entries()) groups.querySelectorAll('#consumers tbody tr')[i]?.setAttribute('data-consumer', c.name)
      relay.replaceChildren(...relayView(g))
    }
    draw(await get<Groups>('/api/consumers'))
    let stopped = false
    const timer = setInterval(() => {
      get<Groups>('/api/consumers').then(
        (g) => !stopped && draw(g),
        (error: Error) => ctx.notify(error.message, true),
      )
    }, POLL_MS)
    ctx.onLeave(() => {
      stopped = true
      clearInterval(timer)
    })
    return h(
      'section',
      {},
      h('h1', {}, 'Consumer groups'),
      h('p', { class: 'muted' }, 'lag: messages published and not yet acknowledged by the group, from the transport; refreshed every 2 seconds'),
      groups,
      h('h2', {}, 'Relay'),
      relay,
    )
  },
}
