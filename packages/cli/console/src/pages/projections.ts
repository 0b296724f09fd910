import { post, seg } from '../api'
import { get } from '../api'
import { h, table } from '../dom'
import type { Page, PageContext } from './page'

interface Generation {
  readonly generation: number
  readonly version: number
  readonly lag: number
  readonly partitions: { partition: string; checkpoint: string | null; lag: number }[]
}

interface Status {
  readonly name: string
  readonly state: string
  readonly codeVersion: number
  readonly stale: boolean
  readonly active: Generation | null
  readonly rebuilding: (Generation & { startedAt: string }) | null
  readonly head: string | null
  readonly deadLetters: number
  readonly live: {
    state: 'running' | 'done' | 'failed'
    progress: { percent: number; position: string | null; head: string | null; eventsPerSecond: number; etaSeconds: number | null } | null
    error: string | null
  } | null
}

/** How often the page asks again, so lag and rebuild progress move while it is open. */
const POLL_MS = 1000

const lowest = (g: Generation | null): string => {
  if (!g) return '-'
  if (g.partitions.some((p) => p.checkpoint === null)) return 'none'
  return g.partitions.map((p) => BigInt(p.checkpoint!)).reduce((a, b) => (a < b ? a : b)).toString()
}

const rebuildText = (s: Status): string => {
  const live = s.live
  const parts: string[] = []
  if (s.rebuilding) parts.push(`gen ${s.rebuilding.generation} at ${lowest(s.rebuilding)}, lag ${s.rebuilding.lag}`)
  if (live?.state === 'running' && live.progress) {
    parts.push(`${live.progress.percent}% (${live.progress.eventsPerSecond} events/s${live.progress.etaSeconds !== null ? `, ${live.progress.etaSeconds} s left` : ''})`)
  }
  if (live?.state === 'done' && !s.rebuilding) parts.push('rebuilt')
  if (live?.state === 'failed') parts.push(`failed: ${live.error ?? ''}`)
  return parts.join(' · ') || '-'
}

const act = async (ctx: PageContext, what: 'rebuild' | 'reset', name: string): Promise<void> => {
  if (what === 'reset' && !confirm(`Drop the read model of '${name}'? The next worker builds it again from the start of the log.`)) return
  try {
    await post(`/api/projections/${seg(name)}/${what}`)
    ctx.notify(what === 'rebuild' ? `rebuild of '${name}' started` : `'${name}' reset: the next worker builds it from the start of the log`)
  } catch (error) {
    ctx.notify((error as Error).message, true)
  }
}

/** What `projections rebuild <name> --preview --json` prints (documents by collection and id). */
interface Preview {
  readonly projection: string
  /** Absent when the projection never served readers. */
  readonly liveGeneration?: number
  readonly previewGeneration: number
  readonly kept: boolean
  readonly added: { count: number; sample: { collection: string; id: string }[] }
  readonly removed: { count: number; sample: { collection: string; id: string }[] }
  readonly changed: { count: number; sample: { collection: string; id: string; fields: { path: string; old?: unknown; new?: unknown }[]; fieldCount: number }[] }
  readonly unchanged: number
  readonly build: { position: string | null; eventsApplied: number; parked: number }
}

interface PreviewRow {
  readonly change: 'added' | 'removed' | 'changed'
  readonly collection: string
  readonly id: string
  readonly field?: { path: string; old?: unknown; new?: unknown }
}

/** A field's value as JSON text; a field one side lacks is `(none)`. */
const shown = (field: PreviewRow['field'], key: 'old' | 'new'): string => (!field ? '' : key in field ? (JSON.stringify(field[key]) ?? '') : '(none)')

