import type { Address } from '../clients/shipping.js';
import { pool, withTransaction } from './pool.js';

export type OrderStatus = 'paid' | 'shipped' | 'cancelled' | 'refunded';

export interface OrderItem {
  sku: string;
  quantity: number;
  unitPriceCents: number;
}

export interface Order {
  id: string;
  orderRef: string;
  customerId: string;
  status: OrderStatus;
  totalCents: number;
  currency: string;
  chargeId: string;
  shippingAddress: Address;
  trackingNumber: string | null;
  createdAt: Date;
}

export interface NewOrder {
  orderRef: string;
  customerId: string;
  totalCents: number;
  currency: string;
  chargeId: string;
  shippingAddress: Address;
  items: OrderItem[];
}

interface OrderRow {
  id: string;
  order_ref: string;
  customer_id: string;
  status: OrderStatus;
  total_cents: string;
  currency: string;
  charge_id: string;
  shipping_address: Address;
  tracking_number: string | null;
  created_at: Date;
}

function toOrder(row: OrderRow): Order {
  return {
    id: row.id,
    orderRef: row.order_ref,
    customerId: row.customer_id,
    status: row.status,
    totalCents: Number(row.total_cents),
    currency: row.currency,
    chargeId: row.charge_id,
    shippingAddress: row.shipping_address,
    trackingNumber: row.tracking_number,
    createdAt: row.created_at,
  };
}

export async function insertOrder(order: NewOrder): Promise<string> {
  return withTransaction(async (client) => {
    const { rows } = await client.query<{ id: string }>(
      `INSERT INTO orders (order_ref, customer_id, status, total_cents, currency, charge_id, shipping_address)
       VALUES ($1, $2, 'paid', $3, $4, $5, $6)
       RETURNING id`,
      [order.orderRef, order.customerId, order.totalCents, order.currency, order.chargeId, JSON.stringify(order.shippingAddress)],
    );
    const orderId = rows[0]!.id;
    for (const item of order.items) {
      await client.query(
        'INSERT INTO order_items (order_id, sku, quantity, unit_price_cents) VALUES ($1, $2, $3, $4)',
        [orderId, item.sku, item.quantity, item.unitPriceCents],
      );
    }
    return orderId;
  });
}

export async function findOrder(id: string): Promise<Order | undefined> {
  const { rows } = await pool.query<OrderRow>('SELECT * FROM orders WHERE id = $1', [id]);
  return rows[0] ? toOrder(rows[0]) : undefined;
}

export async function listOrderItems(orderId: string): Promise<OrderItem[]> {
  const { rows } = await pool.query<{ sku: string; quantity: number; unit_price_cents: string }>(
    'SELECT sku, quantity, unit_price_cents FROM order_items WHERE order_id = $1 ORDER BY sku',
    [orderId],
  );
  return rows.map((r) => ({ sku: r.sku, quantity: r.quantity, unitPriceCents: Number(r.unit_price_cents) }));
}

export async function markShipped(id: string, trackingNumber: string): Promise<void> {
  await pool.query(`UPDATE orders SET status = 'shipped', tracking_number = $2, updated_at = now() WHERE id = $1`, [id, trackingNumber]);
}

export async function markCancelled(id: string): Promise<void> {
  await pool.query(`UPDATE orders SET status = 'cancelled', updated_at = now() WHERE id = $1`, [id]);
}
