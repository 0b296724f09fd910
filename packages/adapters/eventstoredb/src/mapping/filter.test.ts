import { describe, expect, it } from '@jest/globals'
import { EVENT_TYPE, STREAM_NAME, type RegexFilter } from '@eventstore/db-client'
import { escapeRegex, eventTypesPattern, matchesEventFilter, streamPrefixesPattern, toEventStoreDBFilter } from './filter'

/** The server's .NET pattern read by JavaScript: `\z` (end of input) is `$` without the multiline flag. */
const asJs = (dotnet: string): RegExp => new RegExp(dotnet.replace(/\\z$/, '$'))

describe('filter mapping', () => {
  it('matches event types exactly, never as prefixes or with a trailing newline', () => {
    const pattern = eventTypesPattern(['Deposited', 'Account.Opened'])
    const re = asJs(pattern)

    expect(pattern.endsWith('\\z')).toBe(true)
    expect(['Deposited', 'Account.Opened'].filter((t) => re.test(t))).toEqual(['Deposited', 'Account.Opened'])
    expect(['DepositedV2', 'XDeposited', 'AccountXOpened', 'deposited', 'Deposited\n'].filter((t) => re.test(t))).toEqual([])
  })

  it('matches stream prefixes literally and case-sensitively', () => {
    const re = asJs(streamPrefixesPattern(['tAcc%', 'tAcc_u', 'Order-']))

    expect(['tAcc%unt-1', 'tAcc_unt-1', 'Order-7'].every((s) => re.test(s))).toBe(true)
    expect(['tAccount-1', 'taccount-1', 'tAccXunt-1', 'xOrder-7', 'order-7'].some((s) => re.test(s))).toBe(false)
  })

  it.each(['a.b', 'a*b', 'a+b', 'a?b', '(a)', '[a]', '{1}', 'a|b', '^a$', 'a\\b'])('escapes %p so it matches only itself', (literal) => {
    const re = new RegExp(`^${escapeRegex(literal)}$`)

    expect(re.test(literal)).toBe(true)
    expect(re.test(`${literal}x`)).toBe(false)
  })

  it('sends the event types to the server when there are any (the stream prefixes are checked on the client)', () => {
    const filter = toEventStoreDBFilter({ eventTypes: ['Deposited'], streamPrefixes: ['Account-'] }) as RegexFilter

    expect(filter).toMatchObject({ filterOn: EVENT_TYPE, regex: eventTypesPattern(['Deposited']), checkpointInterval: 1 })
  })

  it('sends the stream prefixes to the server when there are no event types', () => {
    const filter = toEventStoreDBFilter({ eventTypes: [], streamPrefixes: ['Account-'] }) as RegexFilter

    expect(filter).toMatchObject({ filterOn: STREAM_NAME, regex: streamPrefixesPattern(['Account-']) })
  })

  it.each([undefined, {}, { eventTypes: [], streamPrefixes: [] }])('excludes system events on the server for the empty filter %p', (empty) => {
    const filter = toEventStoreDBFilter(empty) as RegexFilter

    expect(filter.filterOn).toBe(EVENT_TYPE)
    expect(new RegExp(filter.regex).test('$metadata')).toBe(false)
    expect(new RegExp(filter.regex).test('Deposited')).toBe(true)
  })

  it('passes the checkpoint callback and interval to the server filter', () => {
    const checkpointReached = (): void => undefined

    expect(toEventStoreDBFilter({ eventTypes: ['A'] }, { checkpointReached, checkpointInterval: 4 })).toMatchObject({
      checkpointReached,
      checkpointInterval: 4,
    })
  })

  it.each([
    ['an ordinary event', { streamId: 'Account-1', type: 'Deposited' }, true],
    ['an event of a system stream', { streamId: '$stats-127.0.0.1:2113', type: 'StatsCollected' }, false],
    ['a system event type', { streamId: 'Account-1', type: '$metadata' }, false],
    ['a link', { streamId: 'Account-1', type: '$>' }, false],
  ])('lets %s through the client-side check accordingly', (_label, event, through) => {
    expect(matchesEventFilter(undefined, event)).toBe(through)
  })

  it('checks both dimensions on the client', () => {
    const filter = { eventTypes: ['Deposited'], streamPrefixes: ['Account-'] }

    expect(matchesEventFilter(filter, { streamId: 'Account-1', type: 'Deposited' })).toBe(true)
    expect(matchesEventFilter(filter, { streamId: 'Order-1', type: 'Deposited' })).toBe(false)
    expect(matchesEventFilter(filter, { streamId: 'Account-1', type: 'Opened' })).toBe(false)
  })
})
