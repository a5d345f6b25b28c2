import { Queue } from 'bullmq';
import type { Address } from '../clients/shipping.js';
import type { OrderItem } from '../db/orders-repository.js';
import { queueConnection } from './connection.js';

export const ORDERS_QUEUE = 'orders';

export interface ChargeJob {
  orderRef: string;
  customerId: string;
  paymentMethodId: string;
  reservationId: string;
  items: OrderItem[];
  totalCents: number;
  currency: string;
  shippingAddress: Address;
}

export const ordersQueue = new Queue<ChargeJob>(ORDERS_QUEUE, {
  connection: queueConnection,
  defaultJobOptions: { removeOnComplete: 1_000, removeOnFail: 5_000 },
});

export async function enqueueCharge(data: ChargeJob): Promise<string> {
  const job = await ordersQueue.add('charge', data, { attempts: 5 });
  return job.id ?? data.orderRef;
}
