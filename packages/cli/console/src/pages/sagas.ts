import { get, seg } from '../api'
import { h, jsonBlock, link, table } from '../dom'
import type { Page } from './page'

interface SagaSummary {
  readonly id: string
  readonly saga: string
  readonly status: 'active' | 'ended'
  readonly step: number
  readonly associations: readonly string[]
  readonly startedAt: string | null
  readonly updatedAt: string | null
  readonly endedAt: string | null
  readonly unsent: number
}

interface SagasPage {
  readonly offset: number
  readonly limit: number
  readonly sagas: SagaSummary[]
  readonly next: number | null
  readonly stored: boolean
}

interface SagaDetail extends SagaSummary {
  readonly state: unknown
  readonly history: { step: number; messageId: string; type: string; correlationId?: string; at: string | null; sent: string[]; scheduled: string[]; cancelled: string[] }[]
  readonly compensations: { id: string; type: string }[]
  readonly outbox: unknown[]
  readonly deadlines: { name: string; dueAt: string | null; scope: string }[]
  readonly deadlinesConfigured: boolean
}

const PAGE_SIZE = 50

/** An association links to the instances that share it. */
const associationLink = (a: string) => link(`sagas?${new URLSearchParams({ association: a })}`, a, { class: 'association' })

/** A flow (correlation id) links to the instances that took part in it. */
const flowLink = (id: string) => link(`sagas?${new URLSearchParams({ correlationId: id })}`, id, { class: 'flow' })

/** Saga instances by saga, state, association and flow, newest first; an id opens one. */
export const sagasPage: Page = {
  route: 'sagas',
  title: 'Sagas',
  render: async (ctx) => (ctx.args[0] !== undefined ? instance(ctx.args[0]) : list(ctx.query)),
}

const list = async (query: URLSearchParams): Promise<Node> => {
  const filter = { saga: query.get('saga') ?? '', state: query.get('state') ?? '', association: query.get('association') ?? '', correlationId: query.get('correlationId') ?? '' }
  const offset = Number(query.get('offset') ?? '0') || 0
  const found = await get<SagasPage>('/api/sagas', { ...filter, offset: String(offset), limit: String(PAGE_SIZE) })
  const saga = h('input', { name: 'saga', value: filter.saga, placeholder: 'saga name', 'aria-label': 'saga name' })
  const association = h('input', { name: 'association', value: filter.association, placeholder: 'orderId=o1', 'aria-label': 'association' })
  const flow = h('input', { name: 'correlationId', value: filter.correlationId, placeholder: 'correlation id', 'aria-label': 'correlation id' })
  const state = h('select', { name: 'state', 'aria-label': 'state' }, h('option', { value: '' }, 'any state'), h('option', { value: 'active' }, 'active'), h('option', { value: 'ended' }, 'ended'))
  state.value = filter.state
  const byId = h('input', { name: 'id', placeholder: 'instance id', 'aria-label': 'instance id' })
  const form = h(
    'form',
    {
      id: 'saga-filter',
      onsubmit: (e) => {
        e.preventDefault()
        const q = new URLSearchParams(Object.entries({ saga: saga.value.trim(), state: state.value, association: association.value.trim(), correlationId: flow.value.trim() }).filter(([, v]) => v !== ''))
        location.hash = `#/sagas${q.size ? `?${q}` : ''}`
      },
    },
    saga,
    ' ',
    state,
    ' ',
    association,
    ' ',
    flow,
    ' ',
    h('button', { type: 'submit' }, 'Filter'),
  )
  const open = h(
    'form',
    {
      onsubmit: (e) => {
        e.preventDefault()
        if (byId.value.trim()) location.hash = `#/sagas/${seg(byId.value.trim())}`
      },
    },
    byId,
    ' ',
    h('button', { type: 'submit' }, 'Open'),
  )
  const page = (o: number): string => `sagas?${new URLSearchParams({ ...Object.fromEntries(Object.entries(filter).filter(([, v]) => v !== '')), offset: String(o) })}`
  const empty = !found.stored
    ? h('p', { id: 'no-sagas' }, 'no saga instances: the document store holds none yet (a SagaWorker or a Sagas runtime stores them as they start)')
    : h('p', { id: 'no-sagas' }, 'no saga instances match')
  return h(
    'section',
    {},
    h('h1', {}, 'Sagas'),
    form,
    open,
    found.sagas.length === 0
      ? empty
      : table(
          found.sagas,
          [
            { header: 'id', cell: (s) => link(`sagas/${seg(s.id)}`, s.id, { class: 'saga-link' }) },
            { header: 'saga', cell: (s) => s.saga },
            { header: 'state', cell: (s) => h('span', { class: `state ${s.status}` }, s.status) },
            { header: 'step', cell: (s) => s.step, className: 'num' },
            { header: 'associations', cell: (s) => h('span', {}, ...s.associations.flatMap((a, i) => [i > 0 ? ' ' : '', associationLink(a)])) },
            { header: 'updated at', cell: (s) => s.updatedAt ?? '' },
            { header: 'unsent', cell: (s) => s.unsent, className: 'num' },
          ],
          { id: 'sagas' },
        ),
    offset > 0 ? link(page(Math.max(0, offset - PAGE_SIZE)), '← previous') : null,
    ' ',
    found.next !== null ? link(page(found.next), 'next →') : null,
  )
}

