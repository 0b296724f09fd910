import { get, seg, type EventJson } from '../api'
import { h, jsonBlock, link, table } from '../dom'
import type { Page } from './page'

interface Replay {
  readonly streamId: string
  readonly aggregate: string | null
  readonly revision: string | null
  readonly lastRevision: string
  readonly state?: unknown
  readonly events: EventJson[]
  readonly note?: string
}

/** An aggregate's state at a revision, stepped back and forth through the replay the CLI uses. */
export const replayPage: Page = {
  route: 'replay',
  render: async ({ args, query }) => {
    const streamId = args[0] ?? ''
    const r = await get<Replay>(`/api/streams/${seg(streamId)}/replay`, { revision: query.get('revision') ?? undefined })
    const at = r.revision === null ? -1n : BigInt(r.revision)
    const last = BigInt(r.lastRevision)
    const to = (revision: bigint): string => `replay/${seg(streamId)}?revision=${revision}`
    return h(
      'section',
      {},
      h('h1', {}, streamId),
      h('p', { id: 'replay-at' }, r.revision === null ? 'before its first event' : `at revision ${r.revision} of ${r.lastRevision}`),
      h(
        'p',
        {},
        at > 0n ? link(to(0n), '« first', { id: 'replay-first' }) : null,
        ' ',
        at > 0n ? link(to(at - 1n), '◀ previous', { id: 'replay-previous' }) : null,
        ' ',
        at < last ? link(to(at + 1n), 'next ▶', { id: 'replay-next' }) : null,
        ' ',
        at < last ? link(to(last), 'last »', { id: 'replay-last' }) : null,
      ),
      r.note ? h('p', { class: 'muted' }, r.note) : null,
      r.aggregate !== null ? h('h2', {}, `state of ${r.aggregate}`) : null,
      r.aggregate !== null ? jsonBlock(r.state, { id: 'replay-state' }) : null,
      h('h2', {}, `events (${r.events.length})`),
      table(r.events, [
        { header: 'revision', cell: (e) => link(`event/${seg(streamId)}/${e.revision}`, e.revision), className: 'num' },
        { header: 'type', cell: (e) => e.type },
        { header: 'data', cell: (e) => JSON.stringify(e.data), className: 'data' },
      ]),
    )
  },
}
