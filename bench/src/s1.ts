import { join } from 'node:path'
import { createEventfold, defineAggregate, type EventStore } from '@eventfold/core'
import { defineProcessManager, dedupeSagaCommands, localCommands, Sagas, SagaWorker, type SagaOutcome } from '@eventfold/sagas'
import { openSqlite, SqliteDocumentStore, SqliteEventStore, type SqliteConnection } from '@eventfold/sqlite'

/** S1's size: saga instances per run. */
export interface S1Plan {
  readonly instances: number
  readonly runs: number
  readonly dir: string
}

/** One side's medians and runs, in instances completed per second. */
export interface S1Side {
  readonly median: number
  readonly runs: readonly number[]
}

/** What S1 measured. */
export interface S1Report {
  readonly instances: number
  readonly saga: S1Side
  readonly handWritten: S1Side
  readonly ratio: number
  readonly target: number
  readonly pass: boolean
}

const TARGET = 0.5
const TYPES = ['S1OrderPlaced', 'S1StockReserved', 'S1PaymentTaken', 'S1OrderShipped']

type S1Command = { readonly type: 'S1ReserveStock' | 'S1TakePayment' | 'S1Ship'; readonly orderId: string }

// One order aggregate takes the three steps' commands; what differs between the sides is only what drives them.
const Order = defineAggregate<null, S1Command, { type: string; data: { orderId: string } }>({
  category: 'S1Order',
  commands: {
    S1ReserveStock: { aggregateId: (c) => c.orderId },
    S1TakePayment: { aggregateId: (c) => c.orderId },
    S1Ship: { aggregateId: (c) => c.orderId },
  },
  initialState: () => null,
  decide: (c) => [{ type: { S1ReserveStock: 'S1StockReserved', S1TakePayment: 'S1PaymentTaken', S1Ship: 'S1OrderShipped' }[c.type], data: { orderId: c.orderId } }],
  evolve: (s) => s,
})

/** The step each event leads to: the command it sends, or the end. */
const nextCommand = (event: { type: string; data: unknown }): S1Command | undefined => {
  const orderId = (event.data as { orderId: string }).orderId
  if (event.type === 'S1OrderPlaced') return { type: 'S1ReserveStock', orderId }
  if (event.type === 'S1StockReserved') return { type: 'S1TakePayment', orderId }
  if (event.type === 'S1PaymentTaken') return { type: 'S1Ship', orderId }
  return undefined
}

/** The three-step saga as a process manager. */
const fulfilment = defineProcessManager<{ step: number }>({
  name: 's1-fulfilment',
  starts: { S1OrderPlaced: 'orderId' },
  handles: { S1StockReserved: 'orderId', S1PaymentTaken: 'orderId', S1OrderShipped: 'orderId' },
  initialState: () => ({ step: 0 }),
  react: (m) => {
    const command = nextCommand(m)
    return command === undefined ? { end: true } : { send: [command] }
  },
  evolve: (s) => ({ step: s.step + 1 }),
})

/** Opens a fresh file and places `instances` orders in it (untimed). */
const open = async (file: string, instances: number): Promise<{ sqlite: SqliteConnection; eventStore: EventStore }> => {
  const sqlite = openSqlite(file)
  const eventStore = new SqliteEventStore(sqlite)
  for (let i = 0; i < instances; i++) await eventStore.appendToStream(`S1Order-o${i}`, [{ type: 'S1OrderPlaced', data: { orderId: `o${i}` } }])
  return { sqlite, eventStore }
}

/** The saga side: a saga worker following the log, instances as documents, commands on the bus with dedupe. */
const sagaRun = async (file: string, instances: number): Promise<number> => {
  const { sqlite, eventStore } = await open(file, instances)
  const documents = new SqliteDocumentStore(sqlite)
  const app = createEventfold({ eventStore, aggregates: [Order], middleware: [dedupeSagaCommands(eventStore)] })
  let completed = 0
  let done!: () => void
  const finished = new Promise<void>((resolve) => (done = resolve))
  const onOutcome = (o: SagaOutcome): void => {
    if (o.ended && ++completed === instances) done()
  }
  const sagas = new Sagas({ documents, sagas: [fulfilment], local: localCommands(app.commandBus), onOutcome })
  const worker = new SagaWorker(sagas, { eventStore, documents })
  const started = performance.now()
  void worker.start()
  await finished
  const seconds = (performance.now() - started) / 1000
  await worker.stop()
  await sqlite.close()
  return instances / seconds
}

