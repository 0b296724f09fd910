import { previewRebuild, type ProjectionDefinition, type RebuildPreview, type RebuildProgress } from '@eventfold/projections'
import { EventfoldError, type EventRegistry } from '@eventfold/core'
import type { EventfoldConnection } from '../../config/define-config'
import { EXIT } from '../../errors'
import { progressBarReporter } from '../../output/rebuild-progress'
import { printPreview, printPreviewJson } from '../../output/rebuild-preview'
import { quote, writeErr } from '../../output/terminal'
import { onStopSignal } from '../signals'

/** What `projections rebuild <name> --preview` was asked. */
export interface PreviewRequest {
  readonly projection: ProjectionDefinition
  readonly registry: EventRegistry
  readonly stores: EventfoldConnection
  readonly partitions?: number
  readonly batchSize?: number
  readonly sample: number
  readonly keep: boolean
  readonly json: boolean
}

/** A preview stopped before its generation caught up with the log: nothing was compared, and its generation stays as a rebuild in progress. */
export class PreviewIncompleteError extends EventfoldError {
  readonly type = 'preview-incomplete' as const
  constructor(
    readonly projection: string,
    /** Where the preview's build stopped. */
    readonly position: bigint | undefined,
  ) {
    super(`the preview of ${quote(projection)} stopped at position ${position ?? 'none'}, before it caught up with the log: nothing was compared`)
  }
}

/** What {@link previewProjection} builds and compares. */
export type PreviewOptions = Omit<PreviewRequest, 'json'> & { readonly onProgress?: (progress: RebuildProgress) => void }

/**
 * Builds the next generation beside the live one and compares it with the
 * live read model, which is not written; drops it unless `keep`. What
 * `projections rebuild --preview` and the console's Preview rebuild run.
 * @throws {@link RebuildOwnedError} (from the library) when another rebuild of the projection holds its lease
 * @throws {@link PreviewIncompleteError} when the build stopped before it caught up
 */
export const previewProjection = async ({ projection, registry, stores, partitions, batchSize, sample, keep, onProgress }: PreviewOptions): Promise<RebuildPreview> => {
  const preview = await previewRebuild({
    eventStore: stores.eventStore,
    documents: stores.documents,
    projection,
    registry,
    sample,
    keep,
    ...(partitions !== undefined ? { partitions } : {}),
    ...(batchSize !== undefined ? { batchSize } : {}),
    ...(onProgress ? { onProgress } : {}),
  })
  if (!preview.completed) throw new PreviewIncompleteError(projection.name, preview.build.position)
  return preview
}

/**
 * Builds the next generation beside the live one, prints what switching to
 * it would change, and drops it unless asked to keep it. Progress goes to
 * stderr, and only on a terminal: stdout holds the preview alone.
 */
export const runPreview = async ({ projection, registry, stores, partitions, batchSize, sample, keep, json }: PreviewRequest): Promise<void> => {
  const name = projection.name
  const reporter = process.stderr.isTTY ? progressBarReporter(name, { summary: false }) : undefined
  const dispose = onStopSignal((signal) => {
    const last = reporter?.abort()
    writeErr(
      `\n${signal}: preview of ${quote(name)} interrupted at position ${last?.position ?? 'none'}; its generation stays as a rebuild in progress, ` +
        `which the same command resumes (and drops again), or which 'eventfold projections rebuild ${name}' finishes and switches to\n`,
    )
    process.exit(EXIT.interrupted)
  })
  try {
    const preview = await previewProjection({
      projection,
      registry,
      stores,
      sample,
      keep,
      ...(partitions !== undefined ? { partitions } : {}),
      ...(batchSize !== undefined ? { batchSize } : {}),
      ...(reporter ? { onProgress: (p: RebuildProgress) => reporter.update(p) } : {}),
    })
    reporter?.finish(preview.build)
    if (json) printPreviewJson(preview)
    else printPreview(preview, sample)
  } catch (error) {
    reporter?.abort()
    throw error
  } finally {
    dispose()
  }
}
