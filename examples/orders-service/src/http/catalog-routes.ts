import { inventoryApi, type StockLevel } from '../clients/inventory.js';
import { getListPrice } from '../clients/pricing.js';
import { salesForSku } from '../db/reporting.js';
import { HttpError, sendJson, type Router } from './router.js';

export function registerCatalogRoutes(router: Router): void {
  router.get('/products/:sku', async ({ res, params }) => {
    const sku = params.sku;
    const [price, stock] = await Promise.all([
      getListPrice(sku),
      inventoryApi.get<StockLevel>(`/stock/${encodeURIComponent(sku)}`),
    ]);
    sendJson(res, 200, {
      sku,
      price: { amountCents: price.amountCents, currency: price.currency },
      available: stock.data.available,
      inStock: stock.data.available > 0,
    });
  });

  router.get('/products/:sku/sales', async ({ res, params, query }) => {
    const days = Number(query.get('days') ?? '30');
    if (!Number.isInteger(days) || days < 1 || days > 365) throw new HttpError(400, 'days must be between 1 and 365');
    sendJson(res, 200, await salesForSku(params.sku, days));
  });
}
