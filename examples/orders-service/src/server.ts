import { createServer } from 'node:http';
import { config } from './config.js';
import { pool } from './db/pool.js';
import { closeReporting } from './db/reporting.js';
import { closePublisher } from './events/sqs-publisher.js';
import { RestockConsumer } from './events/restock-consumer.js';
import { registerCatalogRoutes } from './http/catalog-routes.js';
import { registerOrderRoutes } from './http/orders-routes.js';
import { Router, sendJson } from './http/router.js';
import { queueConnection } from './queue/connection.js';
import { ordersQueue } from './queue/orders-queue.js';
import { startChargeWorker } from './workers/charge-worker.js';

const router = new Router();
router.get('/healthz', ({ res }) => sendJson(res, 200, { status: 'ok' }));
registerOrderRoutes(router);
registerCatalogRoutes(router);

const server = createServer(router.handle);
server.requestTimeout = 30_000;
server.headersTimeout = 10_000;

const worker = startChargeWorker();
const restock = new RestockConsumer();
restock.start().catch((err: unknown) => {
  console.error('restock consumer stopped', err);
  process.exitCode = 1;
});

server.listen(config.port, () => {
  console.log(`orders-service listening on :${config.port}`);
});

let shuttingDown = false;

async function shutdown(signal: NodeJS.Signals): Promise<void> {
  if (shuttingDown) return;
  shuttingDown = true;
  console.log(`${signal} received, draining`);
  restock.stop();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await worker.close();
  await ordersQueue.close();
  await queueConnection.quit();
  closePublisher();
  await Promise.all([pool.end(), closeReporting()]);
}

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    shutdown(signal).then(
      () => process.exit(0),
      (err: unknown) => {
        console.error('shutdown failed', err);
        process.exit(1);
      },
    );
  });
}
