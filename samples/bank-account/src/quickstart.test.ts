import { quickstart } from './quickstart'

describe('the README quick start', () => {
  it('runs and folds the event it appended', async () => {
    const log = jest.spyOn(console, 'log').mockImplementation(() => {})
    await expect(quickstart()).resolves.toBe(2)
    expect(log).toHaveBeenCalledWith('Counter-c1', 0n, 1n)
    log.mockRestore()
  })
})
