import { get, seg } from '../api'
import { h, link, table } from '../dom'
import type { Page } from './page'

interface StreamsPage {
  readonly total: number
  readonly offset: number
  readonly limit: number
  readonly streams: { streamId: string; lastRevision: string; events: number }[]
}

/** Streams by id prefix or category, a page at a time. */
export const streamsPage: Page = {
  route: 'streams',
  title: 'Streams',
  render: async ({ query }) => {
    const search = query.get('search') ?? ''
    const by = query.get('by') === 'category' ? 'category' : 'prefix'
    const offset = Number(query.get('offset') ?? '0') || 0
    const found = await get<StreamsPage>('/api/streams', { [by]: search, offset: String(offset), limit: '50' })
    const input = h('input', { name: 'search', value: search, placeholder: 'Account-a or Account', 'aria-label': 'search streams' })
    const select = h('select', { name: 'by', 'aria-label': 'search by' }, h('option', { value: 'prefix' }, 'id prefix'), h('option', { value: 'category' }, 'category'))
    select.value = by
    const form = h(
      'form',
      {
        onsubmit: (e) => {
          e.preventDefault()
          location.hash = `#/streams?${new URLSearchParams({ search: input.value, by: select.value })}`
        },
      },
      input,
      ' ',
      select,
      ' ',
      h('button', { type: 'submit' }, 'Find'),
    )
    const page = (o: number): string => `streams?${new URLSearchParams({ search, by, offset: String(o) })}`
    return h(
      'section',
      {},
      h('h1', {}, 'Streams'),
      form,
      h('p', { class: 'muted' }, `${found.total} stream(s)`, found.total > found.limit ? `, ${found.offset + 1}–${Math.min(found.total, found.offset + found.limit)} shown` : ''),
      table(
        found.streams,
        [
          { header: 'stream', cell: (s) => link(`stream/${seg(s.streamId)}`, s.streamId, { class: 'stream-link' }) },
          { header: 'last revision', cell: (s) => s.lastRevision, className: 'num' },
          { header: 'events', cell: (s) => s.events, className: 'num' },
        ],
        { id: 'streams' },
      ),
      found.offset > 0 ? link(page(Math.max(0, found.offset - found.limit)), '← previous') : null,
      ' ',
      found.offset + found.limit < found.total ? link(page(found.offset + found.limit), 'next →') : null,
    )
  },
}
