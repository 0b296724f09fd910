import { setImmediate } from 'node:timers/promises'
import { DEFAULT_SERVICE } from '../../config/app'
import type { TracedEvent } from '../../trace/causal-tree'
import { isCorrelationNotFoundError } from '../../trace/errors'
import { scanPercent, type ScanProgress } from '../../trace/find-correlated'
import { flowTraceJson, traceFlow } from '../../trace/trace-flow'
import { ConsoleRequestError } from '../errors'
import { idParam, type ConsoleStores, type Route } from '../route'

/**
 * The services whose events the console can open in its own log: the one
 * service of a config without `services`, else those whose first traced
 * event the console's store holds, with the same event id, where the trace found it.
 */
const servicesInConsoleLog = async (stores: ConsoleStores, names: readonly string[], events: readonly TracedEvent[]): Promise<string[]> => {
  if (names.length === 1 && names[0] === DEFAULT_SERVICE) return [DEFAULT_SERVICE]
  return stores.reading(async ({ eventStore }) => {
    const own: string[] = []
    for (const name of names) {
      const first = events.find((e) => e.service === name)
      if (!first) continue
      try {
        for await (const e of eventStore.readStream(first.streamId, { fromRevision: first.revision, maxCount: 1 })) {
          if (e.revision === first.revision && e.metadata.eventId === first.eventId) own.push(name)
        }
      } catch {
        // A stream the console's log does not have (or cannot read) is another service's.
      }
    }
    return own
  })
}

/**
 * One flow's causal tree across every service's log, as `eventfold trace
 * --json` prints it, and the progress of the scans running for it.
 */
export const traceRoutes = (stores: ConsoleStores): Route[] => {
  // The scans of the trace requests in flight, each under its own key: two requests may trace one id.
  const scans = new Map<object, { correlationId: string; progress: ScanProgress | null }>()
  return [
    {
      method: 'GET',
      // `*`, not `+`: an empty id is refused with a message, not answered as an unknown path.
      path: /^\/api\/trace\/([^/]*)$/,
      action: false,
      handle: async ({ params }) => {
        const correlationId = idParam(params[0]!, 'a correlation id')
        const app = await stores.app()
        const key = {}
        scans.set(key, { correlationId, progress: null })
        try {
          // A scan reads whole logs: between its pages, the server answers its other requests (the progress route among them).
          const trace = await traceFlow(app, correlationId, {
            onScan: (progress) => {
              scans.set(key, { correlationId, progress })
              return setImmediate()
            },
          })
          const consoleServices = await servicesInConsoleLog(stores, [...app.services.keys()], trace.events)
          return { body: { ...flowTraceJson(trace), consoleServices } }
        } catch (error) {
          if (isCorrelationNotFoundError(error)) throw new ConsoleRequestError(404, error.message)
          throw error
        } finally {
          scans.delete(key)
        }
      },
    },
    {
      method: 'GET',
      path: /^\/api\/trace\/([^/]*)\/progress$/,
      action: false,
      handle: async ({ params }) => {
        const correlationId = idParam(params[0]!, 'a correlation id')
        const running = [...scans.values()].filter((s) => s.correlationId === correlationId)
        return {
          body: {
            correlationId,
            // A trace looking up indexes only has no scan to show.
            scans: running.flatMap(({ progress: p }) => (p ? [{ service: p.service, position: p.position, head: p.head, percent: scanPercent(p) }] : [])),
            running: running.length,
          },
        }
      },
    },
  ]
}
