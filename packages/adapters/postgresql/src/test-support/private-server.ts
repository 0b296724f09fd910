import { execFile } from 'node:child_process'
import { chownSync, mkdtempSync, rmSync } from 'node:fs'
import net, { type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** Where the PostgreSQL binaries are: `PG_BIN`, else `/usr/local/bin`. */
const BIN = process.env.PG_BIN || '/usr/local/bin'

/** The server refuses to run as root: as root, it runs as the `postgres` user. */
const asServerUser = (command: string, args: string[]): [string, string[]] =>
  process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', join(BIN, command), ...args]] : [join(BIN, command), args]

const pg = async (command: string, args: string[]): Promise<void> => {
  const [file, argv] = asServerUser(command, args)
  await run(file, argv, { timeout: 60_000 })
}

const freePort = async (): Promise<number> => {
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

/**
 * A throwaway PostgreSQL server of one test, in a temporary directory on a
 * free port, that the test may stop and start again (an outage) without
 * touching the server other tests share.
 */
export class PrivateServer {
  private constructor(
    private readonly dir: string,
    readonly port: number,
  ) {}

  /** `initdb` and start; trust authentication, user `postgres`. */
  static async start(): Promise<PrivateServer> {
    const dir = mkdtempSync(join(tmpdir(), 'eventfold-pg-'))
    if (process.getuid?.() === 0) {
      const { stdout } = await run('id', ['-u', 'postgres'])
      const { stdout: gid } = await run('id', ['-g', 'postgres'])
      chownSync(dir, Number(stdout.trim()), Number(gid.trim()))
    }
    const server = new PrivateServer(dir, await freePort())
    await pg('initdb', ['-D', server.data, '-U', 'postgres', '-E', 'UTF8', '--auth=trust', '--no-instructions'])
    await server.resume()
    return server
  }

  /** A connection string to it. */
  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`
  }

  /** Stops the server at once: its connections are cut, new ones refused. */
  async halt(): Promise<void> {
    await pg('pg_ctl', ['-D', this.data, '-m', 'immediate', '-w', 'stop'])
  }

  /** Starts it (again), on the same port, with its data. */
  async resume(): Promise<void> {
    const options = `-p ${this.port} -c listen_addresses=127.0.0.1 -k ${this.dir} -c fsync=off`
    await pg('pg_ctl', ['-D', this.data, '-l', join(this.dir, 'log'), '-o', options, '-w', '-t', '60', 'start'])
  }

  /** Stops it and removes its directory. */
  async remove(): Promise<void> {
    await pg('pg_ctl', ['-D', this.data, '-m', 'immediate', '-w', 'stop']).catch(() => {})
    rmSync(this.dir, { recursive: true, force: true })
  }

  private get data(): string {
    return join(this.dir, 'data')
  }
}
