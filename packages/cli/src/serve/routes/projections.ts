import { rebuildProjection } from '@eventfold/projections'
import { requireRebuildPartitions } from '../../commands/projections/rebuild'
import { resetReport } from '../../commands/projections/reset'
import { projectionStatus } from '../../commands/projections/status-report'
import { rebuildTicker } from '../../output/rebuild-progress'
import { ConsoleRequestError } from '../errors'
import { onlyFields } from '../params'
import type { Rebuilds } from '../rebuilds'
import type { ConsoleStores, Route } from '../route'

/** Projections with lag and live rebuild progress; rebuild and reset. */
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
]