const instance = async (id: string): Promise<Node> => {
  const s = await get<SagaDetail>(`/api/sagas/${seg(id)}`)
  const now = Date.now()
  const overdue = (dueAt: string | null) => dueAt !== null && Date.parse(dueAt) <= now
  const flows = [...new Set(s.history.flatMap((e) => (e.correlationId !== undefined ? [e.correlationId] : [])))]
  return h(
    'section',
    {},
    h('h1', {}, `${s.saga} `, h('span', { class: 'muted' }, s.id)),
    h('p', {}, link('sagas', '← all sagas'), ' · ', link(`sagas?${new URLSearchParams({ saga: s.saga })}`, `instances of ${s.saga}`)),
    table(
      [
        ['state', h('span', { id: 'saga-status', class: `state ${s.status}` }, `${s.status} (step ${s.step})`)],
        ['associations', h('span', {}, ...s.associations.flatMap((a, i) => [i > 0 ? ' ' : '', associationLink(a)]))],
        ['flows', h('span', { id: 'saga-flows' }, ...flows.flatMap((f, i) => [i > 0 ? ' ' : '', flowLink(f)]))],
        ['started at', s.startedAt ?? ''],
        ['updated at', s.updatedAt ?? ''],
        ['ended at', s.endedAt ?? ''],
        ['compensations', s.compensations.map((c) => c.type).join(', ') || '(none)'],
        ['unsent', String(s.outbox.length)],
      ] as const,
      [
        { header: '', cell: (row) => row[0] },
        { header: '', cell: (row) => row[1] },
      ],
      { id: 'saga-summary' },
    ),
    h('h2', {}, 'data'),
    jsonBlock(s.state, { id: 'saga-state' }),
    h('h2', {}, 'pending deadlines'),
    !s.deadlinesConfigured
      ? h('p', { id: 'saga-deadlines' }, "the config's connect() returns no deadline store (connectSqlite does)")
      : s.deadlines.length === 0
        ? h('p', { id: 'saga-deadlines' }, 'no pending deadlines')
        : table(
            s.deadlines,
            [
              { header: 'deadline', cell: (d) => d.name },
              { header: 'due at', cell: (d) => d.dueAt ?? '' },
              { header: '', cell: (d) => (overdue(d.dueAt) ? h('strong', { class: 'overdue' }, 'overdue') : '') },
              { header: '', cell: (d) => (overdue(d.dueAt) ? link('deadlines?due=true', 'due deadlines') : link('deadlines', 'all deadlines')) },
            ],
            { id: 'saga-deadlines' },
          ),
    h('h2', {}, 'history'),
    table(
      s.history,
      [
        { header: 'step', cell: (e) => e.step, className: 'num' },
        { header: 'message', cell: (e) => e.type },
        { header: 'message id', cell: (e) => e.messageId },
        { header: 'flow', cell: (e) => (e.correlationId !== undefined ? flowLink(e.correlationId) : '') },
        { header: 'at', cell: (e) => e.at ?? '' },
        { header: 'sent', cell: (e) => e.sent.join(' ') },
        { header: 'scheduled', cell: (e) => e.scheduled.join(' ') },
        { header: 'cancelled', cell: (e) => e.cancelled.join(' ') },
      ],
      { id: 'saga-history' },
    ),
    flows.length > 0 ? h('p', { class: 'muted' }, 'A flow’s commands and events, across services: ', ...flows.flatMap((f, i) => [i > 0 ? ' ' : '', link(`trace/${seg(f)}`, `trace ${f}`, { class: 'trace-link' })])) : null,
  )
}
