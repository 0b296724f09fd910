import { aggregateStreamId, isDomainError, type EventRead, type EventStore, type RecordedEvent, type SnapshotStore } from '@eventfold/core'
import { eventRead } from '@eventfold/core/spi'
import type { DocumentStore } from '@eventfold/projections'
import { BankQueries, catchUpReadModels } from './read-models'
import { createBankApp } from './app'
import { Account } from './domain/account'
import { CloseAccount, DepositMoney, OpenAccount, WithdrawMoney } from './domain/commands'

const money = (cents: number): string => (cents / 100).toFixed(2)

/** What the scripted session ends with, for tests. */
export interface DemoSummary {
  readonly accounts: readonly { id: string; owner: string; balance: number; closed: boolean; revision: bigint | undefined }[]
  readonly rejected: readonly string[]
  readonly conflictsRetried: number
}

/**
 * A scripted session: opens two accounts, moves money, has one command
 * rejected by a rule and one concurrency conflict resolved by retry, closes
 * an account, then prints each stream and the final state. Given a document
 * store, it then projects the read models and queries them.
 */
export const runDemo = async (
  { eventStore, snapshotStore, documents }: { eventStore: EventStore; snapshotStore?: SnapshotStore; documents?: DocumentStore },
  print: (line: string) => void = console.log,
): Promise<DemoSummary> => {
  let conflictsRetried = 0
  const tellers = new TellerRace(eventStore)
  const app = createBankApp({
    eventStore: tellers.store,
    ...(snapshotStore ? { snapshotStore } : {}),
    retry: {
      maxAttempts: 10,
      onRetry: (error, ctx) => {
        conflictsRetried++
        print(
          `    conflict on ${error.streamId}: expected revision ${String(error.expected)}, stream is at ${String(error.actual)}` +
            ` — reloading and retrying ${ctx.commandType} (attempt ${ctx.attempt + 1})`,
        )
      },
    },
  })
  const rejected: string[] = []

  const run = async (label: string, command: object): Promise<void> => {
    try {
      const r = await app.commandBus.execute(command)
      print(`> ${label.padEnd(34)} → ${r.streamId} revision ${r.nextRevision}, position ${r.position}`)
    } catch (error) {
      if (!isDomainError(error)) throw error
      rejected.push(error.code ?? error.message)
      print(`> ${label.padEnd(34)} ✗ rejected: ${error.message} [${error.code}]`)
    }
  }

  await run('OpenAccount ann (Ann)', new OpenAccount('ann', 'Ann'))
  await run('DepositMoney ann 100.00', new DepositMoney('ann', 10_000))
  await run('OpenAccount bob (Bob)', new OpenAccount('bob', 'Bob'))
  await run('DepositMoney bob 50.00', new DepositMoney('bob', 5_000))
  await run('WithdrawMoney ann 30.00', new WithdrawMoney('ann', 3_000))
  await run('WithdrawMoney bob 80.00', new WithdrawMoney('bob', 8_000))

  print('> two tellers deposit into ann at the same moment (20.00 and 5.00)')
  // Both commands load revision 2 before either appends: one wins, the other
  // gets a ConcurrencyError, reloads and decides again.
  const results = await tellers.race(2, () =>
    Promise.all([app.commandBus.execute(new DepositMoney('ann', 2_000)), app.commandBus.execute(new DepositMoney('ann', 500))]),
  )
  print(`    both deposits stored, at revisions ${results.map((r) => r.nextRevision).join(' and ')}`)

  await run('WithdrawMoney bob 50.00', new WithdrawMoney('bob', 5_000))
  await run('CloseAccount bob', new CloseAccount('bob'))
  await run('DepositMoney bob 1.00', new DepositMoney('bob', 100))

  const accounts: DemoSummary['accounts'][number][] = []
  for (const id of ['ann', 'bob']) {
    const streamId = aggregateStreamId(Account, id)
    print('')
    print(`stream ${streamId}:`)
    for await (const e of eventStore.readStream(streamId)) print(`  ${describe(e)}`)
    const loaded = await app.repository.get<Account>(Account, id)
    const { owner, balance, closed } = loaded.state
    accounts.push({ id, owner, balance, closed, revision: loaded.revision })
  }
  print('')
  print('final state:')
  for (const a of accounts) {
    print(`  ${a.id.padEnd(5)} owner ${a.owner.padEnd(5)} balance ${money(a.balance).padStart(7)}  ${a.closed ? 'closed' : 'open  '}  revision ${a.revision}`)
  }
  if (documents) {
    await catchUpReadModels(eventStore, documents)
    const queries = new BankQueries(documents)
    print('')
    print('read models (projected from the log, then queried):')
    for (const a of await queries.accountsWithMoney()) print(`  account ${a._id}: balance ${money(a.balance as number)} after ${a.movements} movements`)
    for (const owner of ['Ann', 'Bob']) {
      const o = await queries.ownerSummary(owner)
      if (o) print(`  owner ${owner}: ${o.accounts} account(s), ${o.openAccounts} open, total ${money(o.balance as number)}`)
    }
    for (const d of await queries.dailyTotals()) {
      print(`  day ${d._id}: deposits ${money(d.deposits as number)}, withdrawals ${money(d.withdrawals as number)}, net ${money(d.net as number)}`)
    }
  }
  return { accounts, rejected, conflictsRetried }
}

const describe = (e: RecordedEvent): string =>
  `revision ${String(e.revision).padEnd(2)} position ${String(e.position).padEnd(3)} ${e.type.padEnd(15)} ${JSON.stringify(e.data)}  correlation ${String(e.metadata.correlationId).slice(0, 8)}`

/**
 * Makes the two tellers' race deterministic on any store: while a race is
 * on, appends wait until every contender has read the stream, exactly as
 * when two requests arrive at the same moment on a busy server. Nothing
 * else about the store changes.
 */
class TellerRace {
  readonly store: EventStore
  private gate: { contenders: number; reads: number; open: () => void; opened: Promise<void> } | undefined

  constructor(inner: EventStore) {
    const race = this
    this.store = {
      readStream: (streamId, options) => race.counted(inner.readStream(streamId, options)),
      appendToStream: async (streamId, events, options) => {
        await race.gate?.opened
        return inner.appendToStream(streamId, events, options)
      },
      readAll: (options) => inner.readAll(options),
      subscribeToAll: (options) => inner.subscribeToAll(options),
      streamRevision: (streamId) => inner.streamRevision(streamId),
      headPosition: () => inner.headPosition(),
      close: () => inner.close(),
    }
  }

  async race<T>(contenders: number, run: () => Promise<T>): Promise<T> {
    let open!: () => void
    const opened = new Promise<void>((resolve) => (open = resolve))
    this.gate = { contenders, reads: 0, open, opened }
    try {
      return await run()
    } finally {
      open()
      this.gate = undefined
    }
  }

  private counted(read: EventRead): EventRead {
    const race = this
    return eventRead(async function* (): AsyncGenerator<readonly RecordedEvent[]> {
      yield* read.pages()
      const gate = race.gate
      if (gate && ++gate.reads >= gate.contenders) gate.open()
    })
  }
}
