import { ParkedMessages, type ParkedMessage } from '@eventfold/messaging'
import { decodeEnvelope } from '@eventfold/messaging/spi'
import { discardParkedMessage, parkedListing, parkedSummary, retryParkedMessage } from '../../commands/parked'
import type { EventfoldConnection } from '../../config/define-config'
import { onlyFields } from '../params'
import { DEFAULT_PAGE, idParam, PAGE, type ConsoleStores, type Route } from '../route'

/** The value of a message that is not an integration event, as text when it is UTF-8, else base64. */
const rawValue = (value: Uint8Array | null): { encoding: 'utf-8' | 'base64'; text: string } | null => {
  if (value === null) return null
  try {
    return { encoding: 'utf-8', text: new TextDecoder('utf-8', { fatal: true }).decode(value) }
  } catch {
    return { encoding: 'base64', text: Buffer.from(value).toString('base64') }
  }
}

/** Whether the connection has the consumers' inbox, asked without calling a lazy getter (which would build the store). */
const hasInbox = (stores: EventfoldConnection): boolean => {
  for (let o: object | null = stores; o !== null; o = Object.getPrototypeOf(o) as object | null) {
    const d = Object.getOwnPropertyDescriptor(o, 'inbox')
    if (d) return d.get !== undefined || d.value !== undefined
  }
  return false
}

/** One parked message with its envelope, data and metadata decoded; a message that does not decode (often why it was parked) keeps its raw value. */
const parkedDetail = (p: ParkedMessage): Record<string, unknown> => {
  const base = { ...parkedListing(p), headers: p.headers }
  try {
    const { data, correlationId, causationId, traceparent, ...envelope } = decodeEnvelope({ ...p, redelivered: true })
    return { ...base, envelope, metadata: { correlationId: correlationId ?? null, causationId: causationId ?? null, traceparent: traceparent ?? null }, data, malformed: null, value: null }
  } catch (error) {
    return { ...base, envelope: null, metadata: null, data: null, malformed: (error as Error).message, value: rawValue(p.value) }
  }
}

/**
 * Parked messages of the consumers (paged, by consumer and type), one with
 * its payload; retry and discard as `eventfold parked` does.
 */
export const parkedRoutes = (stores: ConsoleStores): Route[] => [
  {
    method: 'GET',
    path: /^\/api\/parked$/,
    action: false,
    handle: async ({ query }) => {
      const consumer = query.text('consumer') || undefined
      const type = query.text('type') || undefined
      const offset = query.integer('offset', { min: 0, max: Number.MAX_SAFE_INTEGER }) ?? 0
      const limit = query.integer('limit', PAGE) ?? DEFAULT_PAGE
      const app = await stores.app()
      const { all, inbox } = await stores.reading(async (s) => ({
        all: await new ParkedMessages(s.documents).list(consumer === undefined ? {} : { consumer }),
        inbox: hasInbox(s),
      }))
      const matching = type === undefined ? all : all.filter((p) => p.eventType === type)
      return {
        body: {
          consumers: [...app.consumers.keys()],
          inbox,
          types: [...new Set(all.flatMap((p) => (p.eventType === undefined ? [] : [p.eventType])))].sort(),
          total: matching.length,
          offset,
          limit,
          messages: matching.slice(offset, offset + limit).map(parkedListing),
        },
      }
    },
  },
  {
    method: 'GET',
    path: /^\/api\/parked\/([^/]+)\/([^/]+)$/,
    action: false,
    handle: async ({ params }) => {
      const consumer = idParam(params[0]!, 'a consumer name')
      const id = idParam(params[1]!, 'a message id')
      return { body: parkedDetail(await stores.reading(({ documents }) => new ParkedMessages(documents).get(consumer, id))) }
    },
  },
  {
    method: 'POST',
    path: /^\/api\/parked\/([^/]+)\/([^/]+)\/retry$/,
    action: true,
    handle: async ({ params, body }) => {
      onlyFields(body, [])
      const consumer = idParam(params[0]!, 'a consumer name')
      const id = idParam(params[1]!, 'a message id')
      const { message, result } = await retryParkedMessage(await stores.app(), () => stores.writing(), id, consumer)
      return { body: { ...parkedSummary(message), key: message.key, retried: true, writes: result.writes } }
    },
  },
  {
    method: 'POST',
    path: /^\/api\/parked\/([^/]+)\/([^/]+)\/discard$/,
    action: true,
    handle: async ({ params, body }) => {
      onlyFields(body, [])
      const consumer = idParam(params[0]!, 'a consumer name')
      const id = idParam(params[1]!, 'a message id')
      const message = await discardParkedMessage((await stores.writing()).documents, id, consumer)
      return { body: { ...parkedSummary(message), key: message.key, discarded: true } }
    },
  },
]
