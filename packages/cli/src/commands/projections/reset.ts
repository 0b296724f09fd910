import { ProjectionStates, resetProjection, type DocumentStore, type ProjectionDefinition } from '@eventfold/projections'
import type { Command } from 'commander'
import { printJson } from '../../output/json'
import { withContext } from '../context'
import { quote, writeOut } from '../../output/terminal'

/** What `eventfold projections reset --json` prints. */
export interface ResetReport {
  readonly projection: string
  /** False when the projection had never run: nothing was dropped. */
  readonly reset: boolean
  readonly droppedGeneration: number | null
  readonly droppedRebuild: number | null
  readonly nextGeneration: number | null
}

/** Drops a projection's read model, checkpoints and any rebuild in progress; says what was dropped. */
export const resetReport = async (documents: DocumentStore, projection: ProjectionDefinition): Promise<ResetReport> => {
  const states = new ProjectionStates(documents)
  const before = await states.get(projection.name)
  if (before) await resetProjection(documents, projection)
  const after = await states.get(projection.name)
  return {
    projection: projection.name,
    reset: before !== undefined,
    droppedGeneration: before && before.generation > 0 ? before.generation : null,
    droppedRebuild: before?.rebuilding?.generation ?? null,
    nextGeneration: after?.generation ?? null,
  }
}

/** `eventfold projections reset <name>`. */
export const resetCommand = (projections: Command): void => {
  projections
    .command('reset')
    .description("drop a projection's read model and checkpoints (and any rebuild in progress); the next worker builds it again from the start")
    .argument('<name>', 'projection name')
    .option('--json', 'print JSON')
    .action(async (name: string, opts: { json?: boolean }, command: Command) =>
      withContext(command, async (ctx) => {
        const app = await ctx.app()
        const projection = app.projection(name)
        const { documents } = await ctx.stores()
        const report = await resetReport(documents, projection)
        if (opts.json) return printJson(report)
        if (!report.reset) {
          writeOut(`${quote(name)} has never run: nothing to reset\n`)
          return
        }
        writeOut(
          `reset ${quote(name)}: ` +
            (report.droppedGeneration !== null ? `generation ${report.droppedGeneration} dropped` : 'no read model to drop') +
            (report.droppedRebuild !== null ? `, rebuild into generation ${report.droppedRebuild} dropped` : '') +
            `; the next worker builds generation ${report.nextGeneration} from the start of the log\n`,
        )
      }),
    )
}
