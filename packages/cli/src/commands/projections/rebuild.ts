import { ProjectionStates, rebuildProjection, type DocumentStore } from '@eventfold/projections'
import type { Command } from 'commander'
import { batchSizeOption, integerOption, leaseTtlOption, partitionsOption } from '../../args/integers'
import { EXIT, UsageError } from '../../errors'
import { jsonLinesReporter, progressBarReporter } from '../../output/rebuild-progress'
import { withContext } from '../context'
import { onStopSignal } from '../signals'
import { quote, writeErr } from '../../output/terminal'
import { runPreview } from './preview'

/** Differences listed per kind by default in a preview. */
export const DEFAULT_SAMPLE = 20

interface RebuildFlags {
  partitions?: number
  batchSize?: number
  leaseTtl?: number
  json?: boolean
  preview?: boolean
  sample?: number
  keep?: boolean
}

/**
 * Refuses a partition count other than the one of the rebuild in progress,
 * before anything is changed.
 * @throws {@link UsageError}
 */
export const requireRebuildPartitions = async (documents: DocumentStore, name: string, partitions: number | undefined): Promise<void> => {
  const state = await new ProjectionStates(documents).get(name)
  if (state?.rebuilding && partitions !== undefined && partitions !== state.rebuilding.partitions) {
    throw new UsageError(
      `a rebuild of ${quote(name)} into generation ${state.rebuilding.generation} with ${state.rebuilding.partitions} partition(s) is in progress: ` +
        `resume it without --partitions (or with --partitions ${state.rebuilding.partitions}), or drop it with: eventfold projections reset ${name}`,
    )
  }
}

/** `eventfold projections rebuild <name>`. */
export const rebuildCommand = (projections: Command): void => {
  projections
    .command('rebuild')
    .description('rebuild a read model into a new generation from the start of the log, then switch readers to it; resumes an interrupted rebuild')
    .argument('<name>', 'projection name')
    .option('--partitions <count>', 'partitions to build with (default: the current count, or 1)', partitionsOption)
    .option('--batch-size <events>', 'events per committed batch (default: 100000, or one second of work)', batchSizeOption)
    .option('--lease-ttl <ms>', 'how long the rebuild of a crashed process blocks the next one (default: 10000)', leaseTtlOption)
    .option('--json', 'JSON lines on stdout even on a terminal (the default when stderr is not a terminal); with --preview, the preview as one JSON document')
    .option('--preview', 'build the new generation without switching readers, and show what switching would change against the live read model')
    .option('--sample <count>', `with --preview: documents listed per kind of change, and fields per changed document (default: ${DEFAULT_SAMPLE})`, integerOption({ min: 0, max: 10_000 }))
    .option('--keep', 'with --preview: keep the preview generation as the rebuild in progress, for a later rebuild to switch to')
    .action(async (name: string, opts: RebuildFlags, command: Command) =>
      withContext(command, async (ctx) => {
        if (!opts.preview && (opts.sample !== undefined || opts.keep)) {
          throw new UsageError(`${opts.keep ? '--keep' : '--sample'} only goes with --preview (add --help for usage)`)
        }
        const app = await ctx.app()
        const projection = app.projection(name)
        const stores = await ctx.stores()
        const { eventStore, documents } = stores
        await requireRebuildPartitions(documents, name, opts.partitions)
        if (opts.preview) {
          return runPreview({
            projection,
            registry: app.registry,
            stores,
            ...(opts.partitions !== undefined ? { partitions: opts.partitions } : {}),
            ...(opts.batchSize !== undefined ? { batchSize: opts.batchSize } : {}),
            sample: opts.sample ?? DEFAULT_SAMPLE,
            keep: opts.keep ?? false,
            json: opts.json ?? false,
          })
        }
        const reporter = opts.json || !process.stderr.isTTY ? jsonLinesReporter() : progressBarReporter(name)
        // Every batch commits with its checkpoint, so stopping anywhere is safe:
        // running the command again resumes from the checkpoints. The rebuild
        // stops after its batches in flight and releases its lease, so the
        // next run need not wait for the lease to expire.
        const stop = new AbortController()
        let interrupted: NodeJS.Signals | undefined
        const dispose = onStopSignal((signal) => {
          interrupted = signal
          stop.abort()
        })
        try {
          const result = await rebuildProjection({
            eventStore,
            documents,
            projection,
            registry: app.registry,
            ...(opts.partitions !== undefined ? { partitions: opts.partitions } : {}),
            ...(opts.batchSize !== undefined ? { batchSize: opts.batchSize } : {}),
            ...(opts.leaseTtl !== undefined ? { leaseTtlMs: opts.leaseTtl } : {}),
            onProgress: (p) => reporter.update(p),
            signal: stop.signal,
          })
          if (interrupted) {
            const last = reporter.abort()
            writeErr(
              `\n${interrupted}: rebuild of ${quote(name)} interrupted at position ${last?.position ?? 'none'}; run the same command again to resume\n`,
            )
            process.exit(EXIT.interrupted)
          }
          reporter.finish(result)
        } catch (error) {
          reporter.abort()
          throw error
        } finally {
          dispose()
        }
      }),
    )
}
