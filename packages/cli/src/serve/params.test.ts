import { onlyFields, Params, readJsonBody } from './params'

const params = (query: string): Params => new Params(new URLSearchParams(query))
const body = async function* (text: string): AsyncIterable<Buffer> {
  yield Buffer.from(text)
}

describe('console request parameters', () => {
  it('reads revisions, whole numbers, times and flags as the CLI options do', () => {
    expect(params('from=9223372036854775807').revision('from')).toBe(9223372036854775807n)
    expect(params('limit=50').integer('limit', { min: 1, max: 1000 })).toBe(50)
    expect(params('until=2024-05-01T09:00:00Z').time('until')).toEqual(new Date('2024-05-01T09:00:00Z'))
    expect(params('due=true').flag('due')).toBe(true)
    expect(params('').revision('from')).toBeUndefined()
  })

  it.each([
    ['from=9223372036854775808', (p: Params) => p.revision('from'), 'from: Expected a revision'],
    ['from=-1', (p: Params) => p.revision('from'), 'from: Expected a revision'],
    ['limit=1001', (p: Params) => p.integer('limit', { min: 1, max: 1000 }), 'limit: Expected a whole number from 1 to 1000.'],
    ['limit=12abc', (p: Params) => p.integer('limit', { min: 1, max: 1000 }), 'limit: Expected a whole number'],
    ['until=yesterday', (p: Params) => p.time('until'), 'until: Expected an ISO-8601 time'],
    ['due=yes', (p: Params) => p.flag('due'), 'due must be true or false'],
    ['from=1&from=2', (p: Params) => p.revision('from'), 'from is given 2 times; give it once'],
  ])('refuses %s with a 400 saying what is wrong', (query, read, message) => {
    expect(() => read(params(query))).toThrow(expect.objectContaining({ status: 400, message: expect.stringContaining(message) }))
  })

  it('reads a JSON object body, an empty one as {}', async () => {
    await expect(readJsonBody(body('{"partitions":2}'))).resolves.toEqual({ partitions: 2 })
    await expect(readJsonBody(body(''))).resolves.toEqual({})
  })

  it.each([
    ['[1]', 400, 'must be a JSON object'],
    ['null', 400, 'must be a JSON object'],
    ['{', 400, 'is not JSON'],
    ['x'.repeat(70_000), 413, 'larger than 65536 bytes'],
  ])('refuses the body %#', async (text, status, message) => {
    await expect(readJsonBody(body(text))).rejects.toMatchObject({ status, message: expect.stringContaining(message) })
  })

  it('refuses fields it does not know', () => {
    expect(() => onlyFields({ partitions: 1, force: true }, ['partitions'])).toThrow("unknown field 'force' (known: partitions)")
  })
})
