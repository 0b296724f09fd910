import { existsSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { ConfigError } from './config-error'

/** File names looked for in the working directory, in this order. */
export const CONFIG_FILE_NAMES = [
  'eventfold.config.js',
  'eventfold.config.cjs',
  'eventfold.config.mjs',
  'eventfold.config.json',
  'eventfold.config.ts',
] as const

/**
 * The config file to use: `explicit` (from `--config`, relative to `cwd`)
 * or the first of {@link CONFIG_FILE_NAMES} found in `cwd`.
 * @throws {@link ConfigError} when there is none.
 */
export const findConfigFile = (cwd: string, explicit?: string): string => {
  if (explicit !== undefined) {
    const path = resolve(cwd, explicit)
    if (!existsSync(path)) throw new ConfigError(undefined, `config file not found: ${path}`)
    if (!statSync(path).isFile()) throw new ConfigError(undefined, `--config must name a file, and ${path} is not one`)
    return path
  }
  for (const name of CONFIG_FILE_NAMES) {
    const path = join(cwd, name)
    if (existsSync(path)) return path
  }
  throw new ConfigError(
    undefined,
    `no config file in ${cwd}: create one of ${CONFIG_FILE_NAMES.join(', ')} or pass --config <path>`,
  )
}
