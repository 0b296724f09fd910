import type { EventStore } from '@eventfold/core'
import { projectionFromInstance, ProjectionWorker, ReadModels, type Document, type DocumentStore } from '@eventfold/projections'
import { AccountBalances, DailyTotals, OwnerSummaries } from './projections'

/** Brings every bank read model up to the head of the log (what a worker process does continuously). */
export const catchUpReadModels = async (eventStore: EventStore, documents: DocumentStore): Promise<void> => {
  for (const projection of [new AccountBalances(), new OwnerSummaries(), new DailyTotals()]) {
    await new ProjectionWorker({ eventStore, documents, projection: projectionFromInstance(projection), stopAtHead: true }).run()
  }
}

/** Queries the bank's read models by the collection names their projections declare. */
export class BankQueries {
  private readonly readModels: ReadModels

  constructor(documents: DocumentStore) {
    this.readModels = new ReadModels(documents)
  }

  /** Open accounts with money, richest first. */
  async accountsWithMoney(): Promise<Document[]> {
    return this.readModels.collection('account_balances').find({ status: 'open', balance: { $gt: 0 } }, { sort: { balance: -1 } })
  }

  async ownerSummary(owner: string): Promise<Document | undefined> {
    return this.readModels.collection('owner_summaries').get(owner)
  }

  async dailyTotals(): Promise<Document[]> {
    return this.readModels.collection('daily_totals').find({}, { sort: { _id: 1 } })
  }
}
