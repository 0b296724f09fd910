import type { Rebuilds } from '../rebuilds'
import type { ConsoleStores, Route } from '../route'
import { consumerRoutes } from './consumers'
import { deadLetterRoutes } from './dead-letters'
import { deadlineRoutes } from './deadlines'
import { parkedRoutes } from './parked'
import { projectionRoutes } from './projections'
import { sagaRoutes } from './sagas'
import { streamRoutes } from './streams'
import { traceRoutes } from './trace'

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
  ...streamRoutes(stores),
  ...projectionRoutes(stores, rebuilds),
  ...deadLetterRoutes(stores),
  ...deadlineRoutes(stores),
  ...sagaRoutes(stores),
  ...consumerRoutes(stores),
  ...parkedRoutes(stores),
  ...traceRoutes(stores),
]
