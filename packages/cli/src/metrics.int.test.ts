import { join } from 'node:path'
import { CLI_ROOT, ensureBuilt } from './test-support/build'
import { createFixtureApp, fixtureConfigJs, seedTallies, type FixtureApp } from './test-support/fixture-app'
import { parseJson } from './test-support/run-cli'
import { closeTicket, seedSagas } from './test-support/sagas'

/** One sample of the Prometheus text format: `name{label="value",…} value`. */
interface Sample {
  readonly name: string
  readonly labels: Readonly<Record<string, string>>
  readonly value: number
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g

/** Parses the Prometheus text exposition format; throws on a line it does not understand. */
const parsePrometheus = (text: string): Sample[] =>
  text
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('#'))
    .map((line) => {
      const m = SAMPLE.exec(line)
      if (!m) throw new Error(`not a Prometheus sample: ${line}`)
      const labels: Record<string, string> = {}
      for (const [, key, value] of (m[2] ?? '').matchAll(LABEL)) labels[key!] = value!.replace(/\\(.)/g, '$1')
      return { name: m[1]!, labels, value: Number(m[3]) }
    })

const scrape = async (url: string): Promise<Sample[]> => {
  const response = await fetch(url)
  expect(response.status).toBe(200)
  expect(response.headers.get('content-type')).toMatch(/^text\/plain/)
  return parsePrometheus(await response.text())
}

const valueOf = (samples: readonly Sample[], name: string, labels: Record<string, string>): number | undefined =>
  samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value

interface Status {
  name: string
  active: { generation: number; partitions: { partition: string; lag: number }[] } | null
}

describe('eventfold projections run --metrics-port', () => {
  let app: FixtureApp

  beforeAll(async () => {
    ensureBuilt()
    app = createFixtureApp()
    await app.withStores((s) => seedTallies(s, { streams: 3, perStream: 4 }))
  })
  afterAll(() => app.remove())

  it('serves Prometheus metrics whose projection lag matches projections status', async () => {
    // event-counts catches up, then falls 3 events behind with no worker running it.
    expect((await app.run(['projections', 'run', 'event-counts', '--catch-up'])).code).toBe(0)
    await app.withStores((s) =>
      s.eventStore.appendToStream('Tally-t0', [1, 2, 3].map((by) => ({ type: 'TallyIncremented', data: { tallyId: 't0', by } }))),
    )
    const running = app.spawn(['projections', 'run', 'tallies', '--metrics-port', '0'])
    try {
      await running.waitFor(({ stderr }) => /metrics at http:\/\/127\.0\.0\.1:\d+\/metrics/.test(stderr))
      const url = /metrics at (\S+)/.exec(running.stderr())![1]!
      // Waits for the running worker to catch up, as the endpoint reports it.
      let samples = await scrape(url)
      for (let i = 0; valueOf(samples, 'eventfold_projection_lag_events', { projection: 'tallies' }) !== 0; i++) {
        if (i === 200) throw new Error(`tallies did not catch up; stderr:\n${running.stderr()}`)
        await new Promise((r) => setTimeout(r, 50))
        samples = await scrape(url)
      }

      const statuses = parseJson<Status[]>(await app.run(['projections', 'status', '--json']))
      const reported = statuses.filter((s) => s.active !== null)
      expect(reported.map((s) => s.name).sort()).toEqual(['event-counts', 'tallies'])
      for (const status of reported) {
        for (const p of status.active!.partitions) {
          const labels = { projection: status.name, generation: String(status.active!.generation), partition: p.partition, rebuilding: 'false' }
          expect({ ...labels, lag: valueOf(samples, 'eventfold_projection_lag_events', labels) }).toEqual({ ...labels, lag: p.lag })
        }
      }
      expect(valueOf(samples, 'eventfold_projection_lag_events', { projection: 'event-counts' })).toBe(3)
      expect(valueOf(samples, 'eventfold_projection_dead_letters', { projection: 'tallies' })).toBe(0)

      // The worker's own metrics: all 15 events applied, and its lag in seconds.
      const worker = { eventfold_worker_kind: 'projection', eventfold_worker_name: 'tallies', eventfold_worker_partition: '0/1' }
      expect(valueOf(samples, 'eventfold_worker_events_total', worker)).toBe(15)
      expect(valueOf(samples, 'eventfold_worker_lag_seconds', worker)).toBeGreaterThanOrEqual(0)
      expect((await fetch(url.replace(/\/metrics$/, '/other'))).status).toBe(404)
    } finally {
      running.child.kill('SIGTERM')
    }
    expect((await running.exited).code).toBe(0)
  })
})

