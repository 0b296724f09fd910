import { DeadLetters, rebuildProjection, type RebuildResult } from '@eventfold/projections'
import { impossibleName, quoteShort } from '../args/names'
import type { CliApp } from '../config/app'
import type { EventfoldConnection } from '../config/define-config'
import { listDeadlines, printable } from '../commands/deadlines'
import { discardLetter, retryLetter } from '../commands/dlq'
import { requireRebuildPartitions } from '../commands/projections/rebuild'
import { resetReport } from '../commands/projections/reset'
import { projectionStatus } from '../commands/projections/status-report'
import { replayStream } from '../commands/replay'
import { listStreams, requireStream } from '../commands/streams'
import { eventJson } from '../output/events'
import { rebuildTicker, type RebuildTick } from '../output/rebuild-progress'
import { ConsoleRequestError } from './errors'
import { onlyFields, Params } from './params'

/** What a route handler gets: the path's captured segments (decoded), the query, the JSON body. */
export interface RouteRequest {
  readonly params: readonly string[]
  readonly query: Params
  readonly body: Record<string, unknown>
}

/** One endpoint of the JSON API. `action` routes change something and need the token. */
export interface Route {
  readonly method: 'GET' | 'POST'
  readonly path: RegExp
  readonly action: boolean
  handle(request: RouteRequest): Promise<{ status?: number; body: unknown }>
}

/** A rebuild started from the console, as the projections page shows it. */
export interface LiveRebuild {
  readonly state: 'running' | 'done' | 'failed'
  readonly progress: RebuildTick | null
  readonly result: RebuildResult | null
  readonly error: string | null
}

/** Rebuilds the console started, by projection; they run in the server process. */
export class Rebuilds {
  private readonly live = new Map<string, LiveRebuild>()
  private readonly abort = new AbortController()
  private readonly running = new Set<Promise<unknown>>()

  get(name: string): LiveRebuild | null {
    return this.live.get(name) ?? null
  }

  /** Runs `work` in the background, recording its progress; refuses a second rebuild of one projection. */
  start(name: string, work: (onProgress: (tick: RebuildTick) => void, signal: AbortSignal) => Promise<RebuildResult>): void {
    if (this.live.get(name)?.state === 'running') throw new ConsoleRequestError(409, `a rebuild of '${name}' started from this console is still running`)
    this.live.set(name, { state: 'running', progress: null, result: null, error: null })
    const run = work((progress) => this.live.set(name, { state: 'running', progress, result: null, error: null }), this.abort.signal).then(
      (result) => void this.live.set(name, { ...this.live.get(name)!, state: 'done', result }),
      (error: unknown) => void this.live.set(name, { ...this.live.get(name)!, state: 'failed', error: (error as Error)?.message ?? String(error) }),
    )
    this.running.add(run)
    void run.finally(() => this.running.delete(run))
  }

  /** Stops the rebuilds after their batch in flight (each batch commits with its checkpoint, so they resume). */
  async stop(): Promise<void> {
    this.abort.abort()
    await Promise.all(this.running)
  }
}

const PAGE = { min: 1, max: 1000 }
const DEFAULT_PAGE = 50

/** Decodes the id captured from one path segment, refusing what no store can hold. */
const idParam = (value: string, what: string): string => {
  const impossible = impossibleName(value, what)
  if (impossible) throw new ConsoleRequestError(400, `${impossible}: ${quoteShort(value)}`)
  return value
}

/** The application and its stores, as the console's handlers use them. */
export interface ConsoleStores {
  app(): Promise<CliApp>
  /**
   * Runs `work` on stores opened read-only for this request alone, as a read
   * command opens them, and closes them: each request sees the stores as
   * they are now (tables a worker created since the last one included).
   */
  reading<T>(work: (stores: EventfoldConnection) => Promise<T>): Promise<T>
  /** The stores actions write to: opened by the first action, kept until the console stops. */
  writing(): Promise<EventfoldConnection>
}

/**
 * The console's JSON API. Reads never open a store for writing; actions do,
 * on the first one. Each handler calls the function its CLI command calls.
 */
