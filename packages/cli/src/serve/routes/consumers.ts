import { ParkedMessages, relayStatus } from '@eventfold/messaging'
import { consumerLag } from '../../commands/consumers'
import type { ConsoleStores, Route } from '../route'

/** Consumer groups with their lag on the transport and their parked messages; the relay's checkpoints and lag. */
export const consumerRoutes = (stores: ConsoleStores): Route[] => [
  {
    method: 'GET',
    path: /^\/api\/consumers$/,
    action: false,
    handle: async () => {
      const app = await stores.app()
      const consumers = [...app.consumers.values()]
      const { parked, relay } = await stores.reading(async ({ eventStore, documents }) => {
        const parked = new Map<string, number>()
        for (const p of await new ParkedMessages(documents).list()) parked.set(p.consumer, (parked.get(p.consumer) ?? 0) + 1)
        const relay = app.relay ? await relayStatus(eventStore, documents, app.relay.name !== undefined ? { name: app.relay.name } : {}) : undefined
        return { parked, relay }
      })
      // As `consumers status`: the transport is opened for this request alone; no transport, no lag to show.
      const lag = app.transport && consumers.length > 0 ? await consumerLag(app, consumers) : null
      return {
        body: {
          transport: app.transport !== undefined,
          consumers: consumers.map((c) => ({
            name: c.name,
            topics: c.topics,
            parked: parked.get(c.name) ?? 0,
            lag: lag === null ? null : lag.filter((r) => r.consumer === c.name).reduce((n, r) => n + r.lag, 0n),
          })),
          partitions: lag === null ? null : lag.map((r) => ({ ...r, committed: r.committed ?? null })),
          // null, not absent, as `relay status --json` prints them.
          relay: relay
            ? { ...relay, head: relay.head ?? null, partitions: relay.partitions.map((p) => ({ ...p, checkpoint: p.checkpoint ?? null, owner: p.owner ?? null })) }
            : null,
        },
      }
    },
  },
]
