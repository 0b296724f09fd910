import { relayStatus } from '@eventfold/messaging'
import { PARKED_COLLECTION } from '@eventfold/messaging/spi'
import { consumerLagOn, type ConsumerLagRow } from '../../commands/consumers'
import type { CliApp } from '../../config/app'
import type { ConsoleStores, Route } from '../route'

/** The groups' lag as `consumers status` asks the transport for it, or why the transport could not tell. */
const lagOf = async (app: CliApp, stores: ConsoleStores): Promise<{ rows: ConsumerLagRow[] | null; error: string | null }> => {
  if (!app.transport || app.consumers.size === 0) return { rows: null, error: null }
  try {
    return { rows: (await stores.transport((t) => consumerLagOn(t, [...app.consumers.values()]))) ?? null, error: null }
  } catch (error) {
    // A broker that is down must not hide what the stores can still tell (parked messages, the relay).
    return { rows: null, error: (error as Error)?.message ?? String(error) }
  }
}

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
        for (const c of consumers) parked.set(c.name, await documents.count(PARKED_COLLECTION, { consumer: c.name }))
        const relay = app.relay ? await relayStatus(eventStore, documents, app.relay.name !== undefined ? { name: app.relay.name } : {}) : undefined
        return { parked, relay }
      })
      const lag = await lagOf(app, stores)
      return {
        body: {
          transport: app.transport !== undefined,
          transportError: lag.error,
          consumers: consumers.map((c) => ({
            name: c.name,
            topics: c.topics,
            parked: parked.get(c.name) ?? 0,
            lag: lag.rows === null ? null : lag.rows.filter((r) => r.consumer === c.name).reduce((n, r) => n + r.lag, 0n),
          })),
          partitions: lag.rows === null ? null : lag.rows.map((r) => ({ ...r, committed: r.committed ?? null })),
          // null, not absent, as `relay status --json` prints them.
          relay: relay
            ? { ...relay, head: relay.head ?? null, partitions: relay.partitions.map((p) => ({ ...p, checkpoint: p.checkpoint ?? null, owner: p.owner ?? null })) }
            : null,
        },
      }
    },
  },
]
