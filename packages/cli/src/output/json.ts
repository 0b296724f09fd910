import { escapeJson } from './terminal'

/**
 * JSON for machines: bigints (revisions, positions) become decimal strings,
 * because `JSON.stringify` throws on them and numbers would lose precision
 * past 2^53.
 */
export const toJson = (value: unknown, indent?: number): string =>
  // JSON.stringify leaves C1 and bidi controls raw; escaped, they cannot act on a terminal the JSON is shown on.
  escapeJson(JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), indent))

/** Writes one value as JSON on stdout (pretty for a person, one line in a pipe). */
export const printJson = (value: unknown): void => {
  process.stdout.write(toJson(value, process.stdout.isTTY ? 2 : undefined) + '\n')
}

/** Writes one value as a single JSON line on stdout (JSON Lines streams). */
export const printJsonLine = (value: unknown): void => {
  process.stdout.write(toJson(value) + '\n')
}

/**
 * Writes a JSON array element by element, so that a long listing is never
 * held in memory as one string. The `[` is written with the first element
 * (or by `end()`), so a command that fails before it has one prints nothing.
 */
export class JsonArrayWriter {
  private count = 0

  constructor(private readonly write: (text: string) => void = (t) => process.stdout.write(t)) {}

  add(value: unknown): void {
    this.write((this.count++ === 0 ? '[' : ',') + '\n' + toJson(value))
  }

  end(): number {
    this.write(this.count === 0 ? '[]\n' : '\n]\n')
    return this.count
  }
}
