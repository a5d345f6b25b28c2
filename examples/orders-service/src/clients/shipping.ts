import axios from 'axios';
import { ConsecutiveBreaker, ExponentialBackoff, circuitBreaker, handleWhen, retry, wrap } from 'cockatiel';
import { config } from '../config.js';

export interface Address {
  name: string;
  line1: string;
  line2?: string;
  city: string;
  postalCode: string;
  country: string;
}

export interface Shipment {
  id: string;
  carrier: string;
  trackingNumber: string;
  labelUrl: string;
}

const shippingApi = axios.create({
  baseURL: config.shippingApiUrl,
  timeout: 4_000,
  headers: { 'x-client-name': 'orders-service' },
});

function isTransient(err: Error): boolean {
  if (!axios.isAxiosError(err)) return false;
  const status = err.response?.status;
  return status === undefined || status === 429 || status >= 500;
}

const retryPolicy = retry(handleWhen(isTransient), {
  maxAttempts: 3,
  backoff: new ExponentialBackoff({ initialDelay: 200, maxDelay: 5_000 }),
});

const breakerPolicy = circuitBreaker(handleWhen(isTransient), {
  halfOpenAfter: 15_000,
  breaker: new ConsecutiveBreaker(5),
});

const shippingPolicy = wrap(retryPolicy, breakerPolicy);

export async function createShipment(orderId: string, address: Address, parcels: number): Promise<Shipment> {
  return shippingPolicy.execute(async ({ signal }) => {
    const { data } = await shippingApi.post<Shipment>(
      '/shipments',
      { reference: orderId, address, parcels },
      { signal, headers: { 'idempotency-key': `shipment-${orderId}` } },
    );
    return data;
  });
}

export async function cancelShipment(shipmentId: string): Promise<void> {
  await shippingPolicy.execute(({ signal }) => shippingApi.delete(`/shipments/${encodeURIComponent(shipmentId)}`, { signal }));
}
