/** One event of a flow, as the trace shows it. */
export interface TracedEvent {
  /** The service whose log holds it. */
  readonly service: string
  readonly streamId: string
  readonly revision: bigint
  /** Position in its service's log: positions of different logs are not comparable. */
  readonly position: bigint
  readonly type: string
  readonly eventId: string
  readonly causationId: string | undefined
  /** `metadata.occurredAt`, as written. */
  readonly occurredAt: string | undefined
}

/** A node of the causal tree: an event, or a command known only as the cause its events name. */
export type TraceNode =
  | { readonly kind: 'event'; readonly event: TracedEvent; readonly children: readonly TraceNode[] }
  | {
      readonly kind: 'command'
      /** The command id (the `causationId` of its events). */
      readonly id: string
      /** When its first event occurred. */
      readonly occurredAt: string | undefined
      readonly children: readonly TraceNode[]
    }

/** Milliseconds since the epoch; an event without a readable time sorts last. */
const instant = (occurredAt: string | undefined): number => {
  const t = occurredAt === undefined ? Number.NaN : Date.parse(occurredAt)
  return Number.isNaN(t) ? Number.POSITIVE_INFINITY : t
}

const timeOf = (node: TraceNode): number => instant(node.kind === 'event' ? node.event.occurredAt : node.occurredAt)

/**
 * Orders siblings by time, then by service (in config order) and position:
 * within one log, position is the order; across logs only time compares.
 */
const byTime =
  (serviceOrder: ReadonlyMap<string, number>) =>
  (a: TraceNode, b: TraceNode): number => {
    const ta = timeOf(a)
    const tb = timeOf(b)
    if (ta !== tb) return ta < tb ? -1 : 1
    if (a.kind === 'event' && b.kind === 'event') {
      const sa = serviceOrder.get(a.event.service) ?? 0
      const sb = serviceOrder.get(b.event.service) ?? 0
      if (sa !== sb) return sa - sb
      return a.event.position < b.event.position ? -1 : a.event.position > b.event.position ? 1 : 0
    }
    return a.kind === b.kind ? 0 : a.kind === 'command' ? -1 : 1
  }

/**
 * The causal tree of a flow, from event metadata alone: each event hangs
 * under the event its `causationId` names; an event whose cause is no event
 * of the flow hangs under a command node for that id (what a command bus
 * writes: the command id as causation id), and an event without a cause is
 * a root. An event that names itself, or a cycle of causes, cannot be
 * placed under its cause: it becomes a root, so that every event shows once.
 */
export const causalTree = (events: readonly TracedEvent[], services: readonly string[]): TraceNode[] => {
  const serviceOrder = new Map(services.map((s, i) => [s, i]))
  const byId = new Map<string, TracedEvent>()
  for (const e of events) if (!byId.has(e.eventId)) byId.set(e.eventId, e)
  const children = new Map<string, TracedEvent[]>()
  const roots: TracedEvent[] = []
  const commands = new Map<string, TracedEvent[]>()
  for (const e of events) {
    const cause = e.causationId
    if (cause === undefined || cause === e.eventId) roots.push(e)
    else if (byId.has(cause)) (children.get(cause) ?? children.set(cause, []).get(cause)!).push(e)
    else (commands.get(cause) ?? commands.set(cause, []).get(cause)!).push(e)
  }
  const placed = new Set<TracedEvent>()
  const sort = byTime(serviceOrder)
  const nodeOf = (e: TracedEvent): TraceNode => {
    placed.add(e)
    const kids = (children.get(e.eventId) ?? []).filter((c) => !placed.has(c)).map(nodeOf)
    return { kind: 'event', event: e, children: kids.sort(sort) }
  }
  const top: TraceNode[] = roots.map(nodeOf)
  for (const [id, caused] of commands) {
    const kids = caused.map(nodeOf).sort(sort)
    // Sorted by time: the first child is the command's first event.
    const first = kids[0]
    top.push({ kind: 'command', id, occurredAt: first?.kind === 'event' ? first.event.occurredAt : first?.occurredAt, children: kids })
  }
  // Events in a cycle of causes were reached from no root.
  for (const e of events) if (!placed.has(e)) top.push(nodeOf(e))
  return top.sort(sort)
}
