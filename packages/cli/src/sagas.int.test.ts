import { Event } from '@eventfold/core'
import { Deadlines, Saga, SagaEventHandler, Sagas, StartSaga, EndSaga, type SagaContext, type SagaMessage } from '@eventfold/sagas'
import { ensureBuilt } from './test-support/build'
import { createFixtureApp, type FixtureApp } from './test-support/fixture-app'
import { parseJson } from './test-support/run-cli'

@Event('CliTicketOpened')
class TicketOpened {
  constructor(readonly ticketId: string) {}
}
@Event('CliTicketClosed')
class TicketClosed {
  constructor(readonly ticketId: string) {}
}
@Saga('cli-ticket')
class TicketSaga {
  ticketId = ''
  @StartSaga(TicketOpened, { associate: 'ticketId' })
  opened(e: TicketOpened, ctx: SagaContext): void {
    this.ticketId = e.ticketId
    ctx.send({ type: 'Notify', ticketId: e.ticketId })
    ctx.schedule('escalate', { after: 3_600_000 })
  }
  @EndSaga()
  @SagaEventHandler(TicketClosed, { associate: 'ticketId' })
  closed(): void {}
}

const message = (id: string, type: string, ticketId: string): SagaMessage => ({ id, type, data: { ticketId }, metadata: { eventId: id } })

describe('eventfold sagas', () => {
  let app: FixtureApp

  beforeAll(() => ensureBuilt())
  beforeEach(() => {
    app = createFixtureApp()
  })
  afterEach(() => app.remove())

  const seed = (): Promise<void> =>
    app.withStores(async ({ eventStore }) => {
      await eventStore.appendToStream('Tally-t0', [{ type: 'TallyOpened', data: {} }])
    })

  it('lists no instances on a file without any', async () => {
    await seed()
    expect(await app.run(['sagas', 'list'])).toMatchObject({ code: 0, stdout: 'no saga instances\n' })
    expect(parseJson(await app.run(['sagas', 'list', '--json']))).toEqual([])
  })

  it('lists instances by saga and state, and shows one with its history and pending deadlines', async () => {
    const ids = await app.withStores(async ({ documents, deadlines }) => {
      const sagas = new Sagas({ documents, sagas: [TicketSaga], local: async () => {}, deadlines: new Deadlines(deadlines!) })
      const [a] = await sagas.handle(message('m1', 'CliTicketOpened', 't1'))
      const [b] = await sagas.handle(message('m2', 'CliTicketOpened', 't2'))
      await sagas.handle(message('m3', 'CliTicketClosed', 't2'))
      return { open: a!.sagaId, closed: b!.sagaId }
    })
    const all = parseJson<{ id: string; status: string }[]>(await app.run(['sagas', 'list', '--saga', 'cli-ticket', '--json']))
    expect(all.map((s) => [s.id, s.status]).sort()).toEqual([[ids.open, 'active'], [ids.closed, 'ended']].sort())
    const ended = parseJson<{ id: string }[]>(await app.run(['sagas', 'list', '--state', 'ended', '--json']))
    expect(ended.map((s) => s.id)).toEqual([ids.closed])
    expect(parseJson(await app.run(['sagas', 'list', '--saga', 'other', '--json']))).toEqual([])

    const shown = parseJson<Record<string, unknown>>(await app.run(['sagas', 'show', ids.open, '--json']))
    expect(shown).toMatchObject({
      id: ids.open,
      saga: 'cli-ticket',
      status: 'active',
      associations: ['ticketId=t1'],
      state: { ticketId: 't1' },
      history: [{ step: 1, messageId: 'm1', type: 'CliTicketOpened', sent: [`${ids.open}:1:0`], scheduled: ['escalate'] }],
      deadlines: [{ name: 'escalate', state: 'pending', scope: `Saga.cli-ticket-${ids.open}` }],
    })
    const closed = parseJson<{ deadlines: unknown[]; history: { cancelled: string[] }[] }>(await app.run(['sagas', 'show', ids.closed, '--json']))
    expect(closed.deadlines).toEqual([])
    expect(closed.history[1]!.cancelled).toEqual(['escalate'])
    const human = await app.run(['sagas', 'show', ids.open])
    expect(human.code).toBe(0)
    expect(human.stdout).toMatch(/^STEP\s+MESSAGE\s+AT\s+SENT\s+SCHEDULED\s+CANCELLED$/m)
    expect(human.stdout).toMatch(/^DEADLINE\s+DUE AT$/m)
  })

  it('fails with the id when no instance has it, and on an unknown --state', async () => {
    await seed()
    const missing = await app.run(['sagas', 'show', 'nope'])
    expect(missing.code).not.toBe(0)
    expect(missing.stderr).toContain("no saga instance with id 'nope'")
    const bad = await app.run(['sagas', 'list', '--state', 'sleeping'])
    expect(bad.code).not.toBe(0)
    expect(bad.stderr).toContain('--state must be active or ended')
  })
})
