import { listDeadlines, printable } from '../../commands/deadlines'
import { PAGE, type ConsoleStores, type Route } from '../route'

/** Deadlines of the deadline store, when the config has one. */
export const deadlineRoutes = (stores: ConsoleStores): Route[] => [
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
