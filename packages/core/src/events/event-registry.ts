import type { EventData, EventMetadata, RecordedEvent } from './event'
import { schemaVersionOf } from './stored-event'
import { assignOwnData } from '../utils/own-data'
import { MissingUpcasterError, UndecoratedClassError, ValidationError } from '../errors/errors'

/** A class decorated with `@Event`. */
export type EventClass<T extends object = object> = abstract new (...args: never[]) => T

/** Lifts an event's data from `fromVersion` to `fromVersion + 1`. */
export interface Upcaster {
  readonly type: string
  readonly fromVersion: number
  upcast(data: unknown, metadata: EventMetadata): unknown
}

/** Declares an {@link Upcaster}; pass it to `createEventfold({ upcasters })` or `registry.addUpcaster`. */
export const defineUpcaster = <From = unknown, To = unknown>(
  type: string,
  fromVersion: number,
  upcast: (data: From, metadata: EventMetadata) => To,
): Upcaster => ({ type, fromVersion, upcast: upcast as Upcaster['upcast'] })

interface EventTypeInfo {
  readonly type: string
  readonly version: number
  readonly eventClass?: EventClass
}

const CLASS_INFO = Symbol.for('eventfold.event')

const classInfo = (cls: unknown): EventTypeInfo | undefined =>
  typeof cls === 'function' && Object.prototype.hasOwnProperty.call(cls, CLASS_INFO)
    ? ((cls as unknown as Record<symbol, EventTypeInfo>)[CLASS_INFO] as EventTypeInfo)
    : undefined

/**
 * Knows every event type: its current schema version, its class (if any) and
 * the upcasters that lift older versions. Reads go through {@link upcast};
 * writes through {@link toEventData}, which always writes the current version.
 */
export class EventRegistry {
  private readonly types = new Map<string, EventTypeInfo>()
  private readonly upcasters = new Map<string, Upcaster>()

  /** Registers an event type, with its class when it has one. */
  register(type: string, { version = 1, eventClass }: { version?: number; eventClass?: EventClass } = {}): void {
    if (!Number.isSafeInteger(version) || version < 1) {
      throw new ValidationError(`Event '${type}' needs a positive integer version`, [{ path: 'version', message: String(version) }])
    }
    this.types.set(type, eventClass ? { type, version, eventClass } : { type, version })
  }

  /** Registers an upcaster; the chain from any old version to the current one must be complete. */
  addUpcaster(upcaster: Upcaster): void {
    this.upcasters.set(`${upcaster.type}@${upcaster.fromVersion}`, upcaster)
  }

  /** Registers every class given (they must carry `@Event`). */
  registerClasses(classes: Iterable<EventClass>): void {
    for (const c of classes) {
      const info = classInfo(c)
      if (!info) throw new UndecoratedClassError(c.name, 'Event')
      this.register(info.type, { version: info.version, eventClass: c })
    }
  }

  /** Current schema version of a type (1 when the type is not registered). */
  currentVersion(type: string): number {
    return this.types.get(type)?.version ?? 1
  }

  /** True when the type is registered (by class or by name). */
  has(type: string): boolean {
    return this.types.has(type)
  }

  /** The class registered for a type, if any. */
  classOf(type: string): EventClass | undefined {
    return this.types.get(type)?.eventClass
  }

  /**
   * Turns what application code produced (an `@Event` instance or plain
   * `EventData`) into `EventData` at the current schema version.
   * @throws {@link UndecoratedClassError} for an instance of an undecorated class.
   * @throws {@link MissingUpcasterError} for plain data at an old version with no upcaster path.
   */
  toEventData(event: object): EventData {
    const ctor = (event as { constructor?: unknown }).constructor
    const info = classInfo(ctor)
    if (info) {
      if (!this.types.has(info.type)) this.register(info.type, { version: info.version, eventClass: ctor as EventClass })
      return { type: info.type, data: { ...event }, metadata: { schemaVersion: info.version } }
    }
    if (ctor !== Object && ctor !== undefined) {
      throw new UndecoratedClassError((ctor as { name?: string }).name || 'anonymous', 'Event')
    }
    const plain = event as EventData
    if (typeof plain.type !== 'string' || !('data' in plain)) {
      throw new ValidationError('An event must be an @Event instance or { type, data, metadata? }', [
        { path: 'type', message: 'required' },
      ])
    }
    const version = plain.metadata?.schemaVersion ?? this.currentVersion(plain.type)
    const current = this.currentVersion(plain.type)
    if (version === current) return { ...plain, metadata: { ...plain.metadata, schemaVersion: current } }
    const metadata = { ...plain.metadata, schemaVersion: version } as EventMetadata
    const data = this.lift(plain.type, plain.data, metadata, version, current)
    return { type: plain.type, data, metadata: { ...plain.metadata, schemaVersion: current } }
  }

  /**
   * Lifts a recorded event to the current version of its type.
   * @throws {@link MissingUpcasterError} when a step of the chain is missing.
   */
  upcast<T = unknown>(event: RecordedEvent): RecordedEvent<T> {
    const current = this.currentVersion(event.type)
    // Events read from JSON text carry their version beside the metadata: the
    // common case, an event already current, then never parses the metadata.
    const version = schemaVersionOf(event)
    if (version === current) return event as RecordedEvent<T>
    const data = this.lift(event.type, event.data, event.metadata, version, current, event.streamId, event.revision)
    return { ...event, data: data as T, metadata: { ...event.metadata, schemaVersion: current } }
  }

  /**
   * What a handler receives: an instance of the event's class when it has one
   * (prototype set, constructor not run), the plain data otherwise. A
   * `__proto__` key in the data stays a plain property.
   */
  instantiate(event: RecordedEvent): unknown {
    const cls = this.classOf(event.type)
    if (!cls || event.data === null || typeof event.data !== 'object') return event.data
    return assignOwnData(Object.create(cls.prototype as object) as object, event.data)
  }

  private lift(
    type: string,
    data: unknown,
    metadata: EventMetadata,
    from: number,
    to: number,
    streamId?: string,
    revision?: bigint,
  ): unknown {
    if (from > to) throw new MissingUpcasterError(type, from, to, streamId, revision)
    let v = from
    let d = data
    while (v < to) {
      const u = this.upcasters.get(`${type}@${v}`)
      if (!u) throw new MissingUpcasterError(type, v, to, streamId, revision)
      d = u.upcast(d, { ...metadata, schemaVersion: v })
      v++
    }
    return d
  }
}

/** The registry decorators fill and every component uses unless given another. */
export const defaultEventRegistry = new EventRegistry()

/**
 * Marks a class as an event with a stable type name.
 * @param type the name stored in the log; never derived from the class name.
 * @param options.version schema version of the class's data. @default 1
 * @example
 * ```ts
 * @Event('Deposited', { version: 2 })
 * class Deposited { constructor(readonly accountId: string, readonly amount: number) {} }
 * ```
 */
export function Event(type: string, { version = 1 }: { version?: number } = {}): ClassDecorator {
  return (target) => {
    Object.defineProperty(target, CLASS_INFO, { value: { type, version }, enumerable: false })
    defaultEventRegistry.register(type, { version, eventClass: target as unknown as EventClass })
  }
}

/**
 * The type name of an event class.
 * @throws {@link UndecoratedClassError} when the class has no `@Event`.
 */
export const eventTypeOf = (cls: EventClass | string): string => {
  if (typeof cls === 'string') return cls
  const info = classInfo(cls)
  if (!info) throw new UndecoratedClassError(cls.name, 'Event')
  return info.type
}