/** A preview as the CLI prints it: the counts, the sampled differences (one row per changed field), what became of the generation. */
const previewView = (p: Preview): HTMLElement => {
  const rows: PreviewRow[] = [
    ...p.added.sample.map((d): PreviewRow => ({ change: 'added', ...d })),
    ...p.removed.sample.map((d): PreviewRow => ({ change: 'removed', ...d })),
    ...p.changed.sample.flatMap((d) => d.fields.map((field): PreviewRow => ({ change: 'changed', collection: d.collection, id: d.id, field }))),
  ]
  const more = [p.added, p.removed, p.changed].some((k) => k.count > k.sample.length) || p.changed.sample.some((d) => d.fieldCount > d.fields.length)
  return h(
    'section',
    { id: 'preview', 'data-projection': p.projection },
    h('h2', {}, `Preview of a rebuild of '${p.projection}'`),
    h(
      'p',
      {},
      `generation ${p.previewGeneration} built from the log up to position ${p.build.position ?? 'none'} (${p.build.eventsApplied} events applied, ${p.build.parked} parked); `,
      p.liveGeneration === undefined ? 'no live generation to compare with' : `compared with the live generation ${p.liveGeneration}, which was not changed`,
    ),
    h('p', { id: 'preview-counts' }, `added ${p.added.count}, removed ${p.removed.count}, changed ${p.changed.count}, unchanged ${p.unchanged}`),
    rows.length > 0
      ? table(
          rows,
          [
            { header: 'change', cell: (r) => r.change },
            { header: 'collection', cell: (r) => r.collection },
            { header: 'id', cell: (r) => r.id },
            { header: 'field', cell: (r) => r.field?.path ?? '' },
            { header: 'old', cell: (r) => shown(r.field, 'old'), className: 'data' },
            { header: 'new', cell: (r) => shown(r.field, 'new'), className: 'data' },
          ],
          { id: 'preview-differences' },
        )
      : null,
    more ? h('p', { class: 'muted' }, 'a sample of each kind is listed; the CLI lists more with --sample') : null,
    h('p', { class: 'muted' }, p.kept ? `generation ${p.previewGeneration} kept as the rebuild in progress` : `generation ${p.previewGeneration} dropped`),
  )
}

const preview = async (ctx: PageContext, name: string, into: HTMLElement): Promise<void> => {
  ctx.notify(`building a preview of '${name}'…`)
  try {
    const p = await post<Preview>(`/api/projections/${seg(name)}/preview`)
    into.replaceChildren(previewView(p))
    ctx.notify(`preview of '${name}': added ${p.added.count}, removed ${p.removed.count}, changed ${p.changed.count}; the live read model was not changed`)
  } catch (error) {
    ctx.notify((error as Error).message, true)
  }
}

/** Projections with their lag, live rebuild progress, rebuild, a preview of a rebuild, and reset. */
export const projectionsPage: Page = {
  route: 'projections',
  title: 'Projections',
  render: async (ctx) => {
    const holder = h('div', {})
    // Outside the table the poll redraws, so that a preview stays on the page.
    const previewHolder = h('div', {})
    const draw = (statuses: Status[]): void => {
      holder.replaceChildren(
        table(
          statuses,
          [
            { header: 'name', cell: (s) => s.name },
            { header: 'state', cell: (s) => h('span', { class: 'state' }, s.state) },
            { header: 'gen', cell: (s) => (s.active ? s.active.generation : '-'), className: 'num' },
            { header: 'version', cell: (s) => (s.active ? `${s.active.version}${s.stale ? ` (code ${s.codeVersion}: stale)` : ''}` : `code ${s.codeVersion}`) },
            { header: 'checkpoint', cell: (s) => lowest(s.active), className: 'num' },
            { header: 'head', cell: (s) => s.head ?? 'empty log', className: 'num' },
            { header: 'lag', cell: (s) => h('span', { class: 'lag' }, s.active ? s.active.lag : '-'), className: 'num' },
            { header: 'dead letters', cell: (s) => s.deadLetters, className: 'num' },
            { header: 'rebuilding', cell: (s) => h('span', { class: 'rebuild' }, rebuildText(s)) },
            {
              header: '',
              cell: (s) =>
                h(
                  'span',
                  {},
                  h('button', { type: 'button', onclick: () => void act(ctx, 'rebuild', s.name), disabled: s.live?.state === 'running' }, 'Rebuild'),
                  h('button', { type: 'button', class: 'preview', onclick: () => void preview(ctx, s.name, previewHolder), disabled: s.live?.state === 'running' }, 'Preview rebuild'),
                  h('button', { type: 'button', onclick: () => void act(ctx, 'reset', s.name) }, 'Reset'),
                ),
            },
          ],
          { id: 'projections' },
        ),
      )
      for (const [i, s] of statuses.entries()) holder.querySelectorAll('tbody tr')[i]?.setAttribute('data-projection', s.name)
    }
    draw(await get<Status[]>('/api/projections'))
    let stopped = false
    const timer = setInterval(() => {
      get<Status[]>('/api/projections').then(
        (s) => !stopped && draw(s),
        (error: Error) => ctx.notify(error.message, true),
      )
    }, POLL_MS)
    ctx.onLeave(() => {
      stopped = true
      clearInterval(timer)
    })
    return h('section', {}, h('h1', {}, 'Projections'), h('p', { class: 'muted' }, 'lag: events of the projection’s types after its checkpoint; refreshed every second'), holder, previewHolder)
  },
}
