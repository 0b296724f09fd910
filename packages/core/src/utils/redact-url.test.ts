import { execFileSync } from 'node:child_process'
import { resolve } from 'node:path'
import { describe, expect, it } from '@jest/globals'
import { redactUrl } from '../spi'

const cases: ReadonlyArray<readonly [string, string, string]> = [
  ['a plain password', 'postgres://app:secret@db:5432/app', 'postgres://app:***@db:5432/app'],
  ['a raw @ in the password', 'postgres://app:p@ss@w@rd@db:5432/app', 'postgres://app:***@db:5432/app'],
  ['an empty user name', 'postgres://:secret@db/app', 'postgres://:***@db/app'],
  ['an @ in the query', 'mongodb://u:s@cr@t@h:27017/?authSource=a@b', 'mongodb://u:***@h:27017/?authSource=a@b'],
  ['a / in the password', 'postgres://u:a/b@db/app', 'postgres://u:***@db/app'],
  ['no password', 'postgres://app@db/app', 'postgres://app@db/app'],
  ['no user info', 'mongodb://127.0.0.1:27017/', 'mongodb://127.0.0.1:27017/'],
]

describe('redactUrl', () => {
  it.each(cases)('hides %s', (_, url, expected) => {
    expect(redactUrl(url)).toBe(expected)
  })
})

// The shell's redaction (scripts/services) follows the same rule.
describe('scripts/services redact', () => {
  const services = resolve(__dirname, '../../../../scripts/services')
  it.each(cases)('hides %s', (_, url, expected) => {
    expect(execFileSync('bash', [services, 'redact', url], { encoding: 'utf8' }).trim()).toBe(expected)
  })
})