describe('eventfold relay run --metrics-port', () => {
  const TRANSPORT = join(CLI_ROOT, 'dist/__fixtures__/file-transport.js')
  const PUBLICATIONS = join(CLI_ROOT, 'dist/__fixtures__/tally-publications.js')
  let app: FixtureApp

  beforeAll(async () => {
    ensureBuilt()
    app = createFixtureApp({
      config: (db) => ({
        'eventfold.config.js': fixtureConfigJs(db, { properties: `relay: { publications: require(${JSON.stringify(PUBLICATIONS)}).publications },` }),
        'transport.js': `module.exports = require(${JSON.stringify(TRANSPORT)})\n`,
      }),
    })
    await app.withStores((s) => seedTallies(s, { streams: 4, perStream: 3 }))
  })
  afterAll(() => app.remove())

  it('serves the relay’s lag per partition as relay status counts it, and what each partition published', async () => {
    const running = app.spawn(['relay', 'run', '--transport', 'transport.js', '--partitions', '2', '--metrics-port', '0'], {
      env: { EVENTFOLD_TEST_OUTBOX: join(app.dir, 'outbox.jsonl') },
    })
    try {
      await running.waitFor(({ stderr }) => /metrics at http:\/\/127\.0\.0\.1:\d+\/metrics/.test(stderr))
      const url = /metrics at (\S+)/.exec(running.stderr())![1]!
      const published = (samples: readonly Sample[]) =>
        samples.filter((s) => s.name === 'eventfold_worker_events_total' && s.labels.eventfold_worker_kind === 'relay').reduce((n, s) => n + s.value, 0)
      // Waits for both partitions to publish everything, as the endpoint reports it.
      let samples = await scrape(url)
      for (let i = 0; published(samples) < 12; i++) {
        if (i === 200) throw new Error(`the relay did not publish the log; stderr:\n${running.stderr()}`)
        await new Promise((r) => setTimeout(r, 50))
        samples = await scrape(url)
      }
      const status = parseJson<{ relay: string; parked: number; partitions: { partition: string; lag: string }[] }>(await app.run(['relay', 'status', '--json']))
      expect(status.partitions.map((p) => p.partition)).toEqual(['0/2', '1/2'])
      // A partition's lag drops to 0 once its checkpoint passes the head, which it may do after its last publish: scrape until then.
      for (let i = 0; status.partitions.some((p) => valueOf(samples, 'eventfold_relay_lag_events', { relay: 'default', partition: p.partition }) !== 0); i++) {
        if (i === 200) throw new Error(`the relay's lag did not reach 0; stderr:\n${running.stderr()}`)
        await new Promise((r) => setTimeout(r, 50))
        samples = await scrape(url)
      }
      const settled = parseJson<typeof status>(await app.run(['relay', 'status', '--json']))
      for (const p of settled.partitions) {
        expect({ partition: p.partition, lag: valueOf(samples, 'eventfold_relay_lag_events', { relay: 'default', partition: p.partition }) }).toEqual({ partition: p.partition, lag: Number(p.lag) })
      }
      expect(valueOf(samples, 'eventfold_relay_parked', { relay: 'default' })).toBe(settled.parked)
      expect(published(samples)).toBe(12)
    } finally {
      running.child.kill('SIGTERM')
    }
    expect((await running.exited).code).toBe(0)
  })
})


describe('eventfold projections run --metrics-port: active sagas', () => {
  let app: FixtureApp

  beforeAll(async () => {
    ensureBuilt()
    app = createFixtureApp()
    await app.withStores(async (s) => {
      await seedTallies(s, { streams: 1, perStream: 1 })
      await seedSagas(s.documents, s.deadlines!)
    })
  })
  afterAll(() => app.remove())

  /** Active instances per saga, as `eventfold sagas list --state active` lists them. */
  const listedActive = async (): Promise<Record<string, number>> => {
    const counts: Record<string, number> = {}
    for (const s of parseJson<{ saga: string }[]>(await app.run(['sagas', 'list', '--state', 'active', '--json']))) counts[s.saga] = (counts[s.saga] ?? 0) + 1
    return counts
  }
  const scrapedActive = (samples: readonly Sample[]): Record<string, number> =>
    Object.fromEntries(samples.filter((s) => s.name === 'eventfold_sagas_active').map((s) => [s.labels.saga!, s.value]))

  it('serves the active saga instances per saga, as sagas list counts them, and follows an instance that ends', async () => {
    const running = app.spawn(['projections', 'run', 'tallies', '--metrics-port', '0'])
    try {
      await running.waitFor(({ stderr }) => /metrics at http:\/\/127\.0\.0\.1:\d+\/metrics/.test(stderr))
      const url = /metrics at (\S+)/.exec(running.stderr())![1]!
      expect(await listedActive()).toEqual({ 'console-ticket': 2, 'console-visit': 2 })
      expect(scrapedActive(await scrape(url))).toEqual(await listedActive())
      // The gauge reads the store at each scrape: a ticket that ends is gone from the next one.
      await app.withStores((s) => closeTicket(s.documents, s.deadlines!, 't2'))
      expect(await listedActive()).toEqual({ 'console-ticket': 1, 'console-visit': 2 })
      expect(scrapedActive(await scrape(url))).toEqual(await listedActive())
    } finally {
      running.child.kill('SIGTERM')
    }
    expect((await running.exited).code).toBe(0)
  })
})
