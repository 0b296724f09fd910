import { WaitTimeoutError } from '../errors'

/**
 * Checks `probe` until it returns something other than undefined, as a read
 * model is watched until it shows what we wait for.
 * @throws {@link WaitTimeoutError} after `timeoutMs`.
 */
export const waitFor = async <T>(what: string, probe: () => Promise<T | undefined>, { timeoutMs = 30_000, everyMs = 50, describe = (): unknown => undefined } = {}): Promise<T> => {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new WaitTimeoutError(what, timeoutMs, describe())
    await new Promise((resolve) => setTimeout(resolve, everyMs))
  }
}
