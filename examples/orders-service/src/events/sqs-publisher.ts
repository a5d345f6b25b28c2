import { SQSClient, SendMessageCommand } from '@aws-sdk/client-sqs';
import { randomUUID } from 'node:crypto';
import { config } from '../config.js';
import { withRetry } from '../lib/retry.js';

const sqs = new SQSClient({ region: config.awsRegion });

export type OrderEventType = 'order.placed' | 'order.shipped' | 'order.cancelled' | 'order.refunded';

export async function publishOrderEvent(type: OrderEventType, orderId: string, payload: Record<string, unknown> = {}): Promise<void> {
  const message = {
    id: randomUUID(),
    type,
    orderId,
    occurredAt: new Date().toISOString(),
    payload,
  };
  await withRetry(() =>
    sqs.send(
      new SendMessageCommand({
        QueueUrl: config.orderEventsQueueUrl,
        MessageBody: JSON.stringify(message),
        MessageGroupId: orderId,
        MessageDeduplicationId: message.id,
        MessageAttributes: { type: { DataType: 'String', StringValue: type } },
      }),
    ),
  );
}

export function closePublisher(): void {
  sqs.destroy();
}
