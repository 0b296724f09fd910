import type { Command } from 'commander'
import type { ConsumerDefinition } from '@eventfold/messaging'
import type { PartitionLag, Transport } from '@eventfold/messaging/spi'
import { UsageError } from '../errors'
import type { CliApp } from '../config/app'
import { printJson } from '../output/json'
import { printTable } from '../output/table'
import { quote } from '../output/terminal'
import { withContext } from './context'
import { commandGroup } from './group'

/** The consumer called `name`, or every one; a usage error naming the known ones for a name the config does not have. */
export const consumersOf = (app: CliApp, name: string | undefined): ConsumerDefinition[] => {
  if (name === undefined) return [...app.consumers.values()]
  const consumer = app.consumers.get(name)
  if (!consumer) throw new UsageError(`no consumer named ${quote(name)} in the config (known: ${[...app.consumers.keys()].join(', ') || 'none'})`)
  return [consumer]
}

/** One consumer group's lag on one partition of a topic, as the transport reports it. */
export type ConsumerLagRow = { readonly consumer: string } & PartitionLag

/**
 * The lag of each consumer group on each partition of its topics, asked of
 * a transport the config opens for this call alone (and closes).
 * @throws {@link UsageError} when the config declares no transport
 */
export const consumerLag = async (app: CliApp, consumers: readonly ConsumerDefinition[]): Promise<ConsumerLagRow[]> => {
  if (!app.transport) throw new UsageError('the config declares no transport (add `transport: () => …` returning the consumers\' transport)')
  const transport = await app.transport()
  try {
    return await consumerLagOn(transport, consumers)
  } finally {
    await transport.close()
  }
}

/** The lag of each consumer group on each partition of its topics, asked of an open transport. */
export const consumerLagOn = async (transport: Pick<Transport, 'lag'>, consumers: readonly ConsumerDefinition[]): Promise<ConsumerLagRow[]> => {
  const rows: ConsumerLagRow[] = []
  for (const c of consumers) {
    for (const lag of await transport.lag(c.name, c.topics)) rows.push({ consumer: c.name, ...lag })
  }
  return rows
}

/** `eventfold consumers status`. */
export const consumersCommand = (program: Command): void => {
  const consumers = commandGroup(program, 'consumers', 'consumer groups of integration events: where they are on the transport')

  consumers
    .command('status')
    .description("lag of each consumer group on each partition of its topics, from the transport (reads only)")
    .option('--consumer <name>', 'only this consumer')
    .option('--json', 'print JSON')
    .action(async (opts: { consumer?: string; json?: boolean }, command: Command) =>
      withContext(command, async (ctx) => {
        const app = await ctx.app()
        const selected = consumersOf(app, opts.consumer)
        const rows = await consumerLag(app, selected)
        if (opts.json) return printJson(rows)
        printTable(
          rows,
          [
            { header: 'CONSUMER', value: (r) => r.consumer },
            { header: 'TOPIC', value: (r) => r.topic },
            { header: 'PARTITION', value: (r) => String(r.partition), align: 'right' },
            { header: 'COMMITTED', value: (r) => (r.committed === undefined ? '-' : String(r.committed)), align: 'right' },
            { header: 'END', value: (r) => String(r.end), align: 'right' },
            { header: 'LAG', value: (r) => String(r.lag), align: 'right' },
          ],
          selected.length === 0 ? 'no consumers in the config' : 'no partitions',
        )
      }, { readOnly: true }),
    )
}
