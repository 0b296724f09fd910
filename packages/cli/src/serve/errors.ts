import { EventfoldError } from '@eventfold/core'

/** HTTP statuses the console answers a refused request with. */
export type RefusedStatus = 400 | 401 | 403 | 404 | 405 | 409 | 413

/**
 * A console request refused before anything changed: bad input (400), no or
 * a wrong token (401), a foreign Host header (403), an unknown path (404),
 * a wrong method (405), a conflicting action (409), a body too large (413).
 */
export class ConsoleRequestError extends EventfoldError {
  readonly type = 'console-request' as const
  constructor(
    readonly status: RefusedStatus,
    message: string,
  ) {
    super(message)
  }
}

/** True for a {@link ConsoleRequestError}. */
export const isConsoleRequestError = (e: unknown): e is ConsoleRequestError => e instanceof ConsoleRequestError

/** The console's built front end is not where the CLI serves it from. */
export class ConsoleAssetsMissingError extends EventfoldError {
  readonly type = 'console-assets-missing' as const
  constructor(readonly path: string) {
    super(`the console's front end is not built (${path} is missing): run \`npm run build\` in the repository first`)
  }
}

/** The console could not listen on the address it was given. */
export class ConsoleListenError extends EventfoldError {
  readonly type = 'console-listen' as const
  constructor(
    readonly host: string,
    readonly port: number,
    cause: unknown,
  ) {
    const code = (cause as NodeJS.ErrnoException | undefined)?.code
    super(
      code === 'EADDRINUSE'
        ? `port ${port} on ${host} is in use: choose another with --port`
        : `cannot listen on ${host}:${port}: ${(cause as Error)?.message ?? String(cause)}`,
      { cause },
    )
  }
}
