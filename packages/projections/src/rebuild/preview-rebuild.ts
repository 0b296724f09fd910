import type { DocumentStore } from '../documents/document-store'
import { abandonRebuild } from '../generations/generations'
import { physicalCollection, ProjectionStates } from '../generations/projection-state'
import type { ProjectionDefinition } from '../projection/projection-definition'
import { documentPages, fieldDifferences, type FieldDifference } from './document-diff'
import { rebuildProjection, type RebuildOptions, type RebuildResult } from './rebuild-projection'

/** Options of {@link previewRebuild}: those of a rebuild, without switching. */
export interface RebuildPreviewOptions extends Omit<RebuildOptions, 'switchReaders'> {
  /** Documents listed per kind of difference (added, removed, changed), and field differences per changed document. @default 20 */
  readonly sample?: number
  /**
   * Keep the preview generation as the rebuild in progress: a later
   * `rebuildProjection` (`eventfold projections rebuild <name>`) then only
   * applies the events appended since, and switches readers to it.
   * @default false: the preview generation is dropped
   */
  readonly keep?: boolean
  /** Documents read per query while comparing. @default 500 */
  readonly pageSize?: number
}

/** A document of a read model, by collection (the declared name) and id. */
export interface DocumentRef {
  readonly collection: string
  readonly id: string
}

/** A document present in both read models whose content differs. */
export interface ChangedDocument extends DocumentRef {
  /** The first `sample` field differences, by path. */
  readonly fields: readonly FieldDifference[]
  /** Every field difference, including those not listed. */
  readonly fieldCount: number
}

/** How many documents differ in one way, and the first `sample` of them (by collection, then id). */
export interface DifferenceKind<T> {
  readonly count: number
  readonly sample: readonly T[]
}

/** What switching to a rebuilt generation would change for readers. */
export interface RebuildPreview {
  readonly completed: true
  readonly projection: string
  /** Generation readers use, left untouched; undefined when the projection never served readers. */
  readonly liveGeneration: number | undefined
  /** Generation the preview built. */
  readonly previewGeneration: number
  /** True when the preview generation was kept as the rebuild in progress. */
  readonly kept: boolean
  /** Documents only the rebuilt read model has. */
  readonly added: DifferenceKind<DocumentRef>
  /** Documents only the live read model has. */
  readonly removed: DifferenceKind<DocumentRef>
  readonly changed: DifferenceKind<ChangedDocument>
  readonly unchanged: number
  /** The rebuild that built the preview generation. */
  readonly build: RebuildResult
}

/** A preview that `signal` stopped before its generation caught up: nothing was compared. */
export interface InterruptedRebuildPreview {
  readonly completed: false
  readonly projection: string
  readonly build: RebuildResult
}

/**
 * Rebuilds a projection into a new generation without switching readers,
 * and compares it with the live read model, document by document: which
 * documents switching would add, remove or change, with their field
 * differences. The live generation keeps serving and is never written.
 * Unless `keep`, the preview generation is dropped afterwards; an
 * interrupted preview (`signal`) stays as a resumable rebuild in progress,
 * and is compared and dropped by the next preview.
 *
 * Documents are read a page at a time, so memory stays flat; a live worker
 * may still move the live read model while it is compared.
 * @example
 * ```ts
 * const preview = await previewRebuild({ eventStore, documents, projection })
 * console.log(preview.changed.count, preview.changed.sample[0]?.fields)
 * ```
 */
export const previewRebuild = async ({ sample = 20, keep = false, pageSize = 500, ...options }: RebuildPreviewOptions): Promise<RebuildPreview | InterruptedRebuildPreview> => {
  const build = await rebuildProjection({ ...options, switchReaders: false })
  const { projection, documents } = options
  if (!build.completed) return { completed: false, projection: projection.name, build }
  const live = (await new ProjectionStates(documents).get(projection.name))?.generation
  const liveGeneration = live !== undefined && live > 0 ? live : undefined
  const differences = await compareGenerations(documents, projection, liveGeneration, build.generation, { sample, pageSize })
  if (!keep) await abandonRebuild(documents, projection, build.generation)
  return { completed: true, projection: projection.name, liveGeneration, previewGeneration: build.generation, kept: keep, ...differences, build }
}

type Differences = Pick<RebuildPreview, 'added' | 'removed' | 'changed' | 'unchanged'>

/** Compares the collections of two generations: each side's pages are looked up in the other by id. */
const compareGenerations = async (
  documents: DocumentStore,
  projection: Pick<ProjectionDefinition, 'collections'>,
  live: number | undefined,
  preview: number,
  { sample, pageSize }: { sample: number; pageSize: number },
): Promise<Differences> => {
  const added: DocumentRef[] = []
  const removed: DocumentRef[] = []
  const changed: ChangedDocument[] = []
  const counts = { added: 0, removed: 0, changed: 0, unchanged: 0 }
  for (const collection of [...projection.collections].sort()) {
    const previewName = physicalCollection(collection, preview)
    const liveName = live === undefined ? undefined : physicalCollection(collection, live)
    for await (const page of documentPages(documents, previewName, pageSize)) {
      const before = liveName ? await documents.getMany(liveName, page.map((d) => d._id)) : new Map()
      for (const doc of page) {
        const old = before.get(doc._id)?.doc
        if (!old) {
          if (counts.added++ < sample) added.push({ collection, id: doc._id })
          continue
        }
        const fields = fieldDifferences(old, doc)
        if (fields.length === 0) counts.unchanged++
        else if (counts.changed++ < sample) changed.push({ collection, id: doc._id, fields: fields.slice(0, sample), fieldCount: fields.length })
      }
    }
    if (!liveName) continue
    for await (const page of documentPages(documents, liveName, pageSize)) {
      const after = await documents.getMany(previewName, page.map((d) => d._id))
      for (const doc of page) if (!after.has(doc._id) && counts.removed++ < sample) removed.push({ collection, id: doc._id })
    }
  }
  return {
    added: { count: counts.added, sample: added },
    removed: { count: counts.removed, sample: removed },
    changed: { count: counts.changed, sample: changed },
    unchanged: counts.unchanged,
  }
}
