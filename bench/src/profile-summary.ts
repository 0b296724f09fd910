import { readFileSync } from 'node:fs'

/**
 * Summarises V8 `.cpuprofile` files (from `node --cpu-prof`): time per
 * function, self and inclusive, largest first.
 *
 * Usage: node bench/dist/profile-summary.js FILE.cpuprofile... [TOP]
 */

interface CallFrame {
  readonly functionName: string
  readonly url: string
  readonly lineNumber: number
}
interface ProfileNode {
  readonly id: number
  readonly callFrame: CallFrame
  readonly children?: readonly number[]
}
interface CpuProfile {
  readonly nodes: readonly ProfileNode[]
  readonly samples: readonly number[]
  readonly timeDeltas: readonly number[]
}

const nameOf = (n: ProfileNode): string => {
  const url = n.callFrame.url.replace(/^.*\/(node_modules|packages|bench)\//, '$1/')
  return `${n.callFrame.functionName || '(anonymous)'}  ${url}${url ? `:${n.callFrame.lineNumber + 1}` : ''}`
}

const summarise = (file: string, top: number): string => {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const parentOf = new Map<number, number>()
  for (const n of profile.nodes) for (const c of n.children ?? []) parentOf.set(c, n.id)

  // Sample i was taken in node samples[i] and lasted timeDeltas[i + 1] microseconds.
  const timeIn = new Map<number, number>()
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!
    timeIn.set(id, (timeIn.get(id) ?? 0) + (profile.timeDeltas[i + 1] ?? 0))
  }
  const total = [...timeIn.values()].reduce((a, b) => a + b, 0)

  const self = new Map<string, number>()
  const inclusive = new Map<string, number>()
  for (const [id, t] of timeIn) {
    const name = nameOf(byId.get(id)!)
    self.set(name, (self.get(name) ?? 0) + t)
    const seen = new Set<string>()
    for (let x: number | undefined = id; x !== undefined; x = parentOf.get(x)) {
      const k = nameOf(byId.get(x)!)
      if (seen.has(k)) continue // recursion counts once
      seen.add(k)
      inclusive.set(k, (inclusive.get(k) ?? 0) + t)
    }
  }

  const list = (m: Map<string, number>): string =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, t]) => `${(t / 1000).toFixed(0).padStart(8)} ms ${((100 * t) / total).toFixed(1).padStart(5)}%  ${k}`)
      .join('\n')

  return (
    `${file}: ${(total / 1000).toFixed(0)} ms sampled\n\nself time\n${list(self)}\n\n` +
    `inclusive time (async continuations count under their own frames)\n${list(inclusive)}\n`
  )
}

const args = process.argv.slice(2)
const files = args.filter((a) => !/^\d+$/.test(a))
const top = Number(args.find((a) => /^\d+$/.test(a)) ?? 30)
if (files.length === 0) {
  process.stderr.write('Usage: node bench/dist/profile-summary.js FILE.cpuprofile... [TOP]\n')
  process.exitCode = 2
} else {
  process.stdout.write(files.map((f) => summarise(f, top)).join('\n'))
}
