import type { RebuildPreview } from '@eventfold/projections'
import { printJson } from './json'
import { renderTable } from './table'
import { writeOut } from './terminal'

/** One line of the preview table: a document added or removed, or one field of a changed one. */
interface PreviewRow {
  readonly change: 'added' | 'removed' | 'changed'
  readonly collection: string
  readonly id: string
  readonly path?: string
  readonly old?: unknown
  readonly new?: unknown
}

const shown = (row: PreviewRow, key: 'old' | 'new'): string => (row.change !== 'changed' ? '' : key in row ? JSON.stringify(row[key]) ?? '' : '(none)')

const rowsOf = (preview: RebuildPreview): PreviewRow[] => [
  ...preview.added.sample.map((d): PreviewRow => ({ change: 'added', ...d })),
  ...preview.removed.sample.map((d): PreviewRow => ({ change: 'removed', ...d })),
  ...preview.changed.sample.flatMap((d) => d.fields.map((f): PreviewRow => ({ change: 'changed', collection: d.collection, id: d.id, ...f }))),
]

/** The JSON of a preview: the library's result, positions as decimal strings. */
export const printPreviewJson = (preview: RebuildPreview): void => printJson(preview)

/** A preview for a person: the counts, then a table of the sampled differences, then what became of the preview generation. */
export const printPreview = (preview: RebuildPreview, sample: number): void => {
  const { projection, liveGeneration, previewGeneration, added, removed, changed, unchanged, build } = preview
  writeOut(
    `preview of '${projection}': generation ${previewGeneration} built from the log up to position ${build.position ?? 'none'} ` +
      `(${build.eventsApplied} events applied, ${build.parked} parked); ` +
      (liveGeneration === undefined ? 'no live generation to compare with\n' : `compared with the live generation ${liveGeneration}, which was not changed\n`),
  )
  writeOut(`added ${added.count}, removed ${removed.count}, changed ${changed.count}, unchanged ${unchanged}\n`)
  const rows = rowsOf(preview)
  if (rows.length > 0) {
    const more = [added, removed, changed].some((k) => k.count > k.sample.length) || changed.sample.some((d) => d.fieldCount > d.fields.length)
    writeOut('\n')
    process.stdout.write(
      renderTable(rows, [
        { header: 'CHANGE', value: (r) => r.change },
        { header: 'COLLECTION', value: (r) => r.collection },
        { header: 'ID', value: (r) => r.id, maxWidth: 40 },
        { header: 'FIELD', value: (r) => r.path ?? '', maxWidth: 40 },
        { header: 'OLD', value: (r) => shown(r, 'old'), maxWidth: 40 },
        { header: 'NEW', value: (r) => shown(r, 'new'), maxWidth: 40 },
      ]),
    )
    if (more) writeOut(`(the first ${sample} of each kind; show more with --sample)\n`)
  }
  if (build.parked > 0) writeOut(`events were parked while building the preview: see them with: eventfold dlq list --projection ${projection}\n`)
  writeOut(
    preview.kept
      ? `\ngeneration ${previewGeneration} kept as the rebuild in progress: switch readers to it with: eventfold projections rebuild ${projection}\n`
      : `\ngeneration ${previewGeneration} dropped (keep it with --keep to switch to it later)\n`,
  )
}
