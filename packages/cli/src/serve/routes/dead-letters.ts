import { DeadLetters } from '@eventfold/projections'
import { discardLetter, retryLetter } from '../../commands/dlq'
import { onlyFields } from '../params'
import { idParam, type ConsoleStores, type Route } from '../route'

/** Dead letters; retry and discard. */
export const deadLetterRoutes = (stores: ConsoleStores): Route[] => [
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
]
