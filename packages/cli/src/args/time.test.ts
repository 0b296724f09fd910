import { isoTimeOption } from './time'

describe('isoTimeOption', () => {
  it.each([
    ['2024-05-01', '2024-05-01T00:00:00.000Z'],
    ['2024-05-01T12:00:00Z', '2024-05-01T12:00:00.000Z'],
    ['2024-05-01T12:00:00.123456Z', '2024-05-01T12:00:00.123Z'],
    ['2024-05-01T14:00+02:00', '2024-05-01T12:00:00.000Z'],
    ['2024-02-29T00:00:00Z', '2024-02-29T00:00:00.000Z'],
  ])('reads %s', (text, iso) => {
    expect(isoTimeOption(text).toISOString()).toBe(iso)
  })

  it.each(['yesterday', '05/01/2024', '2024-13-01', '2024-02-30', '2023-02-29', '2024-05-01T25:00Z', '2024-5-1', '1714564800000', ''])(
    'rejects %j',
    (text) => {
      expect(() => isoTimeOption(text)).toThrow('Expected an ISO-8601 time, like 2024-05-01T12:00:00Z.')
    },
  )
})
