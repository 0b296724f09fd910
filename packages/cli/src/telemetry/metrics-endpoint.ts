import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { metrics } from '@opentelemetry/api'
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus'
import { MeterProvider } from '@opentelemetry/sdk-metrics'

/** A Prometheus endpoint serving the process's metrics. */
export interface MetricsEndpoint {
  /** `http://<host>:<port>/metrics`. */
  readonly url: string
  close(): Promise<void>
}

/**
 * Registers a meter provider whose metrics a Prometheus server scrapes at
 * `http://<host>:<port>/metrics` (port 0: any free port, named in `url`).
 * Only loopback by default: metrics name projections, topics and groups.
 */
export const serveMetrics = async (port: number, host = '127.0.0.1'): Promise<MetricsEndpoint> => {
  const exporter = new PrometheusExporter({ preventServerStart: true })
  const provider = new MeterProvider({ readers: [exporter] })
  metrics.setGlobalMeterProvider(provider)
  const server = createServer((request, response) => {
    if (request.method === 'GET' && new URL(request.url ?? '/', 'http://metrics.invalid').pathname === '/metrics') {
      exporter.getMetricsRequestHandler(request, response)
      return
    }
    response.writeHead(404, { 'content-type': 'text/plain' }).end('not found: the metrics are at /metrics\n')
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => resolve())
  })
  const { port: bound } = server.address() as AddressInfo
  return {
    url: `http://${host}:${bound}/metrics`,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await provider.shutdown()
      metrics.disable()
    },
  }
}
