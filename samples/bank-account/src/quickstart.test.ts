import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { quickstart } from './quickstart'

describe('the README quick start', () => {
  it('runs and folds the event it appended', async () => {
    const log = jest.spyOn(console, 'log').mockImplementation(() => {})
    await expect(quickstart()).resolves.toBe(2)
    expect(log).toHaveBeenCalledWith('Counter-c1', 0n, 1n)
    log.mockRestore()
  })

  it.each([
    ['quickstart.ts', 'quickstart'],
    ['projections/account-balances.ts', 'projection'],
  ])('quotes %s (region %s) verbatim in README.md', (file, name) => {
    const source = readFileSync(join(__dirname, file), 'utf8')
    const region = new RegExp(`// #region ${name}\\n([\\s\\S]*?)// #endregion ${name}`).exec(source)![1]!
    const readme = readFileSync(join(__dirname, '../../../README.md'), 'utf8')
    expect(readme).toContain('```ts\n' + region + '```')
  })
})
