import { describe, expect, it } from '@jest/globals'
import { AggregateId, Command, Event } from '@eventfold/core'
import { defineProcessManager, EndSaga, Saga, SagaDeadlineHandler, SagaEventHandler, StartSaga, type SagaContext } from '@eventfold/sagas'
import { SagaSpec, SagaSpecError } from '@eventfold/sagas/testing'

@Event('SpecOrderPlaced')
class OrderPlaced {
  constructor(readonly orderId: string) {}
}
@Event('SpecStockReserved')
class StockReserved {
  constructor(readonly orderId: string) {}
}
@Event('SpecPaymentFailed')
class PaymentFailed {
  constructor(readonly orderId: string) {}
}
@Command('SpecReserve')
class Reserve {
  @AggregateId() readonly orderId: string
  constructor(orderId: string) {
    this.orderId = orderId
  }
}
@Command('SpecRelease')
class Release {
  @AggregateId() readonly orderId: string
  constructor(orderId: string) {
    this.orderId = orderId
  }
}
@Command('SpecCharge')
class Charge {
  @AggregateId() readonly orderId: string
  constructor(orderId: string) {
    this.orderId = orderId
  }
}

@Saga('spec-order')
class OrderSaga {
  orderId = ''
  @StartSaga(OrderPlaced, { associate: 'orderId' })
  placed(e: OrderPlaced, ctx: SagaContext): void {
    this.orderId = e.orderId
    ctx.send(new Reserve(e.orderId))
    ctx.schedule('give-up', { after: 60_000 })
  }
  @SagaEventHandler(StockReserved, { associate: 'orderId' })
  reserved(e: StockReserved, ctx: SagaContext): void {
    ctx.compensateWith(new Release(e.orderId))
    ctx.send(new Charge(e.orderId), { to: 'billing' })
  }
  @EndSaga()
  @SagaEventHandler(PaymentFailed, { associate: 'orderId' })
  failed(_e: PaymentFailed, ctx: SagaContext): void {
    ctx.compensate()
  }
  @EndSaga()
  @SagaDeadlineHandler('give-up')
  gaveUp(_p: unknown, ctx: SagaContext): void {
    ctx.compensate()
  }
}

describe('SagaSpec', () => {
  it('checks the commands a start sends and the deadline it schedules', async () => {
    await SagaSpec.for(OrderSaga)
      .given([])
      .when(new OrderPlaced('o1'))
      .then({ commands: [new Reserve('o1')], scheduled: [{ name: 'give-up', after: 60_000 }], ended: false, state: { orderId: 'o1' } })
  })

  it('checks an integration command sent to another service', async () => {
    await SagaSpec.for(OrderSaga)
      .given([new OrderPlaced('o1')])
      .when(new StockReserved('o1'))
      .then({ commands: [{ command: new Charge('o1'), to: 'billing' }], scheduled: [] })
  })

  it('checks compensation, the end and the deadlines an end cancels', async () => {
    // #region spec
    await SagaSpec.for(OrderSaga)
      .given([new OrderPlaced('o1'), new StockReserved('o1')])
      .when(new PaymentFailed('o1'))
      .then({ commands: [new Release('o1')], cancelled: ['give-up'], ended: true })
    // #endregion spec
  })

  it('delivers a deadline to the instance', async () => {
    await SagaSpec.for(OrderSaga)
      .given([new OrderPlaced('o1'), new StockReserved('o1')])
      .when(SagaSpec.deadline('give-up'))
      .then({ commands: [new Release('o1')], ended: true })
  })

  it('fails with the expected and actual commands when they differ', async () => {
    await expect(
      SagaSpec.for(OrderSaga).given([]).when(new OrderPlaced('o1')).then({ commands: [new Charge('o1')] }),
    ).rejects.toMatchObject({ type: 'SagaSpecError', what: 'commands sent', actual: [{ type: 'SpecReserve', data: { orderId: 'o1' } }] })
    await expect(SagaSpec.for(OrderSaga).given([]).when(new OrderPlaced('o1')).then({ ended: true })).rejects.toBeInstanceOf(SagaSpecError)
  })

  it('runs a decider-shaped process manager the same way', async () => {
    const shipping = defineProcessManager<{ paid: boolean }>({
      name: 'spec-shipping',
      starts: { SpecOrderPlaced: 'orderId' },
      handles: { SpecStockReserved: 'orderId' },
      initialState: () => ({ paid: false }),
      react: (m) => (m.type === 'SpecStockReserved' ? { send: [{ type: 'Ship', orderId: (m.data as { orderId: string }).orderId }], end: true } : {}),
      evolve: (s, m) => (m.type === 'SpecStockReserved' ? { paid: true } : s),
    })
    await SagaSpec.for(shipping)
      .given([{ type: 'SpecOrderPlaced', data: { orderId: 'o9' } }])
      .when({ type: 'SpecStockReserved', data: { orderId: 'o9' } })
      .then({ commands: [{ type: 'Ship', orderId: 'o9' }], ended: true, state: { paid: true } })
  })
})
