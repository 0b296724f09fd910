import type { Command } from 'commander'
import { integerOption } from '../args/integers'
import { CommandContext } from '../commands/context'
import { onStopSignal } from '../commands/signals'
import { UsageError } from '../errors'
import { writeErr, writeOut } from '../output/terminal'
import { Rebuilds } from './rebuilds'
import type { ConsoleStores } from './route'
import { consoleRoutes } from './routes'
import { loadAssets } from './assets'
import { isLoopback, newToken } from './auth'
import { startConsoleServer } from './server'
import { SharedTransport } from './shared-transport'

interface ServeOptions {
  readonly port: number
  readonly host: string
  readonly allowRemote?: boolean
}

/** `eventfold serve`: the web console. */
export const serveCommand = (program: Command): void => {
  program
    .command('serve')
    .description('the web console: streams, replay, projections, dead letters, deadlines, sagas, consumers, parked messages, trace (on 127.0.0.1 unless told otherwise)')
    .option('--port <port>', 'TCP port (0: any free port)', integerOption({ min: 0, max: 65535 }), 4280)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--allow-remote', 'allow an address other than loopback: anyone who reaches it can read the log')
    .action(async (opts: ServeOptions, command: Command) => {
      if (!isLoopback(opts.host) && !opts.allowRemote) {
        throw new UsageError(`--host ${opts.host} is not a loopback address: anyone who can reach it could read the event log; add --allow-remote to mean it`)
      }
      const base = new CommandContext(process.cwd(), (command.optsWithGlobals() as { config?: string }).config, true)
      const write = base.sibling({ readOnly: false })
      let transport: SharedTransport | undefined
      const stores: ConsoleStores = {
        app: () => base.app(),
        reading: async (work) => {
          const ctx = base.sibling({ readOnly: true })
          try {
            return await work(await ctx.stores())
          } finally {
            await ctx.close()
          }
        },
        writing: () => write.stores(),
        transport: async (work) => {
          const app = await base.app()
          if (!app.transport) return undefined
          transport ??= new SharedTransport(app.transport)
          return transport.use(work)
        },
      }
      const rebuilds = new Rebuilds()
      try {
        const assets = loadAssets()
        // Opened once now, so that a missing or foreign database stops the command before it listens.
        await stores.reading(async () => undefined)
        const token = newToken()
        const server = await startConsoleServer({
          routes: consoleRoutes(stores, rebuilds),
          assets,
          token,
          host: opts.host,
          port: opts.port,
          allowRemote: opts.allowRemote === true,
        })
        writeOut(
          `eventfold console on ${server.url}\n` +
            `token for actions (rebuild, preview, reset, retry, discard), shown only now: ${token}\n` +
            `open ${server.url}#token=${token} to use it in the browser; Ctrl-C to stop\n`,
        )
        await new Promise<void>((resolve) => {
          const dispose = onStopSignal((signal) => {
            writeErr(`${signal}: stopping the console…\n`)
            dispose()
            resolve()
          })
        })
        await server.close()
      } finally {
        await rebuilds.stop()
        await transport?.close()
        await write.close()
      }
    })
}
