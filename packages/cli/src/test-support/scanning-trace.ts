import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { EventData } from '@eventfold/core'
import { connectSqlite } from '../config/sqlite'
import { CLI_INDEX } from './build'

/**
 * Two services' SQLite logs in a temp directory, and a config naming them:
 * `order` (the console's own, with a correlation index) holds three events
 * of `flow`; `archive` offers no correlation lookup, so a trace scans its
 * 1200 events (three pages of 500, the flow's on the first and the last),
 * and its second page waits until the file `go` exists in the directory:
 * a test opens that gate once it has seen the scan in progress.
 * @returns the directory
 */
export const scanningTraceApp = async (flow: string): Promise<string> => {
  const dir = mkdtempSync(join(tmpdir(), 'eventfold-serve-scan-'))
  writeFileSync(
    join(dir, 'eventfold.config.js'),
    `
const { existsSync } = require('node:fs')
const { join } = require('node:path')
const { defineConfig, connectSqlite } = require(${JSON.stringify(CLI_INDEX)})

const gate = async () => {
  while (!existsSync(join(__dirname, 'go'))) await new Promise((resolve) => setTimeout(resolve, 10))
}
const archive = {
  connect: async (options) => {
    const stores = await connectSqlite('archive.db', options)
    const log = stores.eventStore
    const eventStore = {
      headPosition: () => log.headPosition(),
      readAll: (o) => {
        const read = log.readAll(o)
        return {
          pages: async function* () {
            let n = 0
            for await (const page of read.pages()) {
              if (n++ === 1) await gate()
              yield page
            }
          },
        }
      },
    }
    return { eventStore, close: () => stores.close() }
  },
}
module.exports = defineConfig({
  connect: () => connectSqlite('order.db'),
  projections: [],
  services: { order: { connect: () => connectSqlite('order.db') }, archive },
})
`,
  )
  const order = await connectSqlite(join(dir, 'order.db'))
  const archive = await connectSqlite(join(dir, 'archive.db'))
  try {
    await order.eventStore.appendToStream('Order-1', [
      { type: 'OrderPlaced', data: {}, metadata: { eventId: `${flow}-o1`, correlationId: flow, causationId: `${flow}-cmd-place` } },
      { type: 'StockReserved', data: {}, metadata: { eventId: `${flow}-o2`, correlationId: flow, causationId: `${flow}-o1` } },
      { type: 'OrderPaid', data: {}, metadata: { eventId: `${flow}-o3`, correlationId: flow, causationId: `${flow}-a1100` } },
    ])
    const events: EventData[] = Array.from({ length: 1200 }, (_, i) => ({
      type: 'Archived',
      data: { i },
      metadata: i === 0 || i === 1100 ? { eventId: `${flow}-a${i}`, correlationId: flow, causationId: `${flow}-o1` } : { correlationId: 'another-flow' },
    }))
    await archive.eventStore.appendToStream('Archive-1', events)
  } finally {
    await Promise.all([order.close(), archive.close()])
  }
  return dir
}
