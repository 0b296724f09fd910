import { get, seg, type EventJson } from '../api'
import { h, jsonBlock, link, table } from '../dom'
import type { Page } from './page'

interface EventsPage {
  readonly streamId: string
  readonly lastRevision: string
  readonly from: string
  readonly events: EventJson[]
  readonly next: string | null
}

/** The events of one stream, a page at a time. */
export const streamPage: Page = {
  route: 'stream',
  render: async ({ args, query }) => {
    const streamId = args[0] ?? ''
    const from = query.get('from') ?? '0'
    const page = await get<EventsPage>(`/api/streams/${seg(streamId)}/events`, { from, limit: '50' })
    const previous = BigInt(page.from) > 0n ? String(BigInt(page.from) > 50n ? BigInt(page.from) - 50n : 0n) : null
    return h(
      'section',
      {},
      h('h1', {}, streamId),
      h('p', { class: 'muted' }, `revisions 0 to ${page.lastRevision} · `, link(`replay/${seg(streamId)}`, 'replay the aggregate')),
      table(
        page.events,
        [
          { header: 'revision', cell: (e) => link(`event/${seg(streamId)}/${e.revision}`, e.revision, { class: 'event-link' }), className: 'num' },
          { header: 'position', cell: (e) => e.position, className: 'num' },
          { header: 'type', cell: (e) => e.type },
          { header: 'occurred at', cell: (e) => String(e.metadata.occurredAt ?? '') },
          { header: 'data', cell: (e) => JSON.stringify(e.data), className: 'data' },
        ],
        { id: 'events' },
      ),
      previous !== null ? link(`stream/${seg(streamId)}?from=${previous}`, '← previous') : null,
      ' ',
      page.next !== null ? link(`stream/${seg(streamId)}?from=${page.next}`, 'next →') : null,
    )
  },
}

/** One event: its data and metadata. */
export const eventPage: Page = {
  route: 'event',
  render: async ({ args }) => {
    const [streamId = '', revision = ''] = args
    const { event, lastRevision } = await get<{ event: EventJson; lastRevision: string }>(`/api/streams/${seg(streamId)}/events/${seg(revision)}`)
    return h(
      'section',
      {},
      h('h1', {}, `${event.type} `, h('span', { class: 'muted' }, `${streamId} @ ${event.revision} of ${lastRevision}, position ${event.position}`)),
      h('p', {}, link(`stream/${seg(streamId)}`, '← the stream'), ' · ', link(`replay/${seg(streamId)}?revision=${event.revision}`, 'state after this event')),
      h('h2', {}, 'data'),
      jsonBlock(event.data, { id: 'event-data' }),
      h('h2', {}, 'metadata'),
      jsonBlock(event.metadata, { id: 'event-metadata' }),
    )
  },
}
