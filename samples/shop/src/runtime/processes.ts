import { spawn, type ChildProcess } from 'node:child_process'
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs'
import { join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { ServiceStartError } from '../errors'
import type { ServiceName } from './config'

/** The built entry of a service process (the package is built before the demo, the tests and the benchmark run). */
export const SERVICE_ENTRY = resolve(__dirname, '..', '..', 'dist', 'services', 'main.js')

/**
 * One service running as its own process: started, waited for until it says
 * it is ready, stopped with SIGTERM (a clean stop) or killed with SIGKILL (a crash).
 */
export class ServiceProcess {
  private child: ChildProcess | undefined
  private exited: Promise<number | null> = Promise.resolve(null)
  private readonly log: WriteStream
  readonly logFile: string

  constructor(
    readonly service: ServiceName,
    private readonly env: NodeJS.ProcessEnv,
    logDir: string,
    /** Told each line the process writes to stdout after it is ready. */
    private readonly onLine: (service: ServiceName, line: string) => void = () => {},
  ) {
    mkdirSync(logDir, { recursive: true })
    this.logFile = join(logDir, `${service}.log`)
    this.log = createWriteStream(this.logFile, { flags: 'a' })
  }

  get pid(): number | undefined {
    return this.child?.pid
  }

  /** Spawns the process and resolves with its ready line once it is up. */
  start(timeoutMs = 60_000): Promise<Record<string, unknown>> {
    const child = spawn(process.execPath, [SERVICE_ENTRY, this.service], { env: this.env, stdio: ['ignore', 'pipe', 'pipe'] })
    this.child = child
    child.stderr!.pipe(this.log, { end: false })
    this.exited = new Promise((done) => child.once('exit', (code) => done(code)))
    return new Promise((resolveReady, reject) => {
      let isReady = false
      const timer = setTimeout(() => reject(new ServiceStartError(this.service, this.logFile, `not ready within ${timeoutMs} ms`)), timeoutMs)
      createInterface({ input: child.stdout! }).on('line', (line) => {
        this.log.write(`${line}\n`)
        if (!isReady && line.startsWith('{"ready"')) {
          isReady = true
          clearTimeout(timer)
          resolveReady(JSON.parse(line) as Record<string, unknown>)
        } else if (isReady) this.onLine(this.service, line)
      })
      void this.exited.then((code) => {
        clearTimeout(timer)
        if (!isReady) reject(new ServiceStartError(this.service, this.logFile, `exited with code ${code}`))
      })
    })
  }

  /** SIGKILL: the process dies at once, mid-batch, as a crash would. */
  async kill(): Promise<void> {
    this.child?.kill('SIGKILL')
    await this.exited
  }

  /** SIGTERM: the service finishes its batches in flight, closes its stores and exits. Resolves with its exit code. */
  async stop(): Promise<number | null> {
    if (this.child && this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM')
    const code = await this.exited
    return code
  }

  /** Closes the log file. */
  close(): void {
    this.log.end()
  }
}
