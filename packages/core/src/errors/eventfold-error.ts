/**
 * Base class of every error eventfold raises on purpose.
 *
 * `type` is a literal discriminant so callers can `switch` on it without
 * `instanceof` (which breaks across duplicated package copies).
 */
export abstract class EventfoldError extends Error {
  abstract readonly type: string

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    // Transpiled subclasses of Error lose their prototype chain without this.
    Object.setPrototypeOf(this, new.target.prototype)
    this.name = new.target.name
  }
}

/** True when `error` is any eventfold error. */
export const isEventfoldError = (error: unknown): error is EventfoldError =>
  error instanceof EventfoldError
