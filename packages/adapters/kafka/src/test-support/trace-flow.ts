import { execFileSync, spawn } from 'node:child_process'
import { join, resolve } from 'node:path'

const REPO_ROOT = resolve(__dirname, '../../../../..')
const SERVICE = join(__dirname, 'trace-service.cjs')

/** A span as a service of the flow wrote it. */
export interface FlowSpan {
  readonly service: 'command' | 'relay' | 'consumer'
  readonly name: string
  readonly traceId: string
  readonly spanId: string
  readonly parentSpanId: string | null
  /** Trace ids of the span's links. */
  readonly links: readonly string[]
}

/** Builds what the service processes run from `dist` (incremental: about a second when nothing changed). */
export const buildServices = (): void => {
  const tsc = join(REPO_ROOT, 'node_modules/typescript/bin/tsc')
  execFileSync(process.execPath, [tsc, '-b', 'packages/adapters/kafka', 'packages/adapters/sqlite'], { cwd: REPO_ROOT, stdio: 'pipe' })
}

/** Runs one service process to its end. @throws when it exits non-zero, with its stderr. */
export const runService = (role: FlowSpan['service'], args: readonly string[]): Promise<void> =>
  new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [SERVICE, role, ...args], { stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    child.on('error', reject)
    child.on('exit', (code) => (code === 0 ? resolvePromise() : reject(new Error(`${role} service exited with ${code}: ${stderr}`))))
  })
