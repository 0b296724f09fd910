import type { EventStore } from '@eventfold/core'
import {
  physicalCollection,
  projectionFromInstance,
  ProjectionStates,
  ProjectionWorker,
  type Document,
  type DocumentStore,
} from '@eventfold/projections'
import { AccountBalances, DailyTotals, OwnerSummaries } from './projections'

/** Brings every bank read model up to the head of the log (what a worker process does continuously). */
export const catchUpReadModels = async (eventStore: EventStore, documents: DocumentStore): Promise<void> => {
  for (const projection of [new AccountBalances(), new OwnerSummaries(), new DailyTotals()]) {
    await new ProjectionWorker({ eventStore, documents, projection: projectionFromInstance(projection), stopAtHead: true }).run()
  }
}

/**
 * Queries the bank's read models by their logical collection names: the
 * projection state says which generation readers use.
 */
export class BankQueries {
  constructor(private readonly documents: DocumentStore) {}

  /** Open accounts with money, richest first. */
  async accountsWithMoney(): Promise<Document[]> {
    return this.documents.find(await this.collection('account-balances', 'account_balances'), { status: 'open', balance: { $gt: 0 } }, { sort: { balance: -1 } })
  }

  async ownerSummary(owner: string): Promise<Document | undefined> {
    return this.documents.get(await this.collection('owner-summaries', 'owner_summaries'), owner)
  }

  async dailyTotals(): Promise<Document[]> {
    return this.documents.find(await this.collection('daily-totals', 'daily_totals'), {}, { sort: { _id: 1 } })
  }

  private async collection(projection: string, logical: string): Promise<string> {
    const state = await new ProjectionStates(this.documents).get(projection)
    return physicalCollection(logical, state?.generation ?? 1)
  }
}
