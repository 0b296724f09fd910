import type { ServiceName } from './config'
import { ServiceProcess } from './processes'

/** The shop's services as processes, started and stopped together. */
export class ShopCluster {
  readonly processes: ReadonlyMap<ServiceName, ServiceProcess>

  constructor(env: NodeJS.ProcessEnv, logDir: string, onLine?: (service: ServiceName, line: string) => void) {
    const services: ServiceName[] = ['order', 'inventory', 'payment', 'shipping', 'gateway']
    this.processes = new Map(services.map((s) => [s, new ServiceProcess(s, env, logDir, onLine)]))
  }

  /** Starts every service at once (each declares the topics it needs, so no order is needed). */
  async start(): Promise<Record<string, Record<string, unknown>>> {
    const ready = await Promise.all([...this.processes].map(async ([s, p]) => [s, await p.start()] as const))
    return Object.fromEntries(ready)
  }

  /** A crash and a restart of one service. */
  async crashAndRestart(service: ServiceName): Promise<void> {
    const p = this.processes.get(service)!
    await p.kill()
    await p.start()
  }

  /** Stops every service with SIGTERM; resolves with each exit code. */
  async stop(): Promise<Record<string, number | null>> {
    const codes = await Promise.all([...this.processes].map(async ([s, p]) => [s, await p.stop()] as const))
    for (const p of this.processes.values()) p.close()
    return Object.fromEntries(codes)
  }
}
