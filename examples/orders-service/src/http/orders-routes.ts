import { randomUUID } from 'node:crypto';
import { inventoryApi, type Reservation, type ReservationItem } from '../clients/inventory.js';
import { payments } from '../clients/payments.js';
import { getQuote } from '../clients/pricing.js';
import { createShipment, type Address } from '../clients/shipping.js';
import { findOrder, listOrderItems, markCancelled, markShipped } from '../db/orders-repository.js';
import { publishOrderEvent } from '../events/sqs-publisher.js';
import { notifyOrderCancelled, notifyOrderShipped } from '../notifications/webhooks.js';
import { enqueueCharge } from '../queue/orders-queue.js';
import { HttpError, sendJson, type Router } from './router.js';

interface CreateOrderInput {
  customerId: string;
  paymentMethodId: string;
  items: ReservationItem[];
  shippingAddress: Address;
}

function parseCreateOrder(body: unknown): CreateOrderInput {
  if (typeof body !== 'object' || body === null) throw new HttpError(400, 'expected a JSON object');
  const input = body as Partial<CreateOrderInput>;
  if (!input.customerId || !input.paymentMethodId) throw new HttpError(400, 'customerId and paymentMethodId are required');
  if (!Array.isArray(input.items) || input.items.length === 0) throw new HttpError(400, 'items must be a non-empty array');
  if (input.items.some((i) => !i.sku || !Number.isInteger(i.quantity) || i.quantity <= 0)) {
    throw new HttpError(400, 'every item needs a sku and a positive quantity');
  }
  if (!input.shippingAddress) throw new HttpError(400, 'shippingAddress is required');
  return input as CreateOrderInput;
}

export function registerOrderRoutes(router: Router): void {
  router.post('/orders', async ({ res, body }) => {
    const input = parseCreateOrder(body);
    const orderRef = randomUUID();

    const quote = await getQuote(input.customerId, input.items);
    const { data: reservation } = await inventoryApi.post<Reservation>('/reservations', {
      orderRef,
      items: input.items,
      ttlSeconds: 900,
    });

    const unitPrice = Math.round(quote.subtotalCents / input.items.reduce((n, i) => n + i.quantity, 0));
    const jobId = await enqueueCharge({
      orderRef,
      customerId: input.customerId,
      paymentMethodId: input.paymentMethodId,
      reservationId: reservation.id,
      items: input.items.map((i) => ({ ...i, unitPriceCents: unitPrice })),
      totalCents: quote.totalCents,
      currency: quote.currency,
      shippingAddress: input.shippingAddress,
    });

    sendJson(res, 202, { orderRef, jobId, totalCents: quote.totalCents, currency: quote.currency });
  });

  router.get('/orders/:id', async ({ res, params }) => {
    const order = await findOrder(params.id);
    if (!order) throw new HttpError(404, 'order not found');
    const items = await listOrderItems(order.id);
    sendJson(res, 200, { ...order, items });
  });

  router.post('/orders/:id/ship', async ({ res, params }) => {
    const order = await findOrder(params.id);
    if (!order) throw new HttpError(404, 'order not found');
    if (order.status !== 'paid') throw new HttpError(409, `order is ${order.status}`);

    const items = await listOrderItems(order.id);
    const parcels = Math.max(1, Math.ceil(items.reduce((n, i) => n + i.quantity, 0) / 4));
    const shipment = await createShipment(order.id, order.shippingAddress, parcels);
    await markShipped(order.id, shipment.trackingNumber);
    await notifyOrderShipped(order.id, shipment.trackingNumber);
    await publishOrderEvent('order.shipped', order.id, { carrier: shipment.carrier, trackingNumber: shipment.trackingNumber });

    sendJson(res, 200, { orderId: order.id, trackingNumber: shipment.trackingNumber, labelUrl: shipment.labelUrl });
  });

  router.post('/orders/:id/cancel', async ({ res, params, body }) => {
    const order = await findOrder(params.id);
    if (!order) throw new HttpError(404, 'order not found');
    if (order.status !== 'paid') throw new HttpError(409, `order is ${order.status}`);
    const reason = typeof body === 'object' && body !== null && 'reason' in body ? String(body.reason) : 'customer_request';

    const refund = await payments.refund(order.chargeId);
    await markCancelled(order.id);
    await notifyOrderCancelled(order.id, reason);
    await publishOrderEvent('order.cancelled', order.id, { refundId: refund.id, reason });

    sendJson(res, 200, { orderId: order.id, refundId: refund.id });
  });
}
