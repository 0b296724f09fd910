/**
 * `Object.assign` for data read from the log: an own `__proto__` key (which
 * `JSON.parse` makes) is copied as a plain property instead of replacing the
 * target's prototype. Every other key is assigned as `Object.assign` does,
 * and a `data` that is not an object is ignored as it ignores it.
 */
export const assignOwnData = <T extends object>(target: T, data: unknown): T => {
  if (data === null || typeof data !== 'object') return target
  // The common case, no such key: the built-in copy is faster than the loop.
  if (!Object.hasOwn(data, '__proto__')) return Object.assign(target, data)
  for (const key of Object.keys(data)) {
    const value = (data as Record<string, unknown>)[key]
    if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true })
    else (target as Record<string, unknown>)[key] = value
  }
  return target
}
