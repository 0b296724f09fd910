import { InvalidArgumentError } from 'commander'
import { bigintOption, integerOption } from '../args/integers'
import { isoTimeOption } from '../args/time'
import { ConsoleRequestError } from './errors'

/** The query string of a request, one value per name. */
export class Params {
  constructor(private readonly query: URLSearchParams) {}

  /** The value of `name`, refusing a name given twice. */
  text(name: string): string | undefined {
    const values = this.query.getAll(name)
    if (values.length > 1) throw new ConsoleRequestError(400, `${name} is given ${values.length} times; give it once`)
    return values[0]
  }

  /** A revision or position (0 to 2^63-1), as the CLI's options accept them. */
  revision(name: string): bigint | undefined {
    return this.parsed(name, bigintOption)
  }

  /** A whole number within `[min, max]`. */
  integer(name: string, range: { min: number; max: number }): number | undefined {
    return this.parsed(name, integerOption(range))
  }

  /** An ISO-8601 time, as `--until` accepts it. */
  time(name: string): Date | undefined {
    return this.parsed(name, isoTimeOption)
  }

  /** `true` for `'true'`/`'1'`, `false` for `'false'`/`'0'`. */
  flag(name: string): boolean | undefined {
    const value = this.text(name)
    if (value === undefined) return undefined
    if (value === 'true' || value === '1') return true
    if (value === 'false' || value === '0') return false
    throw new ConsoleRequestError(400, `${name} must be true or false, not '${value.slice(0, 40)}'`)
  }

  private parsed<T>(name: string, parse: (value: string) => T): T | undefined {
    const value = this.text(name)
    if (value === undefined) return undefined
    try {
      return parse(value)
    } catch (error) {
      if (error instanceof InvalidArgumentError) throw new ConsoleRequestError(400, `${name}: ${error.message}`)
      throw error
    }
  }
}

/** Reads a JSON object body of at most `maxBytes`; an empty body is `{}`. */
export const readJsonBody = async (request: AsyncIterable<Buffer>, maxBytes = 64 * 1024): Promise<Record<string, unknown>> => {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of request) {
    size += chunk.length
    if (size > maxBytes) throw new ConsoleRequestError(413, `the request body is larger than ${maxBytes} bytes`)
    chunks.push(chunk)
  }
  const text = Buffer.concat(chunks).toString('utf8')
  if (text.trim() === '') return {}
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    throw new ConsoleRequestError(400, 'the request body is not JSON')
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new ConsoleRequestError(400, 'the request body must be a JSON object')
  return body as Record<string, unknown>
}

/** Refuses body fields other than `known`. */
export const onlyFields = (body: Record<string, unknown>, known: readonly string[]): void => {
  const unknown = Object.keys(body).filter((k) => !known.includes(k))
  if (unknown.length > 0) {
    throw new ConsoleRequestError(400, `unknown field${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `'${k.slice(0, 40)}'`).join(', ')} (known: ${known.join(', ') || 'none'})`)
  }
}
