import { describe, expect, it } from '@jest/globals'
import { InMemoryDocumentStore } from '@eventfold/projections'
import { EndSaga, Saga, SagaEventHandler, Sagas, StartSaga, type CommandSender, type SagaContext } from '@eventfold/sagas'

@Saga('ids-retrying')
class Retrying {
  // One step records an undo, runs it at once (the attempt failed), and records the undo of the next attempt.
  @StartSaga('Attempted', { associate: 'jobId' })
  attempted(_e: unknown, ctx: SagaContext): void {
    ctx.compensateWith({ type: 'Undo', what: 'first' })
    ctx.compensate()
    ctx.compensateWith({ type: 'Undo', what: 'second' })
  }
  @EndSaga
  @SagaEventHandler('GaveUp', { associate: 'jobId' })
  gaveUp(_e: unknown, ctx: SagaContext): void {
    ctx.compensate()
  }
}

describe('saga command ids', () => {
  it('gives every command a saga sends its own id, compensations recorded in one step included', async () => {
    const sent: { id: string; what: unknown }[] = []
    const record: CommandSender = async (_command, c) => {
      sent.push({ id: c.id, what: c.data.what })
    }
    const sagas = new Sagas({ documents: new InMemoryDocumentStore(), sagas: [Retrying], local: record })
    const message = (id: string, type: string) => ({ id, type, data: { jobId: 'j1' }, metadata: {} })
    await sagas.handle(message('m1', 'Attempted'))
    await sagas.handle(message('m2', 'GaveUp'))
    expect(sent.map((c) => c.what)).toEqual(['first', 'second'])
    // A receiver dedupes by the id: two commands with one id would lose the second.
    expect(new Set(sent.map((c) => c.id)).size).toBe(2)
  })
})
