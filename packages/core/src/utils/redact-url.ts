/**
 * A connection URL fit for a message or a log: the password replaced by
 * `***`. The user info ends at the last `@` before the query, since drivers
 * (pg among them) accept a raw `@` in a password; an empty user name
 * (`postgres://:secret@host`) is handled too. A URL without a password is
 * returned as it is.
 * @example
 * ```ts
 * redactUrl('postgres://app:p@ss@db:5432/app') // 'postgres://app:***@db:5432/app'
 * ```
 */
export const redactUrl = (url: string): string => {
  const scheme = url.indexOf('://')
  if (scheme < 0) return url
  const from = scheme + 3
  let end = url.length
  for (const c of ['?', '#']) {
    const i = url.indexOf(c, from)
    if (i >= 0 && i < end) end = i
  }
  const at = url.lastIndexOf('@', end - 1)
  if (at < from) return url
  const colon = url.indexOf(':', from)
  if (colon < 0 || colon > at) return url
  return `${url.slice(0, colon + 1)}***${url.slice(at)}`
}
