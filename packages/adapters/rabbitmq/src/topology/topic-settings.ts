import type { TopicSpec } from '@eventfold/messaging/spi'

/** What the broker records of a declared topic: enough for any process to route and create queues alike. */
export interface TopicSettings {
  readonly partitions: number
  readonly retentionMs: number | 'forever'
}

/** The settings a declaration asks for, with the port's defaults. */
export const settingsOf = (spec: TopicSpec): TopicSettings => ({
  partitions: spec.partitions ?? 1,
  retentionMs: spec.retentionMs ?? 'forever',
})

/** The settings as the body of the message the settings queue holds. */
export const encodeSettings = (settings: TopicSettings): Buffer => Buffer.from(JSON.stringify(settings), 'utf8')

/** The settings from the settings queue's message, or `undefined` when it is not one this transport wrote. */
export const decodeSettings = (body: Buffer): TopicSettings | undefined => {
  try {
    const value = JSON.parse(body.toString('utf8')) as { partitions?: unknown; retentionMs?: unknown }
    const { partitions, retentionMs } = value
    if (typeof partitions !== 'number' || !Number.isInteger(partitions) || partitions < 1) return undefined
    if (retentionMs !== 'forever' && (typeof retentionMs !== 'number' || !Number.isInteger(retentionMs) || retentionMs < 1)) return undefined
    return { partitions, retentionMs }
  } catch {
    return undefined
  }
}
