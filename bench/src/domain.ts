import {
  defineAggregate,
  Aggregate,
  AggregateId,
  AggregateRoot,
  Command,
  CommandHandler,
  DomainError,
  Event,
  EventSourcingHandler,
} from '@eventfold/core'

/**
 * The benchmark's domain: a ledger per stream, one entry per event. Both
 * sides (eventfold and raw better-sqlite3) build the same event data with
 * {@link entryData}, fold it with the same rule and store the same bytes.
 */

/** Stream category; stream ids are `Ledger-<id>` on both sides. */
export const CATEGORY = 'Ledger'
export const OPENED = 'LedgerOpened'
export const RECORDED = 'EntryRecorded'

/** Ids sort in creation order and have a fixed width, so every payload has the same size. */
export const ledgerId = (index: number): string => `L${String(index).padStart(6, '0')}`
export const streamIdOf = (id: string): string => `${CATEGORY}-${id}`

// Sized so that one event's data is about 200 bytes of JSON.
const NOTE = 'Monthly settlement of the ledger entry, carried over from the previous period and reconciled.'

/** The fields of one entry: what a command carries and what its event records. */
export interface EntryFields {
  readonly ledgerId: string
  readonly seq: number
  readonly amount: number
  readonly currency: string
  readonly reference: string
  readonly note: string
}

/** The data of the `seq`-th event of a ledger. Event 0 is `LedgerOpened`, the others `EntryRecorded`. */
export const entryData = (id: string, seq: number): EntryFields => ({
  ledgerId: id,
  seq,
  amount: 100 + ((seq * 7919 + id.length * 31) % 9000),
  currency: 'EUR',
  reference: `INV-${id}-${String(seq).padStart(4, '0')}`,
  note: NOTE,
})

export const eventTypeOf = (seq: number): string => (seq === 0 ? OPENED : RECORDED)

/** What rehydrating a ledger gives, on both sides. */
export interface LedgerState {
  entries: number
  total: number
  lastSeq: number
}

export const initialLedger = (): LedgerState => ({ entries: 0, total: 0, lastSeq: -1 })

/** The fold both sides apply: count entries, sum amounts, remember the last sequence number. */
export const evolveLedger = (s: LedgerState, e: EntryFields): void => {
  s.entries++
  s.total += e.amount
  s.lastSeq = e.seq
}

/** The decision both sides make: entries arrive in sequence. */
export const assertNextSeq = (s: LedgerState, seq: number): void => {
  if (seq !== s.lastSeq + 1) throw new DomainError(`entry ${seq} out of sequence (last ${s.lastSeq})`, 'out-of-sequence')
}

// ── The decorated aggregate (eventfold side) ─────────────────────────────────

@Event(OPENED)
export class LedgerOpened implements EntryFields {
  constructor(
    readonly ledgerId: string,
    readonly seq: number,
    readonly amount: number,
    readonly currency: string,
    readonly reference: string,
    readonly note: string,
  ) {}
}

@Event(RECORDED)
export class EntryRecorded implements EntryFields {
  constructor(
    readonly ledgerId: string,
    readonly seq: number,
    readonly amount: number,
    readonly currency: string,
    readonly reference: string,
    readonly note: string,
  ) {}
}

@Command('OpenLedger')
export class OpenLedger implements EntryFields {
  @AggregateId() ledgerId: string
  readonly seq = 0
  constructor(
    ledgerId: string,
    readonly amount: number,
    readonly currency: string,
    readonly reference: string,
    readonly note: string,
  ) {
    this.ledgerId = ledgerId
  }
}

@Command('RecordEntry')
export class RecordEntry implements EntryFields {
  @AggregateId() ledgerId: string
  constructor(
    ledgerId: string,
    readonly seq: number,
    readonly amount: number,
    readonly currency: string,
    readonly reference: string,
    readonly note: string,
  ) {
    this.ledgerId = ledgerId
  }
}

/** The command that produces event `seq` of ledger `id`. */
export const commandFor = (id: string, seq: number): OpenLedger | RecordEntry => {
  const f = entryData(id, seq)
  return seq === 0
    ? new OpenLedger(id, f.amount, f.currency, f.reference, f.note)
    : new RecordEntry(id, seq, f.amount, f.currency, f.reference, f.note)
}

@Aggregate(CATEGORY)
export class Ledger extends AggregateRoot implements LedgerState {
  entries = 0
  total = 0
  lastSeq = -1

  @CommandHandler(OpenLedger, { creates: true })
  open(c: OpenLedger): void {
    this.apply(new LedgerOpened(c.ledgerId, 0, c.amount, c.currency, c.reference, c.note))
  }

  @CommandHandler(RecordEntry)
  record(c: RecordEntry): void {
    assertNextSeq(this, c.seq)
    this.apply(new EntryRecorded(c.ledgerId, c.seq, c.amount, c.currency, c.reference, c.note))
  }

  @EventSourcingHandler(LedgerOpened)
  onOpened(e: LedgerOpened): void {
    evolveLedger(this, e)
  }

  @EventSourcingHandler(EntryRecorded)
  onRecorded(e: EntryRecorded): void {
    evolveLedger(this, e)
  }
}

// ── The same aggregate as a plain decider (eventfold side, W3D) ──────────────

/** The ledger written with `defineAggregate`: same category, same events, same fold. */
export const ledgerDecider = defineAggregate<LedgerState, OpenLedger | RecordEntry, EntryFields>({
  category: CATEGORY,
  commands: {
    OpenLedger: { aggregateId: (c) => c.ledgerId, creates: true },
    RecordEntry: { aggregateId: (c) => c.ledgerId },
  },
  initialState: initialLedger,
  decide: (c, s) => {
    assertNextSeq(s, c.seq)
    return c.seq === 0
      ? new LedgerOpened(c.ledgerId, 0, c.amount, c.currency, c.reference, c.note)
      : new EntryRecorded(c.ledgerId, c.seq, c.amount, c.currency, c.reference, c.note)
  },
  evolve: (s, e) => {
    evolveLedger(s, e)
    return s
  },
})
