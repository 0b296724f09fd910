import { ensureBuilt } from './test-support/build'
import { createFixtureApp, seedTallies, type FixtureApp } from './test-support/fixture-app'
import { parseJson } from './test-support/run-cli'

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
