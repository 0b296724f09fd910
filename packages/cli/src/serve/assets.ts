import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { extname, join, resolve } from 'node:path'
import { ConsoleAssetsMissingError } from './errors'

/** Where the built front end is: `dist/console` beside the compiled CLI. */
export const DEFAULT_ASSETS_DIR = resolve(__dirname, '..', 'console')

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
}

/** One static file, read into memory at start. */
export interface Asset {
  readonly type: string
  readonly body: Buffer
}

/**
 * The built front end, by URL path (`/` is `index.html`). Only the files
 * found at start are served, so no request path ever reaches the file system.
 * @throws {@link ConsoleAssetsMissingError} when `dir` holds no `index.html`
 */
export const loadAssets = (dir: string = DEFAULT_ASSETS_DIR): ReadonlyMap<string, Asset> => {
  const index = join(dir, 'index.html')
  if (!existsSync(index)) throw new ConsoleAssetsMissingError(index)
  const assets = new Map<string, Asset>()
  const walk = (sub: string): void => {
    for (const entry of readdirSync(join(dir, sub), { withFileTypes: true })) {
      const path = sub ? `${sub}/${entry.name}` : entry.name
      if (entry.isDirectory()) walk(path)
      else if (TYPES[extname(entry.name)]) assets.set(`/${path}`, { type: TYPES[extname(entry.name)]!, body: readFileSync(join(dir, path)) })
    }
  }
  walk('')
  assets.set('/', assets.get('/index.html')!)
  return assets
}
