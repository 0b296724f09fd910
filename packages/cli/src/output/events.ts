import type { RecordedEvent } from '@eventfold/core'
import { JsonArrayWriter, toJson } from './json'
import { printTable, TableWriter, type Column } from './table'

/** A recorded event as the CLI prints it in JSON: every field, in a stable order. */
export const eventJson = (e: RecordedEvent) => ({
  streamId: e.streamId,
  revision: e.revision,
  position: e.position,
  type: e.type,
  data: e.data,
  metadata: e.metadata,
})

const EVENT_COLUMNS: readonly Column<RecordedEvent>[] = [
  { header: 'REVISION', value: (e) => e.revision.toString(), align: 'right' },
  { header: 'POSITION', value: (e) => e.position.toString(), align: 'right' },
  { header: 'TYPE', value: (e) => e.type },
  { header: 'OCCURRED AT', value: (e) => String(e.metadata.occurredAt ?? '') },
  { header: 'DATA', value: (e) => toJson(e.data), maxWidth: 80 },
]

/** Prints events as a table, one per line, data as compact JSON. */
export const printEventTable = (events: readonly RecordedEvent[], empty: string): void => printTable(events, EVENT_COLUMNS, empty)

/**
 * Prints events as they are read (a JSON array or a table), holding none of
 * them. Returns how many were printed.
 */
export const streamEvents = async (events: AsyncIterable<RecordedEvent>, { json }: { json: boolean }): Promise<number> => {
  if (json) {
    const out = new JsonArrayWriter()
    for await (const e of events) out.add(eventJson(e))
    return out.end()
  }
  const out = new TableWriter(EVENT_COLUMNS)
  for await (const e of events) out.add(e)
  return out.end()
}
