import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals'
import { appendAndRead, checkOutACart } from './core'
import { specifyTheCart } from './core-spec'
import { projectCarts } from './projections'
import { bankInOneFile } from './sqlite'

/** Runs the README snippets and checks what they print. */
describe('the package README snippets', () => {
  let log: ReturnType<typeof jest.spyOn>
  const printed = (): unknown[][] => log.mock.calls

  beforeEach(() => {
    log = jest.spyOn(console, 'log').mockImplementation(() => {})
  })
  afterEach(() => log.mockRestore())

  it('@eventfold/core: runs the decider through the command bus', async () => {
    await expect(checkOutACart()).resolves.toEqual({ items: ['book'], checkedOut: true })
    expect(printed()).toEqual([
      ['Cart-c1', 2n],
      [{ items: ['book'], checkedOut: true }, 2n],
    ])
  })

  it('@eventfold/core: appends with an expected revision and reads the stream back', async () => {
    await appendAndRead()
    expect(printed()).toEqual([
      ['Cart-c2', 'no_stream', 0n],
      [0n, 1n, 'CartOpened'],
    ])
  })

  it('@eventfold/core: specifies the decider given/when/then', async () => {
    await expect(specifyTheCart()).resolves.toBeUndefined()
  })

  it('@eventfold/projections: projects, queries and rebuilds a read model', async () => {
    await projectCarts()
    expect(printed()).toEqual([
      [2n, 2],
      [{ _id: 'Cart-c1', items: 1 }],
      [1, 2, 2],
    ])
  })

  it('@eventfold/sqlite: keeps log, snapshots, read models and checkpoints in one file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eventfold-readme-'))
    try {
      await bankInOneFile(join(dir, 'bank.db'))
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
    expect(printed()).toEqual([[expect.objectContaining({ _id: 'ann', owner: 'Ann', balance: 500 })]])
  })
})
