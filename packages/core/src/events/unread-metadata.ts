import { MetadataNotReadError } from '../errors/errors'
import type { EventMetadata } from './event'

const unread = new WeakSet<object>()
const byVersion = new Map<unknown, EventMetadata>()

/**
 * Keys that generic code probes on any object (awaiting, serializing, test
 * matchers, `Object.prototype`): they answer as on a plain object. No
 * metadata field is named so.
 */
const isProbe = (key: string): boolean =>
  key === 'then' || key === 'toJSON' || key === 'asymmetricMatch' || key.startsWith('@@') || key.startsWith('$$') || key in Object.prototype

// Reading anything else but the version, or enumerating the fields, fails
// loudly instead of answering undefined.
const handler: ProxyHandler<{ schemaVersion: unknown }> = {
  get: (target, key) => {
    if (key === 'schemaVersion' || typeof key === 'symbol' || isProbe(key)) return Reflect.get(target, key)
    throw new MetadataNotReadError(key)
  },
  ownKeys: () => {
    throw new MetadataNotReadError('*')
  },
  set: (_target, key) => {
    throw new MetadataNotReadError(String(key))
  },
}

/**
 * The metadata of an event read with `readMetadata: false`: its schema
 * version, and nothing else. One shared object per version, so such a read
 * allocates nothing per event for metadata.
 */
export const unreadMetadata = (schemaVersion: unknown): EventMetadata => {
  let metadata = byVersion.get(schemaVersion)
  if (!metadata) {
    metadata = new Proxy({ schemaVersion }, handler) as unknown as EventMetadata
    unread.add(metadata)
    // Versions are few; a store handing out garbage versions must not grow this without bound.
    if (byVersion.size < 64) byVersion.set(schemaVersion, metadata)
  }
  return metadata
}

/** Whether `metadata` is one that {@link unreadMetadata} made. */
export const isUnreadMetadata = (metadata: unknown): boolean => typeof metadata === 'object' && metadata !== null && unread.has(metadata)

/**
 * Thrown inside a load when an event whose metadata was left unread meets
 * code that could read it; the repository then loads again with metadata.
 */
export class MetadataNeeded extends Error {
  constructor() {
    super('metadata needed')
    this.name = 'MetadataNeeded'
  }
}

/**
 * What a load's fold rethrows when application code failed on an event with
 * `metadata`: when that metadata was left unread and the code read it, the
 * load must start over with it; any other error stands.
 */
export const restartOnMetadataRead = (error: unknown, metadata: unknown): unknown =>
  error instanceof MetadataNotReadError && isUnreadMetadata(metadata) ? new MetadataNeeded() : error
