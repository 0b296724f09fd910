import type { Command } from 'commander'
import { printJson } from '../../output/json'
import { printTable } from '../../output/table'
import { withContext } from '../context'
import { projectionStatus, type GenerationStatus, type ProjectionStatus } from './status-report'
import { writeOut } from '../../output/terminal'

const lowestCheckpoint = (g: GenerationStatus | null): string => {
  if (!g) return '-'
  if (g.partitions.some((p) => p.checkpoint === null)) return 'none'
  return g.partitions.map((p) => p.checkpoint!).reduce((a, b) => (a < b ? a : b)).toString()
}

const version = (s: ProjectionStatus): string =>
  s.active === null ? `code ${s.codeVersion}` : s.stale ? `${s.active.version} (code ${s.codeVersion}: stale)` : String(s.active.version)

const rebuildingText = (s: ProjectionStatus): string =>
  s.rebuilding
    ? `gen ${s.rebuilding.generation}, v${s.rebuilding.version}, at ${lowestCheckpoint(s.rebuilding)}, lag ${s.rebuilding.lag}`
    : '-'

const printStatuses = (statuses: readonly ProjectionStatus[]): void => {
  printTable(
    statuses,
    [
      { header: 'NAME', value: (s) => s.name },
      { header: 'STATE', value: (s) => s.state },
      { header: 'GEN', value: (s) => (s.active ? String(s.active.generation) : '-'), align: 'right' },
      { header: 'VERSION', value: version },
      { header: 'PARTITIONS', value: (s) => (s.active ? String(s.active.partitions.length) : '-'), align: 'right' },
      { header: 'CHECKPOINT', value: (s) => lowestCheckpoint(s.active), align: 'right' },
      { header: 'HEAD', value: (s) => s.head?.toString() ?? 'empty log', align: 'right' },
      { header: 'LAG', value: (s) => (s.active ? String(s.active.lag) : '-'), align: 'right' },
      { header: 'DEAD LETTERS', value: (s) => String(s.deadLetters), align: 'right' },
      { header: 'REBUILDING', value: rebuildingText },
    ],
    'the config registers no projections',
  )
  const partitions = statuses.flatMap((s) =>
    [s.active, s.rebuilding].flatMap((g) =>
      g ? g.partitions.map((p) => ({ name: s.name, generation: g.generation, rebuilding: g === s.rebuilding, ...p })) : [],
    ),
  )
  if (partitions.length === 0) return
  writeOut('\n')
  printTable(
    partitions,
    [
      { header: 'PROJECTION', value: (p) => p.name },
      { header: 'GEN', value: (p) => `${p.generation}${p.rebuilding ? ' (rebuilding)' : ''}` },
      { header: 'PARTITION', value: (p) => p.partition },
      { header: 'CHECKPOINT', value: (p) => p.checkpoint?.toString() ?? 'none', align: 'right' },
      { header: 'LAG', value: (p) => String(p.lag), align: 'right' },
    ],
    '',
  )
}

/** `eventfold projections status [names…]`. */
export const statusCommand = (projections: Command): void => {
  projections
    .command('status')
    .description('per projection: generation, version, partitions, checkpoints, head, lag, rebuild, dead letters')
    .argument('[names...]', 'projections to show (default: all)')
    .option('--json', 'print JSON')
    .action(async (names: string[], opts: { json?: boolean }, command: Command) =>
      withContext(command, async (ctx) => {
        const app = await ctx.app()
        const selected = names.length > 0 ? names.map((n) => app.projection(n)) : [...app.projections.values()]
        const { eventStore, documents } = await ctx.stores()
        const statuses: ProjectionStatus[] = []
        for (const p of selected) statuses.push(await projectionStatus(eventStore, documents, p))
        if (opts.json) return printJson(statuses)
        printStatuses(statuses)
      }, { readOnly: true }),
    )
}
