/** The default `onError` of the stores: a process warning, so that a recovered failure is visible but not fatal. */
export const warn = (error: unknown): void => {
  process.emitWarning(error instanceof Error ? error : new Error(String(error)), { code: 'EVENTFOLD_POSTGRES' })
}