export const consoleRoutes = (stores: ConsoleStores, rebuilds: Rebuilds): Route[] => [
  {
    method: 'GET',
    path: /^\/api\/info$/,
    action: false,
    handle: async () => {
      const app = await stores.app()
      const deadlines = await stores.reading(async (s) => s.deadlines !== undefined)
      return {
        body: { configPath: app.configPath, projections: [...app.projections.keys()], aggregates: [...app.aggregates.keys()], deadlines },
      }
    },
  },
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
      const { registry } = await stores.app()
      const found = await stores.reading(async ({ eventStore }) => {
        const lastRevision = await requireStream(eventStore, streamId)
        for await (const e of eventStore.readStream(streamId, { fromRevision: revision, maxCount: 1 })) {
          if (e.revision === revision) return { lastRevision, event: eventJson(registry.upcast(e)) }
        }
        return { lastRevision, event: null }
      })
      if (found.event) return { body: found }
      const lastRevision = found.lastRevision
      throw new ConsoleRequestError(400, `stream ${quoteShort(streamId)} has no event at revision ${revision} (it ends at revision ${lastRevision})`)
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
  {
    method: 'GET',
    path: /^\/api\/projections$/,
    action: false,
    handle: async () => {
      const app = await stores.app()
      const statuses = await stores.reading(async ({ eventStore, documents }) => {
        const statuses = []
        for (const p of app.projections.values()) {
          // Taken before the stores are read: a rebuild seen done here has switched generations in what they show.
          const live = rebuilds.get(p.name)
          statuses.push({ ...(await projectionStatus(eventStore, documents, p)), live })
        }
        return statuses
      })
      return { body: statuses }
    },
  },
  {
    method: 'POST',
    path: /^\/api\/projections\/([^/]+)\/rebuild$/,
    action: true,
    handle: async ({ params, body }) => {
      onlyFields(body, ['partitions'])
      const partitions = body.partitions
      if (partitions !== undefined && (typeof partitions !== 'number' || !Number.isInteger(partitions) || partitions < 1 || partitions > 1024)) {
        throw new ConsoleRequestError(400, 'partitions must be a whole number from 1 to 1024')
      }
      const app = await stores.app()
      const projection = app.projection(params[0]!)
      const { eventStore, documents } = await stores.writing()
      await requireRebuildPartitions(documents, projection.name, partitions)
      rebuilds.start(projection.name, (onProgress, signal) => {
        const tick = rebuildTicker()
        return rebuildProjection({
          eventStore,
          documents,
          projection,
          registry: app.registry,
          ...(partitions !== undefined ? { partitions } : {}),
          onProgress: (p) => onProgress(tick(p)),
          signal,
        })
      })
      return { status: 202, body: { projection: projection.name, started: true } }
    },
  },
  {
    method: 'POST',
    path: /^\/api\/projections\/([^/]+)\/reset$/,
    action: true,
    handle: async ({ params, body }) => {
      onlyFields(body, [])
      const projection = (await stores.app()).projection(params[0]!)
      if (rebuilds.get(projection.name)?.state === 'running') {
        throw new ConsoleRequestError(409, `a rebuild of '${projection.name}' started from this console is running: wait for it to finish`)
      }
      const { documents } = await stores.writing()
      return { body: await resetReport(documents, projection) }
    },
  },
  {
    method: 'GET',
    path: /^\/api\/dead-letters$/,
    action: false,
    handle: async ({ query }) => {
      const projection = query.text('projection')
      if (projection !== undefined) (await stores.app()).projection(projection)
      return { body: await stores.reading(({ documents }) => new DeadLetters(documents).list(projection)) }
    },
  },
  {
    method: 'POST',
    path: /^\/api\/dead-letters\/([^/]+)\/retry$/,
    action: true,
    handle: async ({ params, body }) => {
      onlyFields(body, [])
      const id = idParam(params[0]!, 'a dead letter id')
      const app = await stores.app()
      const { documents } = await stores.writing()
      const letter = await retryLetter(app, documents, id)
      return { body: { id, projection: letter.projection, event: letter.event, retried: true } }
    },
  },
  {
    method: 'POST',
    path: /^\/api\/dead-letters\/([^/]+)\/discard$/,
    action: true,
    handle: async ({ params, body }) => {
      onlyFields(body, [])
      const id = idParam(params[0]!, 'a dead letter id')
      const { documents } = await stores.writing()
      const letter = await discardLetter(documents, id)
      return { body: { id, projection: letter.projection, event: letter.event, discarded: true } }
    },
  },
  {
    method: 'GET',
    path: /^\/api\/deadlines$/,
    action: false,
    handle: async ({ query }) => {
      const due = query.flag('due') ?? false
      const limit = query.integer('limit', PAGE) ?? 1000
      const body = await stores.reading(async (s) =>
        s.deadlines ? { configured: true, deadlines: (await listDeadlines(s, { due, limit })).map(printable) } : { configured: false, deadlines: [] },
      )
      return { body }
    },
  },
]
