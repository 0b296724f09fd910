import { get, post, seg } from '../api'
import { h, jsonBlock, link, table } from '../dom'
import type { Page, PageContext } from './page'

interface Parked {
  readonly consumer: string
  readonly id: string
  readonly eventType: string | null
  readonly topic: string
  readonly partition: number
  readonly offset: string
  readonly key: string
  readonly attempts: number
  readonly parkedAt: string
  readonly error: { message: string; type?: string }
}

interface ParkedPage {
  readonly consumers: string[]
  readonly inbox: boolean
  readonly types: string[]
  readonly total: number
  readonly offset: number
  readonly limit: number
  readonly messages: Parked[]
}

interface ParkedDetail extends Parked {
  readonly headers: Record<string, string>
  readonly envelope: Record<string, unknown> | null
  readonly metadata: Record<string, unknown> | null
  readonly data: unknown
  readonly malformed: string | null
  readonly value: { encoding: string; text: string } | null
}

const PAGE_SIZE = 50

/** Retries or discards, then shows the list as it is now: the message is gone, or back with its new error. */
const act = async (ctx: PageContext, what: 'retry' | 'discard', m: Parked, back: string): Promise<void> => {
  if (what === 'discard' && !confirm(`Remove parked message '${m.id}' of '${m.consumer}' without applying it?`)) return
  const from = `${m.eventType ?? 'message'} ${m.key}`
  let outcome: [string, boolean]
  try {
    await post(`/api/parked/${seg(m.consumer)}/${seg(m.id)}/${what}`)
    outcome = [what === 'retry' ? `applied ${from} with '${m.consumer}'; parked message '${m.id}' removed` : `discarded parked message '${m.id}' of '${m.consumer}'`, false]
  } catch (error) {
    outcome = [(error as Error).message, true]
  }
  if (location.hash === back) {
    ctx.notify(...outcome)
    return ctx.refresh()
  }
  // From one message's page, back to the list; the notice is set after the list's render has cleared the old one.
  const arrived = new Promise((resolve) => window.addEventListener('hashchange', resolve, { once: true }))
  location.hash = back
  await arrived
  ctx.notify(...outcome)
}

const buttons = (ctx: PageContext, m: Parked, back: string): HTMLElement =>
  h(
    'span',
    {},
    h('button', { type: 'button', class: 'retry', onclick: () => void act(ctx, 'retry', m, back) }, 'Retry'),
    h('button', { type: 'button', class: 'discard', onclick: () => void act(ctx, 'discard', m, back) }, 'Discard'),
  )

const listRoute = (query: Record<string, string | undefined>): string => {
  const q = new URLSearchParams(Object.entries(query).filter((e): e is [string, string] => e[1] !== undefined && e[1] !== ''))
  return q.size ? `parked?${q}` : 'parked'
}

/** Parked messages of the consumers, by consumer group and type, with retry (through the consumer's inbox) and discard. */
export const parkedPage: Page = {
  route: 'parked',
  title: 'Parked messages',
  render: async (ctx) => {
    const { query } = ctx
    const consumer = query.get('consumer') ?? ''
    const type = query.get('type') ?? ''
    const offset = Number(query.get('offset') ?? '0') || 0
    const found = await get<ParkedPage>('/api/parked', { consumer, type, offset: String(offset), limit: String(PAGE_SIZE) })
    const back = `#/${listRoute({ consumer, type, offset: offset > 0 ? String(offset) : undefined })}`
    const select = (name: string, label: string, values: readonly string[], current: string): HTMLSelectElement => {
      const s = h('select', { name, 'aria-label': label }, h('option', { value: '' }, `every ${label}`), ...[...new Set([...values, ...(current ? [current] : [])])].map((v) => h('option', { value: v }, v)))
      s.value = current
      return s
    }
    const byConsumer = select('consumer', 'consumer group', found.consumers, consumer)
    const byType = select('type', 'message type', found.types, type)
    const form = h(
      'form',
      {
        onsubmit: (e) => {
          e.preventDefault()
          location.hash = `#/${listRoute({ consumer: byConsumer.value, type: byType.value })}`
        },
      },
      byConsumer,
      ' ',
      byType,
      ' ',
      h('button', { type: 'submit' }, 'Filter'),
    )
    const page = (o: number): string => listRoute({ consumer, type, offset: String(o) })
    return h(
      'section',
      {},
      h('h1', {}, 'Parked messages'),
      found.consumers.length === 0 ? h('p', { id: 'no-consumers', class: 'muted' }, 'the config registers no consumers: their parked messages can be discarded here, not retried') : null,
      found.inbox ? null : h('p', { id: 'no-inbox', class: 'muted' }, "the config's connect() returns no inbox: a retry commits documents only (a handler that appends to a log fails)"),
      form,
      found.total === 0
        ? h('p', { id: 'no-parked' }, consumer || type ? 'no parked messages match' : 'no parked messages')
        : table(
            found.messages,
            [
              { header: 'id', cell: (m) => link(`parked-message/${seg(m.consumer)}/${seg(m.id)}`, m.id, { class: 'parked-link' }) },
              { header: 'consumer group', cell: (m) => m.consumer },
              { header: 'type', cell: (m) => m.eventType ?? '-' },
              { header: 'from', cell: (m) => `${m.topic}[${m.partition}]@${m.offset}` },
              { header: 'key', cell: (m) => m.key },
              { header: 'attempts', cell: (m) => m.attempts, className: 'num' },
              { header: 'parked at', cell: (m) => m.parkedAt },
              { header: 'error', cell: (m) => h('span', { class: 'error' }, m.error.message) },
              { header: '', cell: (m) => buttons(ctx, m, back) },
            ],
            { id: 'parked' },
          ),
      h('p', { class: 'muted' }, `${found.total} parked message(s)`, found.total > found.limit ? `, ${found.offset + 1}–${Math.min(found.total, found.offset + found.limit)} shown` : ''),
      found.offset > 0 ? link(page(Math.max(0, found.offset - found.limit)), '← previous') : null,
      ' ',
      found.offset + found.limit < found.total ? link(page(found.offset + found.limit), 'next →') : null,
    )
  },
}

/** One parked message: its envelope, data and metadata as JSON text, the error, and retry/discard. */
export const parkedMessagePage: Page = {
  route: 'parked-message',
  render: async (ctx) => {
    const [consumer = '', id = ''] = ctx.args
    const m = await get<ParkedDetail>(`/api/parked/${seg(consumer)}/${seg(id)}`)
    const back = `#/${listRoute({ consumer: m.consumer })}`
    return h(
      'section',
      {},
      h('h1', {}, `${m.eventType ?? 'message'} ${m.id}`),
      h('p', { class: 'muted' }, `parked by '${m.consumer}' at ${m.parkedAt} after ${m.attempts} attempt(s), from ${m.topic}[${m.partition}]@${m.offset}, key ${m.key}`),
      h('p', {}, buttons(ctx, m, back)),
      h('h2', {}, 'error'),
      jsonBlock(m.error, { id: 'parked-error' }),
      m.malformed !== null ? h('p', { id: 'parked-malformed', class: 'error' }, `not an integration event: ${m.malformed}`) : null,
      h('h2', {}, 'data'),
      jsonBlock(m.malformed !== null ? m.value : m.data, { id: 'parked-data' }),
      h('h2', {}, 'envelope'),
      jsonBlock(m.envelope, { id: 'parked-envelope' }),
      h('h2', {}, 'metadata'),
      jsonBlock(m.metadata, { id: 'parked-metadata' }),
      h('h2', {}, 'headers'),
      jsonBlock(m.headers, { id: 'parked-headers' }),
    )
  },
}
