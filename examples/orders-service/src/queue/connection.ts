import { Redis } from 'ioredis';
import { config } from '../config.js';

// BullMQ workers block on Redis; they require maxRetriesPerRequest: null
export const queueConnection = new Redis(config.redisUrl, {
  maxRetriesPerRequest: null,
  enableReadyCheck: false,
});
