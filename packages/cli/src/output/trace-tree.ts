import type { TraceNode } from '../trace/causal-tree'
import { escapeControls } from './terminal'

/** A node's line: an event's type, service, stream@revision, position and time; a command's id. */
const lineOf = (node: TraceNode): string => {
  if (node.kind === 'command') return `command ${escapeControls(node.id)}`
  const e = node.event
  return [
    escapeControls(e.type),
    `[${escapeControls(e.service)}]`,
    `${escapeControls(e.streamId)}@${e.revision}`,
    `position ${e.position}`,
    escapeControls(e.occurredAt ?? '(no time)'),
  ].join('  ')
}

/**
 * The tree as text, one node a line, children drawn under their parent with
 * box-drawing branches. Every value is escaped: ids, types and stream ids
 * are written by whoever appended the events.
 */
export const renderTraceTree = (nodes: readonly TraceNode[]): string => {
  const lines: string[] = []
  const walk = (list: readonly TraceNode[], prefix: string, top: boolean): void => {
    list.forEach((node, i) => {
      const last = i === list.length - 1
      lines.push(top ? lineOf(node) : `${prefix}${last ? '└─ ' : '├─ '}${lineOf(node)}`)
      walk(node.children, top ? '' : `${prefix}${last ? '   ' : '│  '}`, false)
    })
  }
  walk(nodes, '', true)
  return lines.join('\n') + '\n'
}

/** A node as JSON: events with their facts (64-bit numbers as decimal strings), children nested. */
export const traceNodeJson = (node: TraceNode): unknown =>
  node.kind === 'command'
    ? { kind: 'command', id: node.id, occurredAt: node.occurredAt ?? null, children: node.children.map(traceNodeJson) }
    : {
        kind: 'event',
        service: node.event.service,
        streamId: node.event.streamId,
        revision: node.event.revision,
        position: node.event.position,
        type: node.event.type,
        eventId: node.event.eventId,
        causationId: node.event.causationId ?? null,
        occurredAt: node.event.occurredAt ?? null,
        children: node.children.map(traceNodeJson),
      }