/** The same flow by hand: a subscription to the log, a state table, the commands on the bus, a checkpoint per batch. */
const handRun = async (file: string, instances: number): Promise<number> => {
  const { sqlite, eventStore } = await open(file, instances)
  const { db } = sqlite
  db.exec('CREATE TABLE s1_state (order_id TEXT PRIMARY KEY, step INTEGER NOT NULL, ended INTEGER NOT NULL); CREATE TABLE s1_checkpoint (name TEXT PRIMARY KEY, position TEXT NOT NULL)')
  const read = db.prepare<[string], { step: number; ended: number }>('SELECT step, ended FROM s1_state WHERE order_id = ?')
  const write = db.prepare('INSERT INTO s1_state (order_id, step, ended) VALUES (?, ?, ?) ON CONFLICT (order_id) DO UPDATE SET step = excluded.step, ended = excluded.ended')
  const checkpoint = db.prepare("INSERT INTO s1_checkpoint (name, position) VALUES ('s1', ?) ON CONFLICT (name) DO UPDATE SET position = excluded.position")
  const app = createEventfold({ eventStore, aggregates: [Order] })
  const subscription = eventStore.subscribeToAll({ fromPosition: 'start', filter: { eventTypes: TYPES } })
  let completed = 0
  const started = performance.now()
  while (completed < instances) {
    const batch = await subscription.nextBatch(64)
    for (const event of batch) {
      const orderId = (event.data as { orderId: string }).orderId
      const state = read.get(orderId) ?? { step: 0, ended: 0 }
      if (state.ended) continue
      const command = nextCommand(event)
      if (command !== undefined) await app.commandBus.execute(command, { metadata: { causationId: event.metadata.eventId } })
      write.run(orderId, state.step + 1, command === undefined ? 1 : 0)
      if (command === undefined) completed++
    }
    const last = batch.at(-1)
    if (last !== undefined) checkpoint.run(last.position.toString())
  }
  const seconds = (performance.now() - started) / 1000
  await subscription.close()
  await sqlite.close()
  return instances / seconds
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2
}

/** S1: a three-step saga, all local, on one embedded SQLite file, beside the same flow written by hand; which side goes first alternates. */
export const runS1 = async (plan: S1Plan, progress: (label: string) => void): Promise<S1Report> => {
  const saga: number[] = []
  const hand: number[] = []
  const sides = [
    { label: 'saga', rates: saga, run: sagaRun },
    { label: 'hand-written', rates: hand, run: handRun },
  ]
  for (let run = 0; run < plan.runs; run++) {
    // Alternate which side goes first, so neither always pays for the first run's warm-up.
    for (const side of run % 2 === 0 ? sides : [...sides].reverse()) {
      progress(`S1 ${side.label} run ${run + 1}/${plan.runs}`)
      side.rates.push(await side.run(join(plan.dir, `s1-${side.label}-${process.pid}-${run}.db`), plan.instances))
    }
  }
  const ratio = median(saga) / median(hand)
  return { instances: plan.instances, saga: { median: median(saga), runs: saga }, handWritten: { median: median(hand), runs: hand }, ratio, target: TARGET, pass: ratio >= TARGET }
}

/** S1's lines of the text report. */
export const formatS1 = (r: S1Report): string =>
  [
    '',
    `S1  saga instances completed per second (three-step saga, all local, embedded SQLite; ${r.instances} instances, medians of ${r.saga.runs.length})`,
    `    saga (SagaWorker + Sagas + dedupeSagaCommands)   ${r.saga.median.toFixed(0)}/s   runs ${r.saga.runs.map((x) => x.toFixed(0)).join(', ')}`,
    `    hand-written (subscription + state table)        ${r.handWritten.median.toFixed(0)}/s   runs ${r.handWritten.runs.map((x) => x.toFixed(0)).join(', ')}`,
    `    ratio ${r.ratio.toFixed(2)}  target ≥ ${r.target}  ${r.pass ? 'pass' : 'FAIL'}`,
    '',
  ].join('\n')
