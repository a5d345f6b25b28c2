import { config } from '../config.js';
import { fetchJson } from '../lib/http.js';

export interface ListPrice {
  sku: string;
  amountCents: number;
  currency: string;
  validUntil: string;
}

export interface QuoteLine {
  sku: string;
  quantity: number;
}

export interface Quote {
  id: string;
  currency: string;
  subtotalCents: number;
  discountCents: number;
  taxCents: number;
  totalCents: number;
}

export function getListPrice(sku: string): Promise<ListPrice> {
  return fetchJson<ListPrice>(`${config.pricingApiUrl}/prices/${encodeURIComponent(sku)}`);
}

export function getQuote(customerId: string, lines: QuoteLine[]): Promise<Quote> {
  return fetchJson<Quote>(`${config.pricingApiUrl}/quotes`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ customerId, lines }),
    signal: AbortSignal.timeout(3_000),
  });
}
