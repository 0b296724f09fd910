import type { DeadlineWhen } from '../deadlines/deadline'

/**
 * What a saga handles: a domain event from the log, an integration event from
 * a consumer, or a deadline it scheduled. `id` is what a redelivery repeats
 * (the event id, the deadline id), so the instance handles it once.
 */
export interface SagaMessage {
  readonly id: string
  /** The event type; for a deadline, `deadline:<name>`. */
  readonly type: string
  readonly data: unknown
  /** The event's metadata (`correlationId`, …); a deadline's carries `deadlineId`. */
  readonly metadata: Readonly<Record<string, unknown>>
}

/** The message type a deadline named `name` is delivered to its saga as. */
export const deadlineMessageType = (name: string): string => `deadline:${name}`

/** Where a command goes: the local command bus, or another service through the transport. */
export interface SendOptions {
  /** The service that handles the command, as an integration command on its commands topic. @default the local command bus */
  readonly to?: string
}

/** A command as a saga recorded it: what is sent again after a crash, and what the receiver dedupes by (`id`). */
export interface SagaCommand {
  /** Derived from the saga instance and the step: the same on every redelivery of the message that caused it. */
  readonly id: string
  readonly type: string
  /** The command's own fields. */
  readonly data: Readonly<Record<string, unknown>>
  /** The service it goes to; absent for the local command bus. */
  readonly to?: string
  /** `sagaId`, `sagaName`, `commandId`, `correlationId`, `causationId`. */
  readonly metadata: Readonly<Record<string, string>>
}

/** What a handler asks for, besides its new state; the runtime applies it after the state is stored. */
export type SagaEffect =
  | { readonly kind: 'send'; readonly command: object; readonly to: string | undefined }
  | { readonly kind: 'compensateWith'; readonly command: object; readonly to: string | undefined }
  | { readonly kind: 'compensate' }
  | { readonly kind: 'associate'; readonly key: string; readonly value: string }
  | { readonly kind: 'schedule'; readonly name: string; readonly when: DeadlineWhen; readonly payload: unknown }
  | { readonly kind: 'cancel'; readonly name: string }
  | { readonly kind: 'end' }

/** What a saga handler gets beside the message: the effects it may ask for. */
export interface SagaContext {
  /** The instance's id. */
  readonly sagaId: string
  /** The message being handled, with its id and metadata. */
  readonly message: SagaMessage
  /** Sends a command once this step is stored (on the local bus, or `to` another service). */
  send(command: object, options?: SendOptions): void
  /** Records the command that undoes this step, for {@link SagaContext.compensate}. */
  compensateWith(command: object, options?: SendOptions): void
  /** Sends the recorded compensations, most recent first, each once. */
  compensate(): void
  /** Lets messages whose `key` is `value` find this instance from now on. */
  associate(key: string, value: string): void
  /** Schedules deadline `name` of this instance; it comes back as a message to its `@SagaDeadlineHandler`. */
  schedule(name: string, when: DeadlineWhen, payload?: unknown): void
  /** Cancels deadline `name` of this instance. */
  cancel(name: string): void
  /** Ends the instance after this message. */
  end(): void
}

/** A {@link SagaContext} that collects what a handler asks for. */
export class EffectCollector implements SagaContext {
  readonly effects: SagaEffect[] = []

  constructor(
    readonly sagaId: string,
    readonly message: SagaMessage,
  ) {}

  send(command: object, { to }: SendOptions = {}): void {
    this.effects.push({ kind: 'send', command, to })
  }
  compensateWith(command: object, { to }: SendOptions = {}): void {
    this.effects.push({ kind: 'compensateWith', command, to })
  }
  compensate(): void {
    this.effects.push({ kind: 'compensate' })
  }
  associate(key: string, value: string): void {
    this.effects.push({ kind: 'associate', key, value })
  }
  schedule(name: string, when: DeadlineWhen, payload: unknown = null): void {
    this.effects.push({ kind: 'schedule', name, when, payload })
  }
  cancel(name: string): void {
    this.effects.push({ kind: 'cancel', name })
  }
  end(): void {
    this.effects.push({ kind: 'end' })
  }
}
