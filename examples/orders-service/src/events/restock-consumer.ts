import { DeleteMessageCommand, ReceiveMessageCommand, SQSClient, type Message } from '@aws-sdk/client-sqs';
import { config } from '../config.js';
import { withTransaction } from '../db/pool.js';
import { retryWithBackoff } from '../lib/backoff.js';

// long polling keeps a receive open for up to 20s, so requestTimeout sits above that
const sqs = new SQSClient({
  region: config.awsRegion,
  requestHandler: { connectionTimeout: 2_000, requestTimeout: 30_000, throwOnRequestTimeout: true },
});

interface RestockEvent {
  sku: string;
  warehouse: string;
  quantity: number;
  receivedAt: string;
}

export class RestockConsumer {
  private running = false;

  async start(): Promise<void> {
    this.running = true;
    while (this.running) {
      const { Messages = [] } = await retryWithBackoff(
        () =>
          sqs.send(
            new ReceiveMessageCommand({
              QueueUrl: config.restockQueueUrl,
              MaxNumberOfMessages: 10,
              WaitTimeSeconds: 20,
            }),
          ),
        { maxAttempts: 6, baseDelayMs: 250, maxDelayMs: 15_000 },
      );
      for (const message of Messages) {
        await this.handle(message);
      }
    }
  }

  stop(): void {
    this.running = false;
  }

  private async handle(message: Message): Promise<void> {
    if (!message.MessageId || !message.Body || !message.ReceiptHandle) return;
    const event = JSON.parse(message.Body) as RestockEvent;
    const messageId = message.MessageId;

    await withTransaction(async (client) => {
      // SQS is at-least-once: remember what we already applied
      const { rowCount } = await client.query(
        'INSERT INTO processed_messages (message_id, source) VALUES ($1, $2) ON CONFLICT (message_id) DO NOTHING',
        [messageId, 'restock'],
      );
      if (rowCount === 0) return;
      await client.query(
        `INSERT INTO product_stock (sku, warehouse, on_hand) VALUES ($1, $2, $3)
         ON CONFLICT (sku, warehouse) DO UPDATE SET on_hand = product_stock.on_hand + EXCLUDED.on_hand`,
        [event.sku, event.warehouse, event.quantity],
      );
    });

    await sqs.send(new DeleteMessageCommand({ QueueUrl: config.restockQueueUrl, ReceiptHandle: message.ReceiptHandle }));
  }
}
