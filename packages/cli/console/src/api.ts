// The JSON API of `eventfold serve`. Reads need nothing; actions carry the
// token as a bearer header (never a cookie, so no other site can send it).

const TOKEN_KEY = 'eventfold-console-token'

/** The token for actions, kept for this tab only. */
export const token = {
  get: (): string => sessionStorage.getItem(TOKEN_KEY) ?? '',
  set: (value: string): void => (value ? sessionStorage.setItem(TOKEN_KEY, value) : sessionStorage.removeItem(TOKEN_KEY)),
}

/** A refused or failed request, with the server's message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message)
  }
}

const request = async <T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> => {
  const headers: Record<string, string> = { accept: 'application/json' }
  if (method === 'POST') {
    headers['content-type'] = 'application/json'
    if (token.get()) headers.authorization = `Bearer ${token.get()}`
  }
  const response = await fetch(path, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}), credentials: 'omit' })
  const json = (await response.json().catch(() => null)) as { error?: { message: string } } | null
  if (!response.ok) {
    const message = json?.error?.message ?? `${response.status} ${response.statusText}`
    throw new ApiError(response.status, response.status === 401 ? `${message} — paste it in the token field above` : message)
  }
  return json as T
}

/** GET `path` (with `query`, empty values left out). */
export const get = <T>(path: string, query: Record<string, string | undefined> = {}): Promise<T> => {
  const q = new URLSearchParams(Object.entries(query).filter((e): e is [string, string] => e[1] !== undefined && e[1] !== ''))
  return request<T>('GET', q.size ? `${path}?${q}` : path)
}

/** POST an action. */
export const post = <T>(path: string, body: unknown = {}): Promise<T> => request<T>('POST', path, body)

/** One path segment. */
export const seg = (value: string): string => encodeURIComponent(value)

/** A recorded event as the API returns it (revisions and positions as decimal strings). */
export interface EventJson {
  readonly streamId: string
  readonly revision: string
  readonly position: string
  readonly type: string
  readonly data: unknown
  readonly metadata: Record<string, unknown>
}
