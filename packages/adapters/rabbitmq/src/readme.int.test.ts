import { afterEach, expect, it, jest } from '@jest/globals'
// #region imports
import { decodeEnvelope, encodeEnvelope } from '@eventfold/messaging/spi'
import { RabbitMQTransport } from '@eventfold/rabbitmq'
// #endregion imports
import { deleteTopology, describeRabbitMQ, rabbitmqUrl } from './test-support/broker'

describeRabbitMQ('the README', () => {
  const env = process.env.RABBITMQ_URL

  afterEach(async () => {
    if (env === undefined) delete process.env.RABBITMQ_URL
    else process.env.RABBITMQ_URL = env
    jest.restoreAllMocks()
    await deleteTopology({
      exchanges: ['readme-orders', 'billing.dead-letter'],
      queues: ['eventfold.topic.readme-orders', 'billing.readme-orders.0', 'billing.readme-orders.1', 'billing.readme-orders.2', 'billing.readme-orders.3', 'billing.parked'],
    })
  })

  it('runs its usage example', async () => {
    process.env.RABBITMQ_URL = rabbitmqUrl()
    const log = jest.spyOn(console, 'log').mockImplementation(() => {})
    // #region usage
    const transport = new RabbitMQTransport(process.env.RABBITMQ_URL!)
    await transport.declare({ name: 'readme-orders', partitions: 4 }) // exchange + settings, once per topic

    // A group's queues exist from its first subscribe on: it gets what is published after that.
    const billing = await transport.subscribe({ group: 'billing', topics: ['readme-orders'] })

    await transport.publish('readme-orders', [
      encodeEnvelope({
        id: 'evt-1',
        type: 'OrderPlaced.v1',
        source: 'order',
        streamId: 'Order-o1',
        revision: 0n,
        position: 1n,
        occurredAt: new Date().toISOString(),
        payload: 'full',
        data: { orderId: 'o1', total: 42 },
      }),
    ]) // resolves once RabbitMQ confirmed the message

    const [delivery] = await billing.read(100, 50, new Promise<void>(() => {}))
    const envelope = decodeEnvelope(delivery!)
    console.log(envelope.type, envelope.data, `partition ${delivery!.partition}`)
    await billing.acknowledge([delivery!]) // after the handler's effects committed

    console.log(await transport.lag('billing', ['readme-orders'])) // every partition at lag 0n
    await transport.close()
    // #endregion usage
    expect(log).toHaveBeenCalledWith('OrderPlaced.v1', { orderId: 'o1', total: 42 }, expect.stringMatching(/^partition [0-3]$/))
    expect(envelope).toMatchObject({ id: 'evt-1', streamId: 'Order-o1', data: { orderId: 'o1', total: 42 } })
  })
})
