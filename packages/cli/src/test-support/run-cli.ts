import { spawn, type ChildProcess } from 'node:child_process'
import { BIN } from './build'

/** What a finished CLI process did. */
export interface CliResult {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
}

/** Options of {@link runCli} and {@link spawnCli}. */
export interface RunOptions {
  readonly cwd: string
  /** Added to the test process's environment. */
  readonly env?: Readonly<Record<string, string | undefined>>
  /** @default 30000 */
  readonly timeoutMs?: number
  /** Run as this user and group (the test process must be root). @default the test process's */
  readonly user?: { readonly uid: number; readonly gid: number }
}

/** A CLI process still running, with its output so far. */
export interface RunningCli {
  readonly child: ChildProcess
  readonly stdout: () => string
  readonly stderr: () => string
  /** Complete stdout lines so far. */
  readonly lines: () => string[]
  /** Resolves when the process has exited. */
  readonly exited: Promise<CliResult>
  /** Resolves once `predicate` holds for the output (checked on every chunk). */
  waitFor(predicate: (out: { stdout: string; stderr: string; lines: string[] }) => boolean, timeoutMs?: number): Promise<void>
}

/** Starts `node dist/bin.js …args`. */
export const spawnCli = (args: readonly string[], { cwd, env = {}, timeoutMs = 30000, user }: RunOptions): RunningCli => {
  const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], ...(user ?? {}) })
  let stdout = ''
  let stderr = ''
  const waiters = new Set<() => void>()
  const notify = (): void => waiters.forEach((w) => w())
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    stdout += d
    notify()
  })
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    stderr += d
    notify()
  })
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
  const exited = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      notify()
      resolve({ code, signal, stdout, stderr })
    })
  })
  const lines = (): string[] => stdout.split('\n').slice(0, -1)
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    lines,
    exited,
    waitFor: (predicate, waitMs = 20000) =>
      new Promise<void>((resolve, reject) => {
        let done = false
        const check = (): void => {
          if (done) return
          if (predicate({ stdout, stderr, lines: lines() })) {
            done = true
            waiters.delete(check)
            clearTimeout(t)
            resolve()
          } else if (child.exitCode !== null || child.signalCode !== null) {
            done = true
            waiters.delete(check)
            clearTimeout(t)
            reject(new Error(`the CLI exited (${child.exitCode ?? child.signalCode}) before the expected output; stdout:\n${stdout}\nstderr:\n${stderr}`))
          }
        }
        const t = setTimeout(() => {
          done = true
          waiters.delete(check)
          reject(new Error(`timed out waiting for output; stdout:\n${stdout}\nstderr:\n${stderr}`))
        }, waitMs)
        waiters.add(check)
        check()
      }),
  }
}

/** Runs `node dist/bin.js …args` to the end. */
export const runCli = (args: readonly string[], options: RunOptions): Promise<CliResult> => spawnCli(args, options).exited

/** Parses stdout as JSON, with the output in the error when it is not. */
export const parseJson = <T = unknown>(result: CliResult): T => {
  try {
    return JSON.parse(result.stdout) as T
  } catch {
    throw new Error(`stdout is not JSON (exit ${result.code}):\n${result.stdout}\nstderr:\n${result.stderr}`)
  }
}

/**
 * Runs `node dist/bin.js …args` on a pseudo-terminal (util-linux `script`),
 * as a person at a terminal would. The arguments travel in the environment,
 * so that control characters in them reach the CLI as they are. Output is
 * what the terminal received (line ends as `\r\n`), stdout and stderr mixed.
 */
export const runCliOnTty = (args: readonly string[], { cwd, env = {}, timeoutMs = 30000 }: RunOptions): Promise<CliResult> => {
  const argEnv = Object.fromEntries(args.map((a, i) => [`EVENTFOLD_TEST_ARG_${i}`, a]))
  const command = ['exec "$EVENTFOLD_TEST_NODE" "$EVENTFOLD_TEST_BIN"', ...args.map((_, i) => `"$EVENTFOLD_TEST_ARG_${i}"`)].join(' ')
  const child = spawn('script', ['-qec', command, '/dev/null'], {
    cwd,
    env: { ...process.env, ...env, ...argEnv, EVENTFOLD_TEST_NODE: process.execPath, EVENTFOLD_TEST_BIN: BIN },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d))
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d))
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
  return new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, stdout, stderr })
    })
  })
}
