import { createHmac, randomUUID } from 'node:crypto';
import { config } from '../config.js';

type OrderEventType = 'order.placed' | 'order.shipped' | 'order.cancelled';

interface WebhookEvent {
  id: string;
  type: OrderEventType;
  occurredAt: string;
  data: Record<string, unknown>;
}

function buildEvent(type: OrderEventType, data: Record<string, unknown>): string {
  const event: WebhookEvent = { id: randomUUID(), type, occurredAt: new Date().toISOString(), data };
  return JSON.stringify(event);
}

function signedHeaders(body: string): Record<string, string> {
  const signature = createHmac('sha256', config.webhookSecret).update(body).digest('hex');
  return { 'content-type': 'application/json', 'x-orders-signature': `sha256=${signature}` };
}

export async function notifyOrderPlaced(orderId: string, totalCents: number, currency: string): Promise<void> {
  const body = buildEvent('order.placed', { orderId, totalCents, currency });
  const res = await fetch(config.webhookUrl, {
    method: 'POST',
    headers: signedHeaders(body),
    body,
  });
  if (!res.ok) {
    console.warn(`order.placed webhook for ${orderId} returned ${res.status}`);
  }
}

export async function notifyOrderShipped(orderId: string, trackingNumber: string): Promise<void> {
  const body = buildEvent('order.shipped', { orderId, trackingNumber });
  // the partner endpoint gets slow during their batch imports
  const res = await fetch(config.webhookUrl, {
    method: 'POST',
    headers: signedHeaders(body),
    body,
    timeout: 5_000,
  } as RequestInit);
  if (!res.ok) {
    console.warn(`order.shipped webhook for ${orderId} returned ${res.status}`);
  }
}

export async function notifyOrderCancelled(orderId: string, reason: string): Promise<void> {
  const body = buildEvent('order.cancelled', { orderId, reason });
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), 5_000);
  try {
    const res = await fetch(config.webhookUrl, {
      method: 'POST',
      headers: signedHeaders(body),
      body,
      signal: controller.signal,
    });
    if (!res.ok) {
      console.warn(`order.cancelled webhook for ${orderId} returned ${res.status}`);
    }
  } finally {
    clearTimeout(timer);
  }
}
