import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { Relay, relayStatus, type RelayProgress, type RelayStatus } from '@eventfold/messaging'
import type { Transport } from '@eventfold/messaging/spi'
import type { Command } from 'commander'
import { partitionsOption, portOption } from '../args/integers'
import { observeRelay } from '../telemetry/status-gauges'
import { withMetrics } from '../telemetry/with-metrics'
import type { CliApp } from '../config/app'
import type { RelayConfig, TransportFactory } from '../config/define-config'
import { ConfigLoadError, exportedValue, importModule } from '../config/import-module'
import { UsageError } from '../errors'
import { printJson } from '../output/json'
import { printTable } from '../output/table'
import { quote, writeErr, writeOut } from '../output/terminal'
import { withContext } from './context'
import { commandGroup } from './group'
import { onStopSignal } from './signals'

/** How often a running relay reports on stderr. */
const REPORT_EVERY_MS = 5000

const relayOf = (app: CliApp): RelayConfig => {
  if (!app.relay) throw new UsageError(`${app.configPath}: the config has no relay: add relay: { publications: definePublications(...) }`)
  return app.relay
}

/**
 * The transport factory a `--transport` module exports (as its default export,
 * `module.exports`, or `transport`).
 * @throws {@link UsageError} when the file is missing or exports no function.
 */
const transportModule = async (path: string): Promise<TransportFactory> => {
  const file = resolve(process.cwd(), path)
  if (!existsSync(file)) throw new UsageError(`--transport: no such file: ${quote(file)}`)
  let value: unknown
  try {
    value = exportedValue(await importModule(file))
  } catch (error) {
    throw new ConfigLoadError(file, error)
  }
  if (value !== null && typeof value === 'object' && typeof (value as { transport?: unknown }).transport === 'function') value = (value as { transport: unknown }).transport
  if (typeof value !== 'function') throw new UsageError(`--transport ${quote(file)} must export a function returning a Transport (module.exports = () => transport)`)
  return value as TransportFactory
}

const openTransport = async (factory: TransportFactory, where: string): Promise<Transport> => {
  const transport = await factory()
  if (!transport || typeof transport.publish !== 'function' || typeof transport.declare !== 'function') {
    throw new UsageError(`${where} returned ${transport === null ? 'null' : typeof transport}, not a Transport (declare, publish, …)`)
  }
  return transport
}

interface RunOptions {
  readonly transport?: string
  readonly partitions?: number
  readonly catchUp?: boolean
  readonly json?: boolean
  readonly metricsPort?: number
}

