import net, { type AddressInfo } from 'node:net'

/**
 * A TCP proxy in front of a real server, opened and closed by a test: closed,
 * the server is unreachable over connections that were real a moment ago
 * (an outage), without stopping the server other tests share.
 */
export class TcpProxy {
  private server: net.Server | undefined
  private readonly sockets = new Set<net.Socket>()
  /** The port it listens on: chosen at the first {@link open}, kept when opened again. */
  port = 0

  constructor(
    private readonly host: string,
    private readonly targetPort: number,
  ) {}

  /** Starts forwarding (again), on the same port as before. */
  async open(): Promise<void> {
    const server = net.createServer((client) => {
      const upstream = net.connect(this.targetPort, this.host)
      for (const socket of [client, upstream]) {
        this.sockets.add(socket)
        socket.on('close', () => this.sockets.delete(socket))
        socket.on('error', () => {
          client.destroy()
          upstream.destroy()
        })
      }
      client.pipe(upstream).pipe(client)
    })
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(this.port, '127.0.0.1', () => resolve())
    })
    this.server = server
    this.port = (server.address() as AddressInfo).port
  }

  /** Cuts every connection and stops listening: connecting is refused until {@link open}. */
  async close(): Promise<void> {
    const server = this.server
    this.server = undefined
    for (const socket of this.sockets) socket.destroy()
    this.sockets.clear()
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()))
  }
}
