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

interface Progress {
  readonly scans: { service: string; position: string; head: string; percent: number }[]
}

/** How often the page asks how far a scan is while it waits for the trace. */
const PROGRESS_MS = 250

/** The trace, once found: a summary, the tree, and how each log was searched. */
const traceView = (trace: Trace): Node[] => {
  const spanning = trace.services.filter((s) => s.events > 0).map((s) => s.name)
  return [
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
  ]
}

/**
 * One flow's commands and events across every service's log, as `eventfold
 * trace` shows them. A log without a correlation index is read whole: while
 * the trace is on its way, the page shows how far that scan is.
 */
export const tracePage: Page = {
  route: 'trace',
  title: 'Trace',
  render: async ({ args, notify, onLeave }) => {
    const id = args[0] ?? ''
    const intro = h('p', { class: 'muted' }, 'The causal tree of one flow (a correlation id) across the logs of every service the config names, from event metadata alone.')
    if (id === '') return h('section', {}, h('h1', {}, 'Trace a flow'), intro, traceForm())
    const status = h('p', { id: 'trace-progress', class: 'muted' }, 'looking the flow up in every service’s log…')
    const body = h('div', {}, status)
    let done = false
    const timer = setInterval(() => {
      get<Progress>(`/api/trace/${seg(id)}/progress`).then(
        (p) => {
          if (done || p.scans.length === 0) return
          status.textContent = p.scans.map((s) => `scanning the log of '${s.service}' (no correlation index): position ${s.position} of ${s.head} (${s.percent}%)`).join('; ')
        },
        () => undefined,
      )
    }, PROGRESS_MS)
    onLeave(() => {
      done = true
      clearInterval(timer)
    })
    get<Trace>(`/api/trace/${seg(id)}`)
      .then(
        (trace) => {
          if (!done) body.replaceChildren(...traceView(trace))
        },
        (error: Error) => {
          if (done) return
          body.replaceChildren()
          notify(error.message, true)
        },
      )
      .finally(() => {
        done = true
        clearInterval(timer)
      })
    return h('section', {}, h('h1', {}, 'Trace ', h('code', {}, id)), traceForm(id), body)
  },
}
