import { closeSync, mkdtempSync, openSync, readSync, rmSync, watch } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, it } from '@jest/globals'
import { runRelayCrash } from '../test-support/relay-crash'

const FILE_TRANSPORT = join(__dirname, '../test-support/file-transport.cjs')

/**
 * Reads the messages the file transport appended, as they come, into a
 * stand-in inbox (a set of message ids: each id's effect is applied once)
 * until `expected` distinct events were applied.
 */
const consumeFile = (file: string) => async (expected: number): Promise<{ deliveries: number; effects: number }> => {
  const inbox = new Set<string>()
  let deliveries = 0
  let offset = 0
  let pending = ''
  const buffer = Buffer.alloc(1 << 20)
  const readNew = (): void => {
    let fd: number
    try {
      fd = openSync(file, 'r')
    } catch {
      return // not created yet
    }
    try {
      for (let n; (n = readSync(fd, buffer, 0, buffer.length, offset)) > 0; offset += n) pending += buffer.toString('utf8', 0, n)
    } finally {
      closeSync(fd)
    }
    const lines = pending.split('\n')
    pending = lines.pop()!
    for (const line of lines) {
      deliveries++
      inbox.add((JSON.parse(line) as { id: string }).id)
    }
  }
  await new Promise<void>((resolve) => {
    const watcher = watch(join(file, '..'), () => {
      readNew()
      if (inbox.size >= expected) {
        watcher.close()
        resolve()
      }
    })
    readNew()
    if (inbox.size >= expected) {
      watcher.close()
      resolve()
    }
  })
  return { deliveries, effects: inbox.size }
}

it('publishes every event of the log through 5 SIGKILLs of the relay, some of them twice (file transport)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'eventfold-relay-crash-out-'))
  const file = join(dir, 'published.jsonl')
  try {
    const result = await runRelayCrash({ transportModule: FILE_TRANSPORT, env: { EVENTFOLD_RELAY_CRASH_FILE: file }, topic: 'crash', consume: consumeFile(file) })
    process.stdout.write(`relay crash (file transport): ${JSON.stringify(result)}\n`)
    expect(result).toMatchObject({ events: 50_000, kills: 5, effects: 50_000 })
    expect(result.duplicates).toBeGreaterThan(0)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}, 300_000)
