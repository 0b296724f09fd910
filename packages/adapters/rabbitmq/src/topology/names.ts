// Names of what a topic and a consumer group are made of on the broker.

/** The durable topic exchange a topic is published to. */
export const topicExchange = (topic: string): string => topic

/** The queue holding a topic's declared settings, so every process reads the same partition count. */
export const topicSettingsQueue = (topic: string): string => `eventfold.topic.${topic}`

/** The queue of one partition of a topic for one consumer group. */
export const partitionQueue = (group: string, topic: string, partition: number): string => `${group}.${topic}.${partition}`

/** The exchange a group's dead-lettered messages go through. */
export const deadLetterExchange = (group: string): string => `${group}.dead-letter`

/** The queue where a group's dead-lettered messages are parked. */
export const parkedQueue = (group: string): string => `${group}.parked`

/** The queue whose consumers are the members of a group: its consumer count is how many there are. */
export const membersQueue = (group: string): string => `${group}.members`
