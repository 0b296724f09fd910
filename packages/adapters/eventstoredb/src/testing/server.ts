import { afterEach, beforeEach, describe } from '@jest/globals'
import { EventStoreDBClient } from '@eventstore/db-client'
import { clientOf, type EventStoreClient } from '../client/client'
import { EventStoreDBEventStore } from '../store/eventstoredb-event-store'

/** Why the integration tests are skipped when no server is configured. */
export const SKIP_REASON =
  'set EVENTSTOREDB_URL to run, e.g. EVENTSTOREDB_URL=esdb://127.0.0.1:2113?tls=false after `docker compose up -d eventstore`'

/**
 * The EventStoreDB server the integration tests use: `EVENTSTOREDB_URL`, or
 * `EVENTSTORE_URL` (the name docker-compose.yml prints), or `undefined`.
 */
export const eventStoreDBUrl = (): string | undefined => process.env.EVENTSTOREDB_URL || process.env.EVENTSTORE_URL || undefined

/**
 * A describe block that runs against the server at {@link eventStoreDBUrl}.
 * EventStoreDB cannot be started by the test run itself (it needs Docker or
 * a server package), so without a URL the block is registered as skipped,
 * with the reason in its title and on the console: the one place where
 * eventfold skips tests rather than fail them.
 */
export const describeEventStoreDB = (name: string, body: (url: string) => void): void => {
  const url = eventStoreDBUrl()
  if (url) {
    describe(name, () => body(url))
    return
  }
  // Straight to stderr: jest's default reporter drops the console output of a file whose tests are all skipped.
  process.stderr.write(`${name}: SKIPPED (${SKIP_REASON})\n`)
  describe.skip(`${name} (${SKIP_REASON})`, () => body('esdb://127.0.0.1:2113?tls=false'))
}

/** A prefix unique to one test, so that tests sharing a server's log cannot see each other's streams. */
export const uniqueTag = (): string => `t${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`

/** Polls `condition` every 50 ms until it holds. @throws after `ms`, naming `what`. */
export const waitFor = async (condition: () => boolean | Promise<boolean>, what: string, ms = 20_000): Promise<void> => {
  const deadline = Date.now() + ms
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

/**
 * The client the integration tests use: the KurrentDB client (the
 * adapter's default), or the EventStoreDB client with
 * `EVENTSTOREDB_CLIENT=eventstoredb`, so that CI runs the suite with both.
 */
export const testClient = (url: string): EventStoreClient =>
  process.env.EVENTSTOREDB_CLIENT === 'eventstoredb' ? EventStoreDBClient.connectionString(url) : clientOf(url)

/** What {@link withPersistentGroup} gives each test: read its fields inside the test. */
export interface PersistentGroupFixture {
  readonly client: EventStoreClient
  readonly store: EventStoreDBEventStore
  readonly tag: string
  /** The test's persistent subscription group, `<tag>-<suffix>`: deleted after the test. */
  readonly group: string
}

/**
 * Registers, in the enclosing describe block, a fresh client, event store
 * and tag for each test, and the deletion of its persistent subscription
 * group afterwards (the server keeps groups, and their parked messages, until
 * deleted).
 */
export const withPersistentGroup = (url: string, suffix: string): PersistentGroupFixture => {
  const fixture = {} as { -readonly [K in keyof PersistentGroupFixture]: PersistentGroupFixture[K] }
  beforeEach(() => {
    fixture.client = testClient(url)
    fixture.store = new EventStoreDBEventStore(fixture.client)
    fixture.tag = uniqueTag()
    fixture.group = `${fixture.tag}-${suffix}`
  })
  afterEach(async () => {
    await fixture.store.close()
    await fixture.client.deletePersistentSubscriptionToAll(fixture.group).catch(() => undefined)
    await fixture.client.dispose()
  })
  return fixture
}