/** `eventfold relay run|status`. */
export const relayCommand = (program: Command): void => {
  const relay = commandGroup(program, 'relay', 'publish the chosen events of the log to a broker (the log as the outbox)')

  relay
    .command('run')
    .description('publish until SIGINT/SIGTERM (the batch in flight is published and checkpointed first)')
    .option('--transport <module>', "a module exporting a function that returns the Transport (default: the config's relay.transport)")
    .option('--partitions <count>', "partitions of the log, shared by every relay process (default: the config's, or 1)", partitionsOption)
    .option('--catch-up', 'stop by itself once every partition this process could take is caught up with the head')
    .option('--json', 'print the final counters as JSON')
    .option('--metrics-port <port>', 'serve Prometheus metrics (the relay, and lag as `relay status` counts it) at http://127.0.0.1:<port>/metrics; 0 picks a free port', portOption)
    .action(async (opts: RunOptions, command: Command) =>
      withContext(command, async (ctx) => {
        const app = await ctx.app()
        const config = relayOf(app)
        const factory = opts.transport !== undefined ? await transportModule(opts.transport) : (config.transport ?? app.transport)
        if (!factory) throw new UsageError(`relay run needs a transport: --transport <module>, or transport (or relay.transport) in ${app.configPath}`)
        const partitions = opts.partitions ?? config.partitions ?? 1
        const { eventStore, documents } = await ctx.stores()
        const transport = await openTransport(factory, opts.transport !== undefined ? `--transport ${quote(opts.transport)}` : config.transport ? 'relay.transport' : 'transport')
        const r = new Relay({
          eventStore,
          documents,
          transport,
          publications: config.publications,
          partitions,
          stopAtHead: opts.catchUp === true,
          ...(config.name !== undefined ? { name: config.name } : {}),
        })
        const dispose = onStopSignal((signal) => {
          writeErr(`${signal}: stopping after the batches in flight…\n`)
          void r.stop()
        })
        const reporter = setInterval(() => reportOnStderr(r.status), REPORT_EVERY_MS)
        writeErr(`relay ${r.name} (${partitions} partition${partitions === 1 ? '' : 's'}) via ${transport.name}` + (opts.catchUp ? ' until caught up\n' : '; Ctrl-C to stop\n'))
        let results: RelayProgress[]
        const metrics = await withMetrics(opts.metricsPort, () => observeRelay(eventStore, documents, config.name))
        try {
          results = await r.run()
        } finally {
          clearInterval(reporter)
          dispose()
          await transport.close()
          await metrics.close()
        }
        const ran = new Set(results.map((p) => p.partition))
        const skipped = Array.from({ length: partitions }, (_, i) => `${i}/${partitions}`).filter((p) => !ran.has(p))
        if (skipped.length > 0) writeErr(`held by another relay process, not run here: ${skipped.join(', ')}\n`)
        if (opts.json) return printJson(results.map(({ lag, ...rest }) => ({ ...rest, checkpoint: rest.checkpoint ?? null, lagMs: lag })))
        printTable(
          results,
          [
            { header: 'PARTITION', value: (p) => p.partition },
            { header: 'CHECKPOINT', value: (p) => p.checkpoint?.toString() ?? 'none', align: 'right' },
            { header: 'PUBLISHED', value: (p) => String(p.published), align: 'right' },
            { header: 'BATCHES', value: (p) => String(p.batches), align: 'right' },
            { header: 'PARKED', value: (p) => String(p.parked), align: 'right' },
          ],
          'no partition ran',
        )
      }),
    )

  relay
    .command('status')
    .description('per partition: checkpoint, head, lag and owner; events parked')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }, command: Command) =>
      withContext(
        command,
        async (ctx) => {
          const config = relayOf(await ctx.app())
          const { eventStore, documents } = await ctx.stores()
          const status = await relayStatus(eventStore, documents, config.name !== undefined ? { name: config.name } : {})
          // null, not absent: a reader of the JSON sees every field of every partition.
          if (opts.json) return printJson({ ...status, head: status.head ?? null, partitions: status.partitions.map((p) => ({ ...p, checkpoint: p.checkpoint ?? null, owner: p.owner ?? null })) })
          printStatus(status)
        },
        { readOnly: true },
      ),
    )
}

const printStatus = (status: RelayStatus): void => {
  printTable(
    status.partitions,
    [
      { header: 'PARTITION', value: (p) => p.partition },
      { header: 'CHECKPOINT', value: (p) => p.checkpoint?.toString() ?? 'none', align: 'right' },
      { header: 'HEAD', value: () => status.head?.toString() ?? 'empty log', align: 'right' },
      { header: 'LAG', value: (p) => String(p.lag), align: 'right' },
      { header: 'OWNER', value: (p) => p.owner ?? '-' },
    ],
    `relay ${quote(status.relay)} has not run yet (head ${status.head?.toString() ?? 'empty log'})`,
  )
  writeOut(`parked: ${status.parked}\n`)
}

const reportOnStderr = (progress: readonly RelayProgress[]): void => {
  for (const p of progress) writeErr(`relay ${p.relay} ${p.partition}: checkpoint ${p.checkpoint ?? 'none'}, published ${p.published}, parked ${p.parked}\n`)
}
