import { UsageError } from '../errors'

/**
 * The config file is missing or does not have the expected shape. A usage
 * error: the command stops before touching a store.
 */
export class ConfigError extends UsageError {
  constructor(
    readonly configPath: string | undefined,
    detail: string,
  ) {
    super(configPath ? `${configPath}: ${detail}` : detail)
    this.name = 'ConfigError'
  }
}
