import { replayStream } from '../../commands/replay'
import { listStreams, requireStream } from '../../commands/streams'
import { eventJson } from '../../output/events'
import { ConsoleRequestError } from '../errors'
import { Params } from '../params'
import { DEFAULT_PAGE, idParam, PAGE, type ConsoleStores, type Route } from '../route'
import { quoteShort } from '../../args/names'

/** Streams by prefix or category, a stream's events, one event, an aggregate at a revision. */
export const streamRoutes = (stores: ConsoleStores): Route[] => [
  {
    method: 'GET',
    path: /^\/api\/streams$/,
    action: false,
    handle: async ({ query }) => {
      const prefix = query.text('prefix')
      const category = query.text('category')
      if (prefix !== undefined && category !== undefined) throw new ConsoleRequestError(400, 'give prefix or category, not both')
      const offset = query.integer('offset', { min: 0, max: Number.MAX_SAFE_INTEGER }) ?? 0
      const limit = query.integer('limit', PAGE) ?? DEFAULT_PAGE
      const streams = await stores.reading(({ eventStore }) => listStreams(eventStore, category ? { prefix: `${category}-` } : prefix ? { prefix } : {}))
      return { body: { total: streams.length, offset, limit, streams: streams.slice(offset, offset + limit) } }
    },
  },
  {
    method: 'GET',
    path: /^\/api\/streams\/([^/]+)\/events$/,
    action: false,
    handle: async ({ params, query }) => {
      const streamId = idParam(params[0]!, 'a stream id')
      const from = query.revision('from') ?? 0n
      const limit = query.integer('limit', PAGE) ?? DEFAULT_PAGE
      const { lastRevision, events } = await stores.reading(async ({ eventStore }) => {
        const lastRevision = await requireStream(eventStore, streamId)
        const events = []
        for await (const e of eventStore.readStream(streamId, { fromRevision: from, maxCount: limit })) events.push(eventJson(e))
        return { lastRevision, events }
      })
      const next = events.length > 0 ? (events.at(-1)!.revision as bigint) + 1n : null
      return { body: { streamId, lastRevision, from, limit, events, next: next !== null && next <= lastRevision ? next : null } }
    },
  },
  {
    method: 'GET',
    path: /^\/api\/streams\/([^/]+)\/events\/([^/]+)$/,
    action: false,
    handle: async ({ params }) => {
      const streamId = idParam(params[0]!, 'a stream id')
      const revision = new Params(new URLSearchParams({ revision: params[1]! })).revision('revision')!
      // As stored, as `streams read` prints it (the replay page shows upcast events).
      const found = await stores.reading(async ({ eventStore }) => {
        const lastRevision = await requireStream(eventStore, streamId)
        for await (const e of eventStore.readStream(streamId, { fromRevision: revision, maxCount: 1 })) {
          if (e.revision === revision) return { lastRevision, event: eventJson(e) }
        }
        return { lastRevision, event: null }
      })
      if (found.event) return { body: found }
      throw new ConsoleRequestError(400, `stream ${quoteShort(streamId)} has no event at revision ${revision} (it ends at revision ${found.lastRevision})`)
    },
  },
  {
    method: 'GET',
    path: /^\/api\/streams\/([^/]+)\/replay$/,
    action: false,
    handle: async ({ params, query }) => {
      const streamId = idParam(params[0]!, 'a stream id')
      const toRevision = query.revision('revision')
      const until = query.time('until')
      if (toRevision !== undefined && until !== undefined) throw new ConsoleRequestError(400, 'give revision or until, not both')
      const app = await stores.app()
      const report = await stores.reading(({ eventStore }) =>
        replayStream(app, eventStore, streamId, { ...(toRevision !== undefined ? { toRevision } : {}), ...(until !== undefined ? { until } : {}) }),
      )
      return { body: { ...report, events: report.events.map(eventJson) } }
    },
  },
]
