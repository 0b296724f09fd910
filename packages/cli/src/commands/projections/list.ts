import type { ProjectionDefinition } from '@eventfold/projections'
import type { Command } from 'commander'
import { printJson } from '../../output/json'
import { printTable } from '../../output/table'
import { withContext } from '../context'

/** A projection as `eventfold projections list --json` prints it. */
export const projectionJson = (p: ProjectionDefinition) => ({
  name: p.name,
  version: p.version,
  collections: p.collections,
  eventTypes: p.eventTypes,
  partitionBy: p.partitionBy === 'stream' ? 'stream' : 'custom',
  indexes: p.indexes,
})

/** `eventfold projections list`: what the config registers; opens no store. */
export const listCommand = (projections: Command): void => {
  projections
    .command('list')
    .description('the projections the config registers')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }, command: Command) =>
      withContext(command, async (ctx) => {
        const rows = [...(await ctx.app()).projections.values()].map(projectionJson)
        if (opts.json) return printJson(rows)
        printTable(
          rows,
          [
            { header: 'NAME', value: (r) => r.name },
            { header: 'VERSION', value: (r) => String(r.version), align: 'right' },
            { header: 'COLLECTIONS', value: (r) => r.collections.join(', ') },
            { header: 'PARTITION BY', value: (r) => r.partitionBy },
            { header: 'EVENT TYPES', value: (r) => r.eventTypes.join(', '), maxWidth: 60 },
          ],
          'the config registers no projections',
        )
      }, { readOnly: true }),
    )
}
