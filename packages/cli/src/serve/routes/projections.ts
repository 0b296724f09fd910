import { rebuildProjection } from '@eventfold/projections'
import { previewProjection } from '../../commands/projections/preview'
import { DEFAULT_SAMPLE, requireRebuildPartitions } from '../../commands/projections/rebuild'
import { resetReport } from '../../commands/projections/reset'
import { projectionStatus } from '../../commands/projections/status-report'
import { rebuildTicker } from '../../output/rebuild-progress'
import { ConsoleRequestError } from '../errors'
import { onlyFields } from '../params'
import type { Rebuilds } from '../rebuilds'
import type { ConsoleStores, Route } from '../route'

/** Projections with lag and live rebuild progress; rebuild, preview of a rebuild, and reset. */
export const projectionRoutes = (stores: ConsoleStores, rebuilds: Rebuilds): Route[] => [
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
    method: 'POST',
    path: /^\/api\/projections\/([^/]+)\/preview$/,
    action: true,
    handle: async ({ params, body }) => {
      onlyFields(body, ['sample'])
      const sample = body.sample
      if (sample !== undefined && (typeof sample !== 'number' || !Number.isInteger(sample) || sample < 0 || sample > 10_000)) {
        throw new ConsoleRequestError(400, 'sample must be a whole number from 0 to 10000')
      }
      const app = await stores.app()
      const projection = app.projection(params[0]!)
      if (rebuilds.get(projection.name)?.state === 'running') {
        throw new ConsoleRequestError(409, `a rebuild of '${projection.name}' started from this console is running: preview once it has finished`)
      }
      const connection = await stores.writing()
      try {
        // As `projections rebuild <name> --preview` without --keep: the preview generation is dropped once compared.
        const preview = await previewProjection({ projection, registry: app.registry, stores: connection, sample: sample ?? DEFAULT_SAMPLE, keep: false })
        return { body: preview }
      } catch (error) {
        // By its type: the application's copy of @eventfold/projections may not be the CLI's.
        if ((error as { type?: unknown } | null)?.type === 'rebuild-owned') throw new ConsoleRequestError(409, (error as Error).message)
        throw error
      }
    },
  },
]
