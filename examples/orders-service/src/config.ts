function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`missing environment variable ${name}`);
  return value;
}

function optional(name: string, fallback: string): string {
  return process.env[name] || fallback;
}

export const config = {
  port: Number(optional('PORT', '3000')),
  databaseUrl: required('DATABASE_URL'),
  reportingDatabaseUrl: process.env.REPORTING_DATABASE_URL || required('DATABASE_URL'),
  redisUrl: optional('REDIS_URL', 'redis://localhost:6379'),
  inventoryApiUrl: required('INVENTORY_API_URL'),
  shippingApiUrl: required('SHIPPING_API_URL'),
  pricingApiUrl: required('PRICING_API_URL'),
  paymentsApiUrl: required('PAYMENTS_API_URL'),
  paymentsApiKey: required('PAYMENTS_API_KEY'),
  webhookUrl: required('ORDER_WEBHOOK_URL'),
  webhookSecret: required('ORDER_WEBHOOK_SECRET'),
  awsRegion: optional('AWS_REGION', 'eu-west-1'),
  orderEventsQueueUrl: required('ORDER_EVENTS_QUEUE_URL'),
  restockQueueUrl: required('RESTOCK_QUEUE_URL'),
} as const;
