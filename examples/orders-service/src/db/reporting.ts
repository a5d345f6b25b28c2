import { Pool } from 'pg';
import { config } from '../config.js';

// read replica; reports must never hold a connection for long
const reportingPool = new Pool({
  connectionString: config.reportingDatabaseUrl,
  max: 5,
  connectionTimeoutMillis: 5_000,
  statement_timeout: 15_000,
  query_timeout: 20_000,
  application_name: 'orders-service-reporting',
});

reportingPool.on('error', (err) => {
  console.error('idle reporting client errored', err);
});

export interface SkuSales {
  sku: string;
  day: string;
  units: number;
  revenueCents: number;
}

export async function salesForSku(sku: string, days: number): Promise<SkuSales[]> {
  const { rows } = await reportingPool.query<{ day: string; units: string; revenue_cents: string }>(
    `SELECT to_char(o.created_at::date, 'YYYY-MM-DD') AS day,
            sum(i.quantity) AS units,
            sum(i.quantity * i.unit_price_cents) AS revenue_cents
       FROM order_items i
       JOIN orders o ON o.id = i.order_id
      WHERE i.sku = $1
        AND o.status IN ('paid', 'shipped')
        AND o.created_at >= now() - make_interval(days => $2)
      GROUP BY 1
      ORDER BY 1`,
    [sku, days],
  );
  return rows.map((r) => ({ sku, day: r.day, units: Number(r.units), revenueCents: Number(r.revenue_cents) }));
}

export async function closeReporting(): Promise<void> {
  await reportingPool.end();
}
