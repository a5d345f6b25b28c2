import { config } from '../config.js';

export interface ChargeRequest {
  orderRef: string;
  customerId: string;
  paymentMethodId: string;
  amountCents: number;
  currency: string;
}

export interface Charge {
  id: string;
  status: 'succeeded' | 'pending' | 'failed';
  amountCents: number;
  currency: string;
  failureCode?: string;
}

export interface Refund {
  id: string;
  chargeId: string;
  amountCents: number;
  status: 'succeeded' | 'pending';
}

export class PaymentError extends Error {
  constructor(
    readonly status: number,
    readonly code: string | undefined,
    message: string,
  ) {
    super(message);
  }
}

// p99 of the provider is ~2.5s; anything past 8s is a dead connection
const PAYMENTS_TIMEOUT_MS = 8_000;

export class PaymentsClient {
  constructor(
    private readonly baseUrl: string,
    private readonly apiKey: string,
  ) {}

  charge(request: ChargeRequest): Promise<Charge> {
    return this.post<Charge>('/v1/charges', {
      amount: request.amountCents,
      currency: request.currency,
      customer: request.customerId,
      payment_method: request.paymentMethodId,
      metadata: { order_ref: request.orderRef },
    });
  }

  refund(chargeId: string, amountCents?: number): Promise<Refund> {
    return this.post<Refund>('/v1/refunds', { charge: chargeId, amount: amountCents });
  }

  private async post<T>(path: string, body: unknown): Promise<T> {
    const res = await fetch(new URL(path, this.baseUrl), {
      method: 'POST',
      headers: {
        authorization: `Bearer ${this.apiKey}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(PAYMENTS_TIMEOUT_MS),
    });
    const payload = (await res.json()) as T & { error?: { code?: string; message?: string } };
    if (!res.ok) {
      throw new PaymentError(res.status, payload.error?.code, payload.error?.message ?? `payments API returned ${res.status}`);
    }
    return payload;
  }
}

export const payments = new PaymentsClient(config.paymentsApiUrl, config.paymentsApiKey);
