import { writeErr } from '../output/terminal'
import { serveMetrics } from './metrics-endpoint'

/**
 * Serves metrics at `port` when one is given (and tells where on stderr),
 * after `observe` has registered the command's gauges; otherwise nothing.
 * @returns what closes the endpoint.
 */
export const withMetrics = async (port: number | undefined, observe: () => void): Promise<{ close(): Promise<void> }> => {
  if (port === undefined) return { close: async () => {} }
  const endpoint = await serveMetrics(port)
  observe()
  writeErr(`metrics at ${endpoint.url}\n`)
  return endpoint
}
