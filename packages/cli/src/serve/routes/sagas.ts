import { listSagas, sagaStatusOf, showSaga } from '../../commands/sagas'
import { DEFAULT_PAGE, idParam, PAGE, type ConsoleStores, type Route } from '../route'

/** Saga instances by saga, state, association and flow (correlation id), a page at a time; one instance with its history and pending deadlines. */
export const sagaRoutes = (stores: ConsoleStores): Route[] => [
  {
    method: 'GET',
    path: /^\/api\/sagas$/,
    action: false,
    handle: async ({ query }) => {
      const saga = query.text('saga') || undefined
      const state = query.text('state') || undefined
      const status = state === undefined ? undefined : sagaStatusOf(state, 'state')
      const association = query.text('association') || undefined
      const correlationId = query.text('correlationId') || undefined
      const offset = query.integer('offset', { min: 0, max: Number.MAX_SAFE_INTEGER }) ?? 0
      const limit = query.integer('limit', PAGE) ?? DEFAULT_PAGE
      const body = await stores.reading(async ({ documents }) => {
        // One more than the page tells whether a next page exists.
        const found = await listSagas(documents, { ...(saga && { saga }), ...(status && { status }), ...(association && { association }), ...(correlationId && { correlationId }), skip: offset, limit: limit + 1 })
        const filtered = saga !== undefined || status !== undefined || association !== undefined || correlationId !== undefined || offset > 0
        // An empty answer says whether the store holds no instance at all, which the page words differently.
        const stored = found.length > 0 || (filtered && (await listSagas(documents, { limit: 1 })).length > 0)
        return { offset, limit, sagas: found.slice(0, limit), next: found.length > limit ? offset + limit : null, stored }
      })
      return { body }
    },
  },
  {
    method: 'GET',
    path: /^\/api\/sagas\/([^/]+)$/,
    action: false,
    handle: async ({ params }) => {
      const id = idParam(params[0]!, 'a saga instance id')
      const body = await stores.reading(async (s) => ({ ...(await showSaga(s, id)), deadlinesConfigured: s.deadlines !== undefined }))
      return { body }
    },
  },
]
