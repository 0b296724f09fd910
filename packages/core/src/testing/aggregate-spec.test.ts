import { DomainError, defineAggregate } from '../index'
import { Account, AccountOpened, Deposit, Deposited, OpenAccount } from '../__fixtures__/account'
import { AggregateSpec } from './aggregate-spec'

describe('AggregateSpec', () => {
  const spec = AggregateSpec.for<Account>(Account)

  it('passes when the command produces the expected events', async () => {
    await spec.given([new AccountOpened('a1', 'Ann')]).when(new Deposit('a1', 5)).then([new Deposited('a1', 5)])
  })

  it('fails when the events differ', async () => {
    await expect(
      spec.given([new AccountOpened('a1', 'Ann')]).when(new Deposit('a1', 5)).then([new Deposited('a1', 6)]),
    ).rejects.toThrow(/Expected values to be strictly deep-equal/)
  })

  it('asserts a rejection by error class and message', async () => {
    await spec.given([new AccountOpened('a1', 'Ann')]).when(new Deposit('a1', -1)).thenThrows(DomainError, 'positive')
    await expect(spec.given([]).when(new OpenAccount('a1', 'Ann')).thenThrows(DomainError)).rejects.toThrow(/expected DomainError/)
  })

  it('exposes the state after the new events', async () => {
    await spec
      .given([new AccountOpened('a1', 'Ann'), new Deposited('a1', 2)])
      .when(new Deposit('a1', 3))
      .thenState((s) => expect(s.balance).toBe(5))
  })

  it('works with a hand-written decider', async () => {
    type E = { type: 'Incremented'; data: { by: number } }
    const counter = defineAggregate<{ n: number }, { type: string; id: string; by: number }, E>({
      category: 'Counter',
      commands: { Increment: { aggregateId: (c) => c.id } },
      initialState: () => ({ n: 0 }),
      decide: (c, s) => {
        if (s.n + c.by > 10) throw new DomainError('too many')
        return [{ type: 'Incremented', data: { by: c.by } }]
      },
      evolve: (s, e) => ({ n: s.n + e.data.by }),
    })
    const cspec = AggregateSpec.for(counter)
    await cspec.given([{ type: 'Incremented', data: { by: 9 } }]).when({ type: 'Increment', id: 'c', by: 1 }).thenState((s) => expect(s.n).toBe(10))
    await cspec.given([{ type: 'Incremented', data: { by: 9 } }]).when({ type: 'Increment', id: 'c', by: 2 }).thenThrows(DomainError)
  })
})
