import { Worker } from 'bullmq';
import { inventoryApi } from '../clients/inventory.js';
import { payments } from '../clients/payments.js';
import { insertOrder } from '../db/orders-repository.js';
import { notifyOrderPlaced } from '../notifications/webhooks.js';
import { queueConnection } from '../queue/connection.js';
import { ORDERS_QUEUE, type ChargeJob } from '../queue/orders-queue.js';

export interface ChargeResult {
  orderId: string;
  chargeId: string;
}

export function startChargeWorker(): Worker<ChargeJob, ChargeResult> {
  const worker = new Worker<ChargeJob, ChargeResult>(
    ORDERS_QUEUE,
    async (job) => {
      const data = job.data;
      const charge = await payments.charge({
        orderRef: data.orderRef,
        customerId: data.customerId,
        paymentMethodId: data.paymentMethodId,
        amountCents: data.totalCents,
        currency: data.currency,
      });
      if (charge.status === 'failed') {
        throw new Error(`charge for ${data.orderRef} failed: ${charge.failureCode ?? 'unknown'}`);
      }

      const orderId = await insertOrder({
        orderRef: data.orderRef,
        customerId: data.customerId,
        totalCents: data.totalCents,
        currency: data.currency,
        chargeId: charge.id,
        shippingAddress: data.shippingAddress,
        items: data.items,
      });

      await inventoryApi.post(`/reservations/${encodeURIComponent(data.reservationId)}/commit`, { orderId });
      await notifyOrderPlaced(orderId, data.totalCents, data.currency);
      return { orderId, chargeId: charge.id };
    },
    { connection: queueConnection, concurrency: 5 },
  );

  worker.on('failed', (job, err) => {
    console.error(`charge job ${job?.id ?? '?'} failed (attempt ${job?.attemptsMade ?? 0})`, err);
  });
  return worker;
}
