import { Deadlines, EndSaga, Saga, SagaEventHandler, Sagas, StartSaga, type SagaContext, type SagaMessage } from '@eventfold/sagas'
import type { DeadlineStore } from '@eventfold/sagas'
import type { DocumentStore } from '@eventfold/projections'

/** A subject that tries to run a script in the console. */
export const HOSTILE_SUBJECT = '<script>document.title = "pwned"</script><img src=x onerror="document.title = \'pwned\'">help'

/** Epoch milliseconds of the `reply` deadline every seeded ticket schedules: long past, so it is overdue. */
export const REPLY_DUE = Date.parse('2026-01-01T00:00:00Z')

@Saga('console-ticket')
class TicketSaga {
  ticketId = ''
  subject = ''
  @StartSaga('ConsoleTicketOpened', { associate: 'ticketId' })
  opened(e: { ticketId: string; subject: string }, ctx: SagaContext): void {
    this.ticketId = e.ticketId
    this.subject = e.subject
    ctx.schedule('reply', { at: REPLY_DUE })
    ctx.schedule('escalate', { after: 24 * 3_600_000 })
  }
  @EndSaga()
  @SagaEventHandler('ConsoleTicketClosed', { associate: 'ticketId' })
  closed(): void {}
}

@Saga('console-visit')
class VisitSaga {
  @StartSaga('ConsoleVisitStarted', { associate: 'visitId' })
  started(): void {}
}

/** A message of the flow `flow-<ticket or visit id>`. */
const message = (id: string, type: string, data: Record<string, unknown>): SagaMessage => ({
  id,
  type,
  data,
  metadata: { eventId: id, correlationId: `flow-${String(data.ticketId ?? data.visitId)}` },
})

/** The instances {@link seedSagas} made. */
export interface SeededSagas {
  /** Active, its state holds {@link HOSTILE_SUBJECT}, with pending deadlines `reply` (overdue) and `escalate`. */
  readonly hostile: string
  /** Active. */
  readonly open: string
  /** Ended (its deadlines cancelled). */
  readonly closed: string
  /** Active instances of `console-visit`. */
  readonly visits: readonly string[]
}

const runtime = (documents: DocumentStore, deadlines: DeadlineStore): Sagas => new Sagas({ documents, sagas: [TicketSaga, VisitSaga], deadlines: new Deadlines(deadlines) })

/** Ends the ticket saga of `ticketId`, as its closing event would. */
export const closeTicket = async (documents: DocumentStore, deadlines: DeadlineStore, ticketId: string): Promise<void> => {
  await runtime(documents, deadlines).handle(message(`close-${ticketId}`, 'ConsoleTicketClosed', { ticketId }))
}

/** Saga instances made by the sagas runtime itself: three tickets (one ended) and two visits. */
export const seedSagas = async (documents: DocumentStore, deadlines: DeadlineStore): Promise<SeededSagas> => {
  const sagas = runtime(documents, deadlines)
  const start = async (id: string, type: string, data: Record<string, unknown>): Promise<string> => (await sagas.handle(message(id, type, data)))[0]!.sagaId
  const hostile = await start('m1', 'ConsoleTicketOpened', { ticketId: 't1', subject: HOSTILE_SUBJECT })
  const open = await start('m2', 'ConsoleTicketOpened', { ticketId: 't2', subject: 'printer' })
  const closed = await start('m3', 'ConsoleTicketOpened', { ticketId: 't3', subject: 'lost badge' })
  await sagas.handle(message('m4', 'ConsoleTicketClosed', { ticketId: 't3' }))
  const visits = [await start('m5', 'ConsoleVisitStarted', { visitId: 'v1' }), await start('m6', 'ConsoleVisitStarted', { visitId: 'v2' })]
  return { hostile, open, closed, visits }
}
