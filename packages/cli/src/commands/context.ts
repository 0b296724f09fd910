import { dirname } from 'node:path'
import type { Command } from 'commander'
import { resolveApp, type CliApp } from '../config/app'
import { runInScope } from '../config/command-scope'
import type { EventfoldConnection } from '../config/define-config'
import { findConfigFile } from '../config/find-config'
import { loadConfig } from '../config/load-config'
import { emptyWhenMissing } from '../config/missing-documents'

/**
 * What a command runs with: the application from the config file, loaded on
 * first use, and its stores, connected on first use, so that `--help` and
 * commands that only read the config never open a database.
 */
export class CommandContext {
  private appPromise: Promise<CliApp> | undefined
  private connection: Promise<EventfoldConnection> | undefined

  constructor(
    private readonly cwd: string,
    private readonly configOption: string | undefined,
    /** The command only reads: its stores open read-only. */
    readonly readOnly: boolean = false,
  ) {}

  /**
   * Another context on the same application (loaded once), with its own
   * stores, opened read-only or not: for a long-running command that
   * serves many requests.
   */
  sibling({ readOnly }: { readOnly: boolean }): CommandContext {
    const ctx = new CommandContext(this.cwd, this.configOption, readOnly)
    ctx.appPromise = this.app()
    return ctx
  }

  /** The resolved config. */
  app(): Promise<CliApp> {
    this.appPromise ??= (async () => {
      const path = findConfigFile(this.cwd, this.configOption)
      return resolveApp(path, await loadConfig(path))
    })()
    return this.appPromise
  }

  /** The stores, connected once. */
  stores(): Promise<EventfoldConnection> {
    this.connection ??= this.app().then((app) =>
      runInScope({ readOnly: this.readOnly, configDir: dirname(app.configPath) }, async () => {
        const stores = await app.connect({ readOnly: this.readOnly })
        if (!this.readOnly) return stores
        // Not a spread: that would call the connection's lazy getters (deadlines, inbox), which build stores a read never needs.
        const documents = emptyWhenMissing(stores.documents, stores.eventStore)
        return Object.create(stores, { documents: { value: documents, enumerable: true } }) as EventfoldConnection
      }),
    )
    return this.connection
  }

  /** Closes the stores if they were opened. */
  async close(): Promise<void> {
    const connection = this.connection
    this.connection = undefined
    if (!connection) return
    const stores = await connection.catch(() => undefined)
    await stores?.close()
  }
}

/**
 * Runs a command's work with a context built from the global options, and
 * closes the stores afterwards whatever happened. A command that only reads
 * says so with `readOnly`: its stores then create and migrate nothing.
 */
export const withContext = async (
  command: Command,
  work: (ctx: CommandContext) => Promise<void>,
  { readOnly = false }: { readOnly?: boolean } = {},
): Promise<void> => {
  const ctx = new CommandContext(process.cwd(), (command.optsWithGlobals() as { config?: string }).config, readOnly)
  try {
    await work(ctx)
  } finally {
    await ctx.close()
  }
}
