import { AsyncLocalStorage } from 'node:async_hooks'

/** What the running command tells the stores it opens. */
export interface CommandScope {
  /** The command only reads: stores must open without creating or migrating anything. */
  readonly readOnly: boolean
  /** Directory of the config file: relative store paths in the config are relative to it. */
  readonly configDir: string
}

// Kept on globalThis so that a config requiring another copy of this package still sees the running command.
const KEY = Symbol.for('@eventfold/cli/command-scope')
const storage: AsyncLocalStorage<CommandScope> = ((globalThis as Record<symbol, unknown>)[KEY] ??= new AsyncLocalStorage<CommandScope>()) as AsyncLocalStorage<CommandScope>

/** Runs `work` with `scope` visible to {@link currentScope} (and so to `connectSqlite`). */
export const runInScope = <T>(scope: CommandScope, work: () => Promise<T>): Promise<T> => storage.run(scope, work)

/** The scope of the command running now; `undefined` outside a CLI command. */
export const currentScope = (): CommandScope | undefined => storage.getStore()
