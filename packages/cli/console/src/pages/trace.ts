import { get, seg } from '../api'
import { h, link, table } from '../dom'
import type { Page } from './page'

/** A node of the causal tree, as `eventfold trace --json` prints it. */
type TraceNode =
  | { readonly kind: 'command'; readonly id: string; readonly occurredAt: string | null; readonly children: TraceNode[] }
  | {
      readonly kind: 'event'
      readonly service: string
      readonly streamId: string
      readonly revision: string
      readonly position: string
      readonly type: string
      readonly eventId: string
      readonly occurredAt: string | null
      readonly children: TraceNode[]
    }

interface Trace {
  readonly correlationId: string
  readonly events: number
  readonly services: { name: string; events: number; lookup: 'index' | 'scan'; unreadable: number }[]
  readonly tree: TraceNode[]
  /** Services whose events are in the console's own log, which the event view opens. */
  readonly consoleServices: string[]
}

/** One node's line: a command's id; an event's type, service, stream@revision (a link when the console holds it), position and time. */
const line = (node: TraceNode, openable: ReadonlySet<string>): Node => {
  if (node.kind === 'command') return h('span', { class: 'trace-command' }, 'command ', h('code', {}, node.id), node.occurredAt ? h('span', { class: 'muted' }, ` ${node.occurredAt}`) : null)
  const at = `${node.streamId}@${node.revision}`
  return h(
    'span',
    { class: 'trace-event', 'data-event-id': node.eventId },
    h('strong', {}, node.type),
    ' ',
    h('span', { class: 'trace-service' }, `[${node.service}]`),
    ' ',
    openable.has(node.service) ? link(`event/${seg(node.streamId)}/${node.revision}`, at, { class: 'trace-event-link' }) : h('span', {}, at),
    h('span', { class: 'muted' }, ` position ${node.position} · ${node.occurredAt ?? '(no time)'}`),
  )
}

/** The tree as nested lists: each event under the event or command that caused it. */
const tree = (nodes: readonly TraceNode[], openable: ReadonlySet<string>): HTMLUListElement =>
  h('ul', { class: 'trace-tree' }, ...nodes.map((n) => h('li', {}, line(n, openable), n.children.length > 0 ? tree(n.children, openable) : null)))

/** A form that opens the trace of the correlation id typed in. */
export const traceForm = (value = ''): HTMLFormElement => {
  const input = h('input', { name: 'correlation-id', value, placeholder: 'correlation id', 'aria-label': 'trace a flow', size: 40 })
  return h(
    'form',
    {
      id: 'trace-form',
      onsubmit: (e) => {
        e.preventDefault()
        const id = input.value.trim()
        if (id) location.hash = `#/trace/${seg(id)}`
      },
    },
    input,
    ' ',
    h('button', { type: 'submit' }, 'Trace a flow'),
  )
}

/** One flow's commands and events across every service's log, as `eventfold trace` shows them. */
export const tracePage: Page = {
  route: 'trace',
  title: 'Trace',
  render: async ({ args }) => {
    const id = args[0] ?? ''
    const intro = h('p', { class: 'muted' }, 'The causal tree of one flow (a correlation id) across the logs of every service the config names, from event metadata alone.')
    if (id === '') return h('section', {}, h('h1', {}, 'Trace a flow'), intro, traceForm())
    const trace = await get<Trace>(`/api/trace/${seg(id)}`)
    const spanning = trace.services.filter((s) => s.events > 0).map((s) => s.name)
    return h(
      'section',
      {},
      h('h1', {}, 'Trace ', h('code', {}, trace.correlationId)),
      traceForm(id),
      h('p', { id: 'trace-summary' }, `${trace.events} event(s) in ${spanning.length} service(s) (${spanning.join(', ')})`),
      tree(trace.tree, new Set(trace.consoleServices)),
      h('h2', {}, 'logs searched'),
      table(
        trace.services,
        [
          { header: 'service', cell: (s) => s.name },
          { header: 'events', cell: (s) => s.events, className: 'num' },
          { header: 'lookup', cell: (s) => (s.lookup === 'index' ? 'correlation index' : 'whole log scanned (no index)') },
          { header: 'left out', cell: (s) => (s.unreadable > 0 ? `${s.unreadable} event(s) with metadata that is not JSON` : '') },
          { header: '', cell: (s) => (trace.consoleServices.includes(s.name) ? "the console's own log" : '') },
        ],
        { id: 'trace-services' },
      ),
    )
  },
}
