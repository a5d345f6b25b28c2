import axios from 'axios';
import { config } from '../config.js';

export interface StockLevel {
  sku: string;
  available: number;
  reserved: number;
  warehouse: string;
}

export interface ReservationItem {
  sku: string;
  quantity: number;
}

export interface Reservation {
  id: string;
  orderRef: string;
  items: ReservationItem[];
  expiresAt: string;
}

export const inventoryApi = axios.create({
  baseURL: config.inventoryApiUrl,
  headers: {
    'x-client-name': 'orders-service',
    accept: 'application/json',
  },
});
