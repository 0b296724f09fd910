import { extname } from 'node:path'
import { pathToFileURL } from 'node:url'
import { EventfoldError } from '@eventfold/core'
import { ConfigError } from './config-error'

/** True when this Node can import `.ts` files itself (type stripping). */
const nodeStripsTypes = (): boolean => Boolean((process.features as { typescript?: unknown }).typescript)

/**
 * Loads a JavaScript module the way Node would run it: `require` for
 * CommonJS, `import()` for ESM (`.mjs`, or `.js` in a `"type": "module"`
 * package), and `.ts` only where Node strips types itself, because the CLI
 * brings no TypeScript loader.
 * @throws {@link ConfigError} for a `.ts` file on a Node that cannot load it.
 */
export const importModule = async (path: string): Promise<unknown> => {
  const ext = extname(path)
  if (ext === '.ts' || ext === '.mts' || ext === '.cts') {
    if (!nodeStripsTypes()) {
      throw new ConfigError(
        path,
        `Node ${process.versions.node} cannot load TypeScript files without a loader, and the CLI brings none: ` +
          'compile the config to JavaScript (e.g. tsc) and point --config at the .js file, or use eventfold.config.js',
      )
    }
    return import(pathToFileURL(path).href)
  }
  if (ext === '.mjs') return import(pathToFileURL(path).href)
  try {
    return require(path) as unknown
  } catch (error) {
    // An ES module that `require` cannot load (older Node, or top-level await).
    if ((error as NodeJS.ErrnoException).code === 'ERR_REQUIRE_ESM' || (error as NodeJS.ErrnoException).code === 'ERR_REQUIRE_ASYNC_MODULE') {
      return import(pathToFileURL(path).href)
    }
    throw error
  }
}

/**
 * The config file (or a module it names or requires) failed to load or
 * threw: a runtime failure of the application's code, exit code 1. The
 * message is one line: Node's "Cannot find module" goes on with a "Require
 * stack" listing, which says nothing the file name does not.
 */
export class ConfigLoadError extends EventfoldError {
  readonly type = 'config-load' as const
  constructor(
    /** The config file. */
    readonly configPath: string,
    cause: unknown,
  ) {
    const message = (cause as Error)?.message ?? String(cause)
    const detail = (cause as NodeJS.ErrnoException)?.code === 'MODULE_NOT_FOUND' ? message.split('\n')[0]! : message
    super(`loading ${configPath} failed: ${detail}`, { cause })
  }
}

/** The value a module exports: its default export when it has one (ESM, or CJS seen through `import()`). */
export const exportedValue = (mod: unknown): unknown => {
  if (mod !== null && typeof mod === 'object' && 'default' in mod && (mod as { default: unknown }).default !== undefined) {
    return (mod as { default: unknown }).default
  }
  return mod
}

/**
 * The config's `connect()` threw an error of the application's own (a
 * driver's "connection refused", a missing environment variable): a runtime
 * failure, exit code 1, named after the config whose code threw it.
 * eventfold's own errors (a missing SQLite file) already say what they are about.
 */
export class ConfigConnectError extends EventfoldError {
  readonly type = 'config-connect' as const
  constructor(
    /** The config file. */
    readonly configPath: string,
    cause: unknown,
  ) {
    super(`connecting through ${configPath} (its connect()) failed: ${(cause as Error)?.message ?? String(cause)}`, { cause })
  }
}
