import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { buildPackages } from '@eventfold/core/testing'

/** One append the writer process printed after it was acknowledged. */
export interface Ack {
  readonly stream: string
  readonly nextRevision: bigint
  readonly position: bigint
  readonly eventIds: readonly string[]
}

const PACKAGE_DIR = join(__dirname, '..', '..')
const WRITER = join(__dirname, 'append-writer.cjs')

/** Builds the package (and what it depends on) so the child processes run the current code. */
export const buildPackage = (): void => buildPackages(PACKAGE_DIR)

/** The append a writer started with a hold point stopped in, inside its open transaction. */
export interface HeldAppend {
  readonly stream: string
  readonly eventIds: readonly string[]
}

/** A running writer process and the appends it acknowledged so far. */
export interface Writer {
  readonly acks: readonly Ack[]
  /** Resolves with every ack once the process is gone, with how it ended. */
  readonly ended: Promise<{
    acks: readonly Ack[]
    held: HeldAppend | undefined
    code: number | null
    signal: NodeJS.Signals | null
    stderr: string
  }>
  kill(signal: NodeJS.Signals): void
}

/** What the test hears from a writer while it runs. */
export interface WriterListeners {
  /** Each acknowledged append, as it is printed. */
  readonly onAck?: (ack: Ack, count: number) => void
  /** The writer stopped inside an append's transaction (see the writer's hold point). */
  readonly onHeld?: (held: HeldAppend) => void
}

/** Starts `append-writer.cjs` on `file`. */
export const startWriter = (file: string, args: readonly string[], { onAck = () => {}, onHeld = () => {} }: WriterListeners = {}): Writer => {
  const child = spawn(process.execPath, [WRITER, file, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  const acks: Ack[] = []
  let held: HeldAppend | undefined
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const lines = createInterface({ input: child.stdout })
  lines.on('line', (line) => {
    const raw = JSON.parse(line) as { held: HeldAppend } | { stream: string; nextRevision: string; position: string; eventIds: string[] }
    if ('held' in raw) {
      held = raw.held
      onHeld(held)
      return
    }
    const ack = { ...raw, nextRevision: BigInt(raw.nextRevision), position: BigInt(raw.position) }
    acks.push(ack)
    onAck(ack, acks.length)
  })
  const ended = Promise.all([once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>, once(lines, 'close')]).then(
    ([[code, signal]]) => ({ acks, held, code, signal, stderr }),
  )
  return { acks, ended, kill: (signal) => child.kill(signal) }
}
