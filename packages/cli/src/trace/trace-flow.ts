import { dirname } from 'node:path'
import type { CliApp } from '../config/app'
import { runInScope } from '../config/command-scope'
import type { ServiceLogConnection } from '../config/define-config'
import { UsageError } from '../errors'
import { traceNodeJson } from '../output/trace-tree'
import { causalTree, type TracedEvent, type TraceNode } from './causal-tree'
import { CorrelationNotFoundError } from './errors'
import { findCorrelated, type ScanProgress } from './find-correlated'

/** How one service's log was searched. */
export interface ServiceLookup {
  readonly name: string
  readonly events: number
  /** `index`: the store's correlation lookup; `scan`: its whole log was read. */
  readonly lookup: 'index' | 'scan'
  /** Events whose metadata is not JSON, left out. */
  readonly unreadable: number
}

/** One flow across the logs of every service the config names. */
export interface FlowTrace {
  readonly correlationId: string
  readonly events: readonly TracedEvent[]
  /** In config order. */
  readonly services: readonly ServiceLookup[]
  readonly tree: readonly TraceNode[]
}

/**
 * The causal tree of the flow `correlationId`: each service's log is opened
 * read-only in turn, searched (by index, else by a scan reporting to
 * `onScan`, which the scan awaits between pages), and closed.
 * @throws {@link UsageError} when the id is empty
 * @throws {@link CorrelationNotFoundError} when no log holds an event of the flow
 */
export const traceFlow = async (
  app: CliApp,
  correlationId: string,
  { onScan }: { onScan?: (progress: ScanProgress) => void | Promise<void> } = {},
): Promise<FlowTrace> => {
  if (correlationId === '') throw new UsageError('the correlation id must not be empty')
  const names = [...app.services.keys()]
  const events: TracedEvent[] = []
  const services: ServiceLookup[] = []
  const connections: ServiceLogConnection[] = []
  try {
    for (const [name, service] of app.services) {
      const connection = await runInScope({ readOnly: true, configDir: dirname(app.configPath) }, () => service.connect({ readOnly: true }))
      connections.push(connection)
      const found = await findCorrelated(name, connection.eventStore, correlationId, onScan ? { onScan } : {})
      events.push(...found.events)
      services.push({ name, events: found.events.length, lookup: found.scanned ? 'scan' : 'index', unreadable: found.unreadable })
    }
  } finally {
    await Promise.all(connections.map((c) => c.close()))
  }
  if (events.length === 0) throw new CorrelationNotFoundError(correlationId, names)
  return { correlationId, events, services, tree: causalTree(events, names) }
}

/** The JSON of a trace, as `eventfold trace --json` prints it (64-bit numbers as decimal strings). */
export const flowTraceJson = (trace: FlowTrace): { correlationId: string; events: number; services: readonly ServiceLookup[]; tree: unknown[] } => ({
  correlationId: trace.correlationId,
  events: trace.events.length,
  services: trace.services,
  tree: trace.tree.map(traceNodeJson),
})
