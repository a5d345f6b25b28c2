/**
 * Generates a deterministic TypeScript backend project for the benchmark:
 * feature modules (DTO, repository, service, controller, mapper, policy and,
 * for some, a gateway to a partner API), shared libraries, axios instances
 * created in `src/clients/` and imported elsewhere, pg pools, and a
 * composition root. About one file in eight makes outbound calls, in the forms
 * `missing-timeout` looks at (fetch with and without a signal, a `timeout`
 * key fetch ignores, a forwarding `fetchJson` wrapper, axios instances and
 * `this.http` fields, got, pg pools). About one module in six has a BullMQ
 * worker (most create an entity through the service and repository, an
 * insert the handler rule follows three calls down; the rest only read), and
 * one gateway in five a retry around its sync (a fixed 500 ms delay, or the
 * project's backoff helper). The rest is ordinary code the analysis still has
 * to load and walk.
 *
 *   node --import tsx bench/generate.ts <outDir> [--files N] [--seed S]
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Bump when the output changes in a way the source hash would not show. */
export const GENERATOR_VERSION = 2;
export const MANIFEST_NAME = 'bench-manifest.json';
export const DEFAULT_FILES = 2000;
export const DEFAULT_SEED = 20_240_611;

export interface GenerateOptions {
  outDir: string;
  files: number;
  seed: number;
}

export interface GenerateStats {
  files: number;
  lines: number;
  bytes: number;
  modules: number;
  /** Files that construct an outbound client or make an outbound call. */
  outboundFiles: number;
  /** Places meant to be reported by `missing-timeout` (constructions and calls; approximate by nature). */
  plantedMissingTimeout: number;
  /** Outbound places written correctly (timeouts, signals). */
  plantedCorrect: number;
  /** BullMQ workers whose processor inserts a row through the service (non-idempotent-handler), and those that only read. */
  plantedUnsafeWorkers: number;
  safeWorkers: number;
  /** Hand-written retry loops with a fixed delay (retry-without-backoff), and retries through the backoff helper. */
  plantedFixedDelayRetries: number;
  backoffRetries: number;
}

export interface Manifest {
  generatorVersion: number;
  generatorHash: string;
  files: number;
  seed: number;
  stats: GenerateStats;
}

// ---------------------------------------------------------------------------
// Deterministic randomness

class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** mulberry32 */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }

  shuffle<T>(items: readonly T[]): T[] {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  }

  sample<T>(items: readonly T[], n: number): T[] {
    return this.shuffle(items).slice(0, n);
  }
}

// ---------------------------------------------------------------------------
// Names

const NOUNS = [
  'invoice', 'customer', 'product', 'order', 'shipment', 'payment', 'refund', 'coupon', 'voucher', 'subscription',
  'plan', 'account', 'address', 'warehouse', 'supplier', 'purchase', 'return', 'review', 'ticket', 'message',
  'notification', 'session', 'device', 'report', 'ledger', 'transaction', 'settlement', 'payout', 'merchant', 'store',
  'category', 'bundle', 'price', 'discount', 'receipt', 'quote', 'contract', 'employee', 'team', 'project',
  'task', 'document', 'asset', 'license', 'webhook', 'export', 'schedule', 'booking', 'reservation', 'slot',
  'route', 'vehicle', 'driver', 'parcel', 'label', 'carrier', 'stock', 'batch', 'survey', 'campaign',
  'segment', 'lead', 'deal', 'partner', 'vendor', 'policy', 'claim', 'quota', 'tenant', 'member',
  'invite', 'role', 'feature', 'experiment', 'metric', 'alert', 'incident', 'backup', 'pipeline', 'credit',
];
const QUALIFIERS = ['', 'partner', 'legacy', 'regional', 'internal', 'bulk', 'scheduled', 'vendor', 'draft', 'external', 'priority', 'shared'];
const PARTNERS = [
  'crm', 'erp', 'billing', 'tax', 'fraud', 'geo', 'search', 'mailer', 'sms', 'ledger', 'kyc', 'fx',
  'loyalty', 'reviews', 'fulfilment', 'carrier', 'identity', 'analytics', 'pricing', 'catalog',
];
const HELPER_TOPICS = ['collections', 'objects', 'numbers', 'text', 'ids', 'time', 'sets', 'maps', 'csv', 'diff', 'hash', 'env'];

const pascal = (kebab: string): string => kebab.split('-').map((w) => w[0]!.toUpperCase() + w.slice(1)).join('');
const camel = (kebab: string): string => {
  const p = pascal(kebab);
  return p[0]!.toLowerCase() + p.slice(1);
};
const snake = (s: string): string => s.replace(/-/g, '_').replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
const kebabOf = (camelName: string): string => camelName.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
const plural = (word: string): string => (word.endsWith('s') ? `${word}es` : word.endsWith('y') ? `${word.slice(0, -1)}ies` : `${word}s`);

// ---------------------------------------------------------------------------
// Entities

type FieldKind = 'string' | 'number' | 'boolean' | 'strings' | 'nullableString' | 'nullableDate';

interface Field {
  name: string;
  kind: FieldKind;
}

const FIELD_POOL: Field[] = [
  { name: 'description', kind: 'string' },
  { name: 'externalRef', kind: 'string' },
  { name: 'currency', kind: 'string' },
  { name: 'countryCode', kind: 'string' },
  { name: 'locale', kind: 'string' },
  { name: 'ownerId', kind: 'string' },
  { name: 'sku', kind: 'string' },
  { name: 'slug', kind: 'string' },
  { name: 'phone', kind: 'nullableString' },
  { name: 'notes', kind: 'nullableString' },
  { name: 'referenceCode', kind: 'nullableString' },
  { name: 'amountCents', kind: 'number' },
  { name: 'quantity', kind: 'number' },
  { name: 'priority', kind: 'number' },
  { name: 'weightGrams', kind: 'number' },
  { name: 'sortOrder', kind: 'number' },
  { name: 'capacity', kind: 'number' },
  { name: 'isDefault', kind: 'boolean' },
  { name: 'isPublic', kind: 'boolean' },
  { name: 'requiresApproval', kind: 'boolean' },
  { name: 'tags', kind: 'strings' },
  { name: 'labels', kind: 'strings' },
  { name: 'expiresAt', kind: 'nullableDate' },
  { name: 'scheduledAt', kind: 'nullableDate' },
  { name: 'approvedAt', kind: 'nullableDate' },
];
const LABEL_FIELDS: Field[] = [
  { name: 'name', kind: 'string' },
  { name: 'displayName', kind: 'string' },
  { name: 'title', kind: 'string' },
  { name: 'email', kind: 'string' },
];
const STATUS_SETS: string[][] = [
  ['active', 'paused', 'closed'],
  ['draft', 'pending', 'approved', 'rejected'],
  ['open', 'in_progress', 'resolved', 'cancelled'],
  ['pending', 'confirmed', 'shipped', 'delivered', 'returned'],
  ['new', 'verified', 'suspended', 'archived'],
];

const TS_TYPE: Record<FieldKind, string> = {
  string: 'string',
  number: 'number',
  boolean: 'boolean',
  strings: 'string[]',
  nullableString: 'string | null',
  nullableDate: 'Date | null',
};
const ROW_TYPE: Record<FieldKind, string> = {
  string: 'string',
  number: 'string',
  boolean: 'boolean',
  strings: 'string[]',
  nullableString: 'string | null',
  nullableDate: 'Date | null',
};
const JSON_TYPE: Record<FieldKind, string> = {
  string: 'string',
  number: 'number',
  boolean: 'boolean',
  strings: 'string[]',
  nullableString: 'string | null',
  nullableDate: 'string | null',
};

function validatorCall(f: Field): string {
  switch (f.kind) {
    case 'string':
      return `requireString(body, '${f.name}', { max: ${f.name === 'description' ? 2000 : 200} })`;
    case 'number':
      return `requireNumber(body, '${f.name}', { min: 0, integer: true })`;
    case 'boolean':
      return `requireBoolean(body, '${f.name}')`;
    case 'strings':
      return `requireStringArray(body, '${f.name}', { maxItems: 50 })`;
    case 'nullableString':
      return `optionalString(body, '${f.name}')`;
    case 'nullableDate':
      return `optionalDate(body, '${f.name}')`;
  }
}

function fromRowExpr(f: Field): string {
  const col = snake(f.name);
  return f.kind === 'number' ? `Number(row.${col})` : `row.${col}`;
}

function jsonExpr(f: Field, v: string): string {
  return f.kind === 'nullableDate' ? `${v}.${f.name}?.toISOString() ?? null` : f.kind === 'strings' ? `[...${v}.${f.name}]` : `${v}.${f.name}`;
}

function csvExpr(f: Field): string {
  switch (f.kind) {
    case 'strings':
      return `entity.${f.name}.join(';')`;
    case 'nullableDate':
      return `entity.${f.name}?.toISOString() ?? ''`;
    case 'nullableString':
      return `entity.${f.name} ?? ''`;
    default:
      return `entity.${f.name}`;
  }
}

function sameExpr(f: Field): string {
  switch (f.kind) {
    case 'strings':
      return `before.${f.name}.join('\\u0000') !== after.${f.name}.join('\\u0000')`;
    case 'nullableDate':
      return `(before.${f.name}?.getTime() ?? null) !== (after.${f.name}?.getTime() ?? null)`;
    default:
      return `before.${f.name} !== after.${f.name}`;
  }
}

// ---------------------------------------------------------------------------
// Outbound variants

interface Partner {
  name: string;
  hasTimeout: boolean;
  timeoutMs: number;
}

interface ModuleSpec {
  name: string;
  E: string;
  e: string;
  label: string;
  path: string;
  table: string;
  fields: Field[];
  labelField: Field;
  statuses: string[];
  partner: Partner;
  /** Outbound variants of the service (may be empty). */
  serviceVariants: Variant[];
  /** Variants of the gateway; a module has a gateway when this is non-empty. */
  gatewayVariants: Variant[];
  /** The service or gateway takes `private readonly http: AxiosInstance`. */
  serviceNeedsHttp: boolean;
  gatewayNeedsHttp: boolean;
  /** Another module whose DTO the service imports. */
  related?: ModuleSpec;
  /** A BullMQ worker file: its processor creates an entity (unsafe to repeat) or only reads one. */
  worker?: 'creates' | 'reads';
  /** A retry around the gateway's sync: a hand-written loop with a fixed delay, or the backoff helper. */
  syncRetry?: 'fixed' | 'backoff';
}

function workerFile(m: ModuleSpec): string {
  const { E } = m;
  const body =
    m.worker === 'creates'
      ? `    const created = await service.create(job.data);
    return created.id;`
      : `    const current = await service.get(job.data.id);
    return current.id;`;
  const input = m.worker === 'creates' ? `Create${E}Input` : '{ id: string }';
  return `import { Worker, type Job } from 'bullmq';
${m.worker === 'creates' ? `import type { Create${E}Input } from './${m.name}.dto.js';
` : ''}import type { ${E}Service } from './${m.name}.service.js';

/** Consumes the ${m.path} queue: one job per ${m.label}. */
export function start${E}Worker(service: ${E}Service, connection: { host: string; port: number }): Worker {
  return new Worker<${input}, string>(
    '${m.path}',
    async (job: Job<${input}, string>) => {
${body}
    },
    { connection, concurrency: 4 },
  );
}
`;
}

function syncFile(m: ModuleSpec): string {
  const { E } = m;
  const gatewayCall = `gateway.${gatewayEntry(m, 0)}(entity)`;
  if (m.syncRetry === 'backoff') {
    return `import { retry } from '../../lib/retry.js';
import type { ${E} } from './${m.name}.dto.js';
import type { ${E}Gateway } from './${m.name}.gateway.js';

/** Pushes a ${m.label} to the partner, retrying with exponential backoff and jitter. */
export async function sync${E}WithRetry(gateway: ${E}Gateway, entity: ${E}): Promise<void> {
  await retry(() => ${gatewayCall}, { attempts: 4, baseDelayMs: 200, maxDelayMs: 5_000 });
}
`;
  }
  return `import { setTimeout as sleep } from 'node:timers/promises';
import type { ${E} } from './${m.name}.dto.js';
import type { ${E}Gateway } from './${m.name}.gateway.js';

/** Pushes a ${m.label} to the partner, three attempts. */
export async function sync${E}WithRetry(gateway: ${E}Gateway, entity: ${E}): Promise<void> {
  let lastError: unknown;
  for (let attempt = 1; attempt <= 3; attempt++) {
    try {
      await ${gatewayCall};
      return;
    } catch (err) {
      lastError = err;
      await sleep(500);
    }
  }
  throw lastError;
}
`;
}

interface VariantOut {
  imports: string[];
  topLevel: string[];
  methods: string[];
  /** Public method taking `(entity)`, called from the controller or the service. */
  entry: string;
  needsHttp?: boolean;
}

type Variant = {
  id: string;
  weight: number;
  /** Whether the rule should report it (given the partner). */
  finding: (m: ModuleSpec) => boolean;
  render: (m: ModuleSpec, rng: Rng, where: 'service' | 'gateway') => VariantOut;
};

const ERRORS_IMPORT = (depth: string) => `import { UpstreamError } from '${depth}lib/errors.js';`;
const CONFIG_IMPORT = (depth: string) => `import { config } from '${depth}config.js';`;
const DEPTH = '../../';

function baseUrl(m: ModuleSpec): string {
  return `\${config.services.${camel(m.partner.name)}}`;
}

const VARIANTS: Variant[] = [
  {
    id: 'fetch-signal-timeout',
    weight: 3,
    finding: () => false,
    render: (m, rng) => ({
      imports: [CONFIG_IMPORT(DEPTH), ERRORS_IMPORT(DEPTH)],
      topLevel: [],
      entry: `publish${m.E}Snapshot`,
      methods: [
        `  async publish${m.E}Snapshot(entity: ${m.E}): Promise<void> {
    const res = await fetch(\`${baseUrl(m)}/snapshots/${m.path}/\${encodeURIComponent(entity.id)}\`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: entity.id, status: entity.status, updatedAt: entity.updatedAt.toISOString() }),
      signal: AbortSignal.timeout(${rng.pick([2_000, 3_000, 5_000, 10_000])}),
    });
    if (!res.ok) {
      throw new UpstreamError('${m.partner.name}', res.status);
    }
  }`,
      ],
    }),
  },
  {
    id: 'fetch-no-signal',
    weight: 3,
    finding: () => true,
    render: (m) => ({
      imports: [CONFIG_IMPORT(DEPTH), ERRORS_IMPORT(DEPTH)],
      topLevel: [],
      entry: `notify${m.E}Changed`,
      methods: [
        `  async notify${m.E}Changed(entity: ${m.E}): Promise<void> {
    const res = await fetch(\`${baseUrl(m)}/events\`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: '${m.label}.changed', id: entity.id, status: entity.status }),
    });
    if (!res.ok) {
      throw new UpstreamError('${m.partner.name}', res.status);
    }
  }`,
      ],
    }),
  },
  {
    id: 'fetch-timeout-key',
    weight: 1,
    finding: () => true,
    render: (m) => ({
      imports: [CONFIG_IMPORT(DEPTH)],
      topLevel: [],
      entry: `report${m.E}Usage`,
      methods: [
        `  async report${m.E}Usage(entity: ${m.E}): Promise<boolean> {
    const res = await fetch(\`${baseUrl(m)}/usage/${m.path}\`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: entity.id, at: new Date().toISOString() }),
      timeout: 5_000,
    } as RequestInit);
    return res.ok;
  }`,
      ],
    }),
  },
  {
    id: 'fetch-json-signal',
    weight: 2,
    finding: () => false,
    render: (m, rng) => ({
      imports: [CONFIG_IMPORT(DEPTH), `import { fetchJson } from '${DEPTH}lib/fetch-json.js';`],
      topLevel: [
        `export interface ${m.E}Enrichment {
  score: number;
  segment: string;
  refreshedAt: string;
}`,
      ],
      entry: `enrich${m.E}`,
      methods: [
        `  enrich${m.E}(entity: ${m.E}): Promise<${m.E}Enrichment> {
    return fetchJson<${m.E}Enrichment>(\`${baseUrl(m)}/enrich/${m.path}/\${entity.id}\`, {
      signal: AbortSignal.timeout(${rng.pick([1_500, 2_500, 4_000])}),
    });
  }`,
      ],
    }),
  },
  {
    id: 'fetch-json-no-signal',
    weight: 2,
    finding: () => true,
    render: (m) => ({
      imports: [CONFIG_IMPORT(DEPTH), `import { fetchJson } from '${DEPTH}lib/fetch-json.js';`],
      topLevel: [
        `export interface ${m.E}Reference {
  id: string;
  canonicalName: string;
  aliases: string[];
}`,
      ],
      entry: `lookup${m.E}Reference`,
      methods: [
        `  lookup${m.E}Reference(entity: ${m.E}): Promise<${m.E}Reference> {
    return fetchJson<${m.E}Reference>(\`${baseUrl(m)}/references/${m.path}/\${encodeURIComponent(entity.id)}\`);
  }`,
      ],
    }),
  },
  {
    id: 'partner-instance',
    weight: 4,
    finding: (m) => !m.partner.hasTimeout,
    render: (m) => {
      const p = camel(m.partner.name);
      return {
        imports: [`import { ${p}Http } from '${DEPTH}clients/${m.partner.name}-client.js';`],
        topLevel: [],
        entry: `sync${m.E}To${pascal(m.partner.name)}`,
        methods: [
          `  async sync${m.E}To${pascal(m.partner.name)}(entity: ${m.E}): Promise<void> {
    await ${p}Http.post('/${m.path}/sync', {
      id: entity.id,
      status: entity.status,
      updatedAt: entity.updatedAt.toISOString(),
    });
  }`,
        ],
      };
    },
  },
  {
    id: 'injected-http',
    weight: 4,
    finding: (m) => !m.partner.hasTimeout,
    render: (m) => ({
      imports: [],
      topLevel: [],
      needsHttp: true,
      entry: `push${m.E}`,
      methods: [
        `  async push${m.E}(entity: ${m.E}): Promise<string> {
    const { data } = await this.http.put<{ revision: string }>(\`/${m.path}/\${encodeURIComponent(entity.id)}\`, {
      status: entity.status,
      updatedAt: entity.updatedAt.toISOString(),
    });
    return data.revision;
  }`,
      ],
    }),
  },
  {
    id: 'got-timeout',
    weight: 1,
    finding: () => false,
    render: (m, rng) => ({
      imports: [`import got from 'got';`, CONFIG_IMPORT(DEPTH)],
      topLevel: [
        `export interface ${m.E}Rates {
  currency: string;
  rates: Record<string, number>;
}`,
      ],
      entry: `fetch${m.E}Rates`,
      methods: [
        `  fetch${m.E}Rates(entity: ${m.E}): Promise<${m.E}Rates> {
    return got
      .get(\`${baseUrl(m)}/rates/\${entity.id}\`, { timeout: { request: ${rng.pick([2_000, 4_000, 8_000])} }, retry: { limit: 2 } })
      .json<${m.E}Rates>();
  }`,
      ],
    }),
  },
  {
    id: 'got-no-timeout',
    weight: 1,
    finding: () => true,
    render: (m) => ({
      imports: [`import got from 'got';`, CONFIG_IMPORT(DEPTH)],
      topLevel: [],
      entry: `register${m.E}Webhook`,
      methods: [
        `  async register${m.E}Webhook(entity: ${m.E}): Promise<string> {
    const body = await got
      .post(\`${baseUrl(m)}/webhooks\`, { json: { topic: '${m.label}', resourceId: entity.id } })
      .json<{ id: string }>();
    return body.id;
  }`,
      ],
    }),
  },
  {
    id: 'axios-timeout',
    weight: 1,
    finding: () => false,
    render: (m, rng) => ({
      imports: [`import axios from 'axios';`, CONFIG_IMPORT(DEPTH)],
      topLevel: [],
      entry: `score${m.E}`,
      methods: [
        `  async score${m.E}(entity: ${m.E}): Promise<number> {
    const { data } = await axios.get<{ score: number }>(\`${baseUrl(m)}/scores/\${entity.id}\`, {
      timeout: ${rng.pick([1_000, 2_000, 3_000])},
    });
    return data.score;
  }`,
      ],
    }),
  },
  {
    id: 'axios-no-timeout',
    weight: 1,
    finding: () => true,
    render: (m) => ({
      imports: [`import axios from 'axios';`, CONFIG_IMPORT(DEPTH)],
      topLevel: [],
      entry: `flag${m.E}ForReview`,
      methods: [
        `  async flag${m.E}ForReview(entity: ${m.E}): Promise<void> {
    await axios.post(\`${baseUrl(m)}/reviews\`, { resource: '${m.label}', id: entity.id });
  }`,
      ],
    }),
  },
  {
    id: 'abort-controller',
    weight: 1,
    finding: () => false,
    render: (m, rng) => ({
      imports: [CONFIG_IMPORT(DEPTH), ERRORS_IMPORT(DEPTH)],
      topLevel: [],
      entry: `archive${m.E}Remotely`,
      methods: [
        `  async archive${m.E}Remotely(entity: ${m.E}): Promise<void> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), ${rng.pick([3_000, 5_000])});
    try {
      const res = await fetch(\`${baseUrl(m)}/${m.path}/\${entity.id}\`, { method: 'DELETE', signal: controller.signal });
      if (!res.ok && res.status !== 404) {
        throw new UpstreamError('${m.partner.name}', res.status);
      }
    } finally {
      clearTimeout(timer);
    }
  }`,
      ],
    }),
  },
  {
    id: 'caller-signal',
    weight: 1,
    finding: () => false,
    render: (m, rng) => ({
      imports: [CONFIG_IMPORT(DEPTH), ERRORS_IMPORT(DEPTH)],
      topLevel: [],
      entry: `refresh${m.E}`,
      methods: [
        `  private async load${m.E}Remote(id: string, signal: AbortSignal): Promise<Record<string, unknown>> {
    const res = await fetch(\`${baseUrl(m)}/${m.path}/\${encodeURIComponent(id)}\`, { signal });
    if (!res.ok) {
      throw new UpstreamError('${m.partner.name}', res.status);
    }
    return (await res.json()) as Record<string, unknown>;
  }`,
        `  refresh${m.E}(entity: ${m.E}): Promise<Record<string, unknown>> {
    return this.load${m.E}Remote(entity.id, AbortSignal.timeout(${rng.pick([2_000, 5_000])}));
  }`,
      ],
    }),
  },
  {
    id: 'legacy-pool-timeout',
    weight: 1,
    finding: () => false,
    render: (m) => ({
      imports: [`import { Pool } from 'pg';`, CONFIG_IMPORT(DEPTH)],
      topLevel: [
        `const legacyDb = new Pool({
  connectionString: config.legacyDatabaseUrl,
  max: 4,
  connectionTimeoutMillis: 3_000,
  statement_timeout: 10_000,
});`,
      ],
      entry: `mirror${m.E}ToLegacy`,
      methods: [legacyMirror(m)],
    }),
  },
  {
    id: 'legacy-pool-no-timeout',
    weight: 1,
    finding: () => true,
    render: (m) => ({
      imports: [`import { Pool } from 'pg';`, CONFIG_IMPORT(DEPTH)],
      topLevel: [
        `const legacyDb = new Pool({
  connectionString: config.legacyDatabaseUrl,
  max: 4,
});`,
      ],
      entry: `mirror${m.E}ToLegacy`,
      methods: [legacyMirror(m)],
    }),
  },
];

function legacyMirror(m: ModuleSpec): string {
  return `  async mirror${m.E}ToLegacy(entity: ${m.E}): Promise<void> {
    await legacyDb.query(
      'INSERT INTO legacy_${m.table} (id, status, synced_at) VALUES ($1, $2, now()) ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, synced_at = now()',
      [entity.id, entity.status],
    );
  }`;
}

function pickVariants(rng: Rng, n: number, exclude: Set<string> = new Set()): Variant[] {
  const chosen: Variant[] = [];
  const taken = new Set(exclude);
  while (chosen.length < n) {
    const pool = VARIANTS.filter((v) => !taken.has(v.id) && !(v.id.startsWith('legacy-pool') && [...taken].some((t) => t.startsWith('legacy-pool'))));
    const total = pool.reduce((s, v) => s + v.weight, 0);
    let r = rng.next() * total;
    let pick = pool[pool.length - 1]!;
    for (const v of pool) {
      r -= v.weight;
      if (r < 0) {
        pick = v;
        break;
      }
    }
    chosen.push(pick);
    taken.add(pick.id);
  }
  return chosen;
}

// ---------------------------------------------------------------------------
// Module files

function dtoFile(m: ModuleSpec): string {
  const { E, fields } = m;
  const CONST = snake(m.name).toUpperCase();
  const all = [m.labelField, ...fields];
  const validators = [...new Set(['asRecord', 'requireEnum', ...all.map((f) => validatorCall(f).split('(')[0]!)])].sort();
  return `import {
${validators.map((v) => `  ${v},`).join('\n')}
} from '../../lib/validation.js';
import { ValidationError } from '../../lib/errors.js';
import { parsePageSize } from '../../lib/pagination.js';

export const ${CONST}_STATUSES = [${m.statuses.map((s) => `'${s}'`).join(', ')}] as const;
export type ${E}Status = (typeof ${CONST}_STATUSES)[number];

export interface ${E} {
  id: string;
  status: ${E}Status;
${all.map((f) => `  ${f.name}: ${TS_TYPE[f.kind]};`).join('\n')}
  createdAt: Date;
  updatedAt: Date;
}

export interface Create${E}Input {
  status: ${E}Status;
${all.map((f) => `  ${f.name}: ${TS_TYPE[f.kind]};`).join('\n')}
}

export type Update${E}Input = Partial<Create${E}Input>;

export interface ${E}ListQuery {
  status?: ${E}Status;
  search?: string;
  cursor?: string;
  limit: number;
}

export function validateCreate${E}Input(input: unknown): Create${E}Input {
  const body = asRecord(input);
  return {
    status: 'status' in body ? requireEnum(body, 'status', ${CONST}_STATUSES) : '${m.statuses[0]}',
${all.map((f) => `    ${f.name}: ${validatorCall(f)},`).join('\n')}
  };
}

export function validateUpdate${E}Input(input: unknown): Update${E}Input {
  const body = asRecord(input);
  const patch: Update${E}Input = {};
  if ('status' in body) patch.status = requireEnum(body, 'status', ${CONST}_STATUSES);
${all.map((f) => `  if ('${f.name}' in body) patch.${f.name} = ${validatorCall(f)};`).join('\n')}
  if (Object.keys(patch).length === 0) {
    throw new ValidationError('empty update');
  }
  return patch;
}

export function parse${E}ListQuery(query: URLSearchParams): ${E}ListQuery {
  const status = query.get('status');
  if (status !== null && !(${CONST}_STATUSES as readonly string[]).includes(status)) {
    throw new ValidationError(\`unknown status '\${status}'\`);
  }
  const search = query.get('q')?.trim();
  return {
    status: status === null ? undefined : (status as ${E}Status),
    search: search ? search.slice(0, 100) : undefined,
    cursor: query.get('cursor') ?? undefined,
    limit: parsePageSize(query.get('limit')),
  };
}
`;
}

function repositoryFile(m: ModuleSpec): string {
  const { E, table } = m;
  const all = [m.labelField, ...m.fields];
  const cols = all.map((f) => snake(f.name));
  return `import type { Queryable } from '../../db/types.js';
import { decodeCursor, encodeCursor, type Page } from '../../lib/pagination.js';
import type { Create${E}Input, ${E}, ${E}ListQuery, ${E}Status, Update${E}Input } from './${m.name}.dto.js';

interface ${E}Row {
  id: string;
  status: ${E}Status;
${all.map((f) => `  ${snake(f.name)}: ${ROW_TYPE[f.kind]};`).join('\n')}
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = 'id, status, ${cols.join(', ')}, created_at, updated_at';

const COLUMN_OF: Record<keyof Update${E}Input, string> = {
  status: 'status',
${all.map((f) => `  ${f.name}: '${snake(f.name)}',`).join('\n')}
};

function fromRow(row: ${E}Row): ${E} {
  return {
    id: row.id,
    status: row.status,
${all.map((f) => `    ${f.name}: ${fromRowExpr(f)},`).join('\n')}
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export class ${E}Repository {
  constructor(private readonly db: Queryable) {}

  async findById(id: string): Promise<${E} | undefined> {
    const { rows } = await this.db.query<${E}Row>(\`SELECT \${COLUMNS} FROM ${table} WHERE id = $1\`, [id]);
    return rows[0] ? fromRow(rows[0]) : undefined;
  }

  async list(query: ${E}ListQuery): Promise<Page<${E}>> {
    const params: unknown[] = [];
    const where: string[] = [];
    if (query.status) {
      params.push(query.status);
      where.push(\`status = $\${params.length}\`);
    }
    if (query.search) {
      params.push(\`%\${query.search}%\`);
      where.push(\`${snake(m.labelField.name)} ILIKE $\${params.length}\`);
    }
    const cursor = query.cursor ? decodeCursor(query.cursor) : undefined;
    if (cursor) {
      params.push(cursor.createdAt, cursor.id);
      where.push(\`(created_at, id) < ($\${params.length - 1}, $\${params.length})\`);
    }
    params.push(query.limit + 1);
    const filter = where.length > 0 ? \`WHERE \${where.join(' AND ')}\` : '';
    const { rows } = await this.db.query<${E}Row>(
      \`SELECT \${COLUMNS} FROM ${table} \${filter} ORDER BY created_at DESC, id DESC LIMIT $\${params.length}\`,
      params,
    );
    const items = rows.slice(0, query.limit).map(fromRow);
    const last = items[items.length - 1];
    const nextCursor = rows.length > query.limit && last ? encodeCursor({ createdAt: last.createdAt, id: last.id }) : null;
    return { items, nextCursor };
  }

  async insert(input: Create${E}Input): Promise<${E}> {
    const { rows } = await this.db.query<${E}Row>(
      \`INSERT INTO ${table} (status, ${cols.join(', ')})
       VALUES (${['$1', ...cols.map((_, i) => `$${i + 2}`)].join(', ')})
       RETURNING \${COLUMNS}\`,
      [input.status, ${all.map((f) => `input.${f.name}`).join(', ')}],
    );
    return fromRow(rows[0]!);
  }

  async update(id: string, patch: Update${E}Input): Promise<${E} | undefined> {
    const sets: string[] = [];
    const params: unknown[] = [id];
    for (const [key, value] of Object.entries(patch) as [keyof Update${E}Input, unknown][]) {
      if (value === undefined) continue;
      params.push(value);
      sets.push(\`\${COLUMN_OF[key]} = $\${params.length}\`);
    }
    if (sets.length === 0) return this.findById(id);
    const { rows } = await this.db.query<${E}Row>(
      \`UPDATE ${table} SET \${sets.join(', ')}, updated_at = now() WHERE id = $1 RETURNING \${COLUMNS}\`,
      params,
    );
    return rows[0] ? fromRow(rows[0]) : undefined;
  }

  async delete(id: string): Promise<boolean> {
    const { rowCount } = await this.db.query('DELETE FROM ${table} WHERE id = $1', [id]);
    return (rowCount ?? 0) > 0;
  }

  async countByStatus(): Promise<Record<string, number>> {
    const { rows } = await this.db.query<{ status: string; total: string }>(
      'SELECT status, count(*) AS total FROM ${table} GROUP BY status',
    );
    return Object.fromEntries(rows.map((r) => [r.status, Number(r.total)]));
  }
}
`;
}

function mergeImports(lines: string[]): string[] {
  return [...new Set(lines)];
}

function serviceFile(m: ModuleSpec, rng: Rng): string {
  const { E } = m;
  const outs = m.serviceVariants.map((v) => v.render(m, rng, 'service'));
  const hasGateway = m.gatewayVariants.length > 0;
  const imports = mergeImports([
    ...(m.serviceNeedsHttp ? [`import type { AxiosInstance } from 'axios';`] : []),
    `import { ConflictError, NotFoundError } from '../../lib/errors.js';`,
    `import type { Logger } from '../../lib/logger.js';`,
    `import type { Page } from '../../lib/pagination.js';`,
    ...outs.flatMap((o) => o.imports),
    ...(m.related ? [`import type { ${m.related.E} } from '../${m.related.name}/${m.related.name}.dto.js';`] : []),
    `import type { Create${E}Input, ${E}, ${E}ListQuery, Update${E}Input } from './${m.name}.dto.js';`,
    ...(hasGateway ? [`import type { ${E}Gateway } from './${m.name}.gateway.js';`] : []),
    `import { can${E}Transition } from './${m.name}.policy.js';`,
    `import type { ${E}Repository } from './${m.name}.repository.js';`,
  ]);
  const ctor = [
    `    private readonly repository: ${E}Repository,`,
    `    private readonly logger: Logger,`,
    ...(hasGateway ? [`    private readonly gateway: ${E}Gateway,`] : []),
    ...(m.serviceNeedsHttp ? [`    private readonly http: AxiosInstance,`] : []),
  ];
  const related = m.related
    ? `
  async linkTo${m.related.E}(id: string, other: Pick<${m.related.E}, 'id' | 'status'>): Promise<${E}> {
    const current = await this.get(id);
    this.logger.info('${m.label} linked', { id: current.id, ${m.related.e}Id: other.id, ${m.related.e}Status: other.status });
    return current;
  }
`
    : '';
  const gatewayHook = hasGateway
    ? `
  async syncExternal(entity: ${E}): Promise<void> {
${m.gatewayVariants.map((_, i) => `    await this.gateway.${gatewayEntry(m, i)}(entity);`).join('\n')}
  }
`
    : '';
  const ttl = rng.pick([15_000, 30_000, 60_000]);
  return `${imports.join('\n')}

${outs.flatMap((o) => o.topLevel).join('\n\n')}${outs.some((o) => o.topLevel.length > 0) ? '\n\n' : ''}const CACHE_TTL_MS = ${ttl};

export class ${E}Service {
  private readonly cache = new Map<string, { value: ${E}; expiresAt: number }>();

  constructor(
${ctor.join('\n')}
  ) {}

  async get(id: string): Promise<${E}> {
    const cached = this.cache.get(id);
    if (cached && cached.expiresAt > Date.now()) return cached.value;
    const found = await this.repository.findById(id);
    if (!found) throw new NotFoundError('${m.label}', id);
    this.cache.set(id, { value: found, expiresAt: Date.now() + CACHE_TTL_MS });
    return found;
  }

  async getMany(ids: readonly string[]): Promise<${E}[]> {
    const unique = [...new Set(ids)];
    const found = await Promise.all(unique.map((id) => this.get(id).catch(() => undefined)));
    return found.filter((entity): entity is ${E} => entity !== undefined);
  }

  list(query: ${E}ListQuery): Promise<Page<${E}>> {
    return this.repository.list(query);
  }

  async create(input: Create${E}Input): Promise<${E}> {
    const created = await this.repository.insert(input);
    this.logger.info('${m.label} created', { id: created.id, status: created.status });${
      hasGateway
        ? `
    try {
      await this.syncExternal(created);
    } catch (err) {
      this.logger.warn('${m.label} external sync failed', { id: created.id, error: String(err) });
    }`
        : ''
    }
    return created;
  }

  async update(id: string, patch: Update${E}Input): Promise<${E}> {
    const current = await this.get(id);
    if (patch.status && patch.status !== current.status && !can${E}Transition(current.status, patch.status)) {
      throw new ConflictError(\`cannot move ${m.label} \${id} from \${current.status} to \${patch.status}\`);
    }
    const updated = await this.repository.update(id, patch);
    if (!updated) throw new NotFoundError('${m.label}', id);
    this.cache.delete(id);
    return updated;
  }

  async remove(id: string): Promise<void> {
    const removed = await this.repository.delete(id);
    if (!removed) throw new NotFoundError('${m.label}', id);
    this.cache.delete(id);
    this.logger.info('${m.label} removed', { id });
  }

  statusBreakdown(): Promise<Record<string, number>> {
    return this.repository.countByStatus();
  }
${related}${gatewayHook}${outs.map((o) => `\n${o.methods.join('\n\n')}\n`).join('')}}
`;
}

function gatewayEntry(m: ModuleSpec, i: number): string {
  // Render is deterministic in its names; a throwaway Rng is enough to read the entry.
  return m.gatewayVariants[i]!.render(m, new Rng(1), 'gateway').entry;
}

function gatewayFile(m: ModuleSpec, rng: Rng): string {
  const { E } = m;
  const outs = m.gatewayVariants.map((v) => v.render(m, rng, 'gateway'));
  const imports = mergeImports([
    ...(m.gatewayNeedsHttp ? [`import type { AxiosInstance } from 'axios';`] : []),
    ...outs.flatMap((o) => o.imports),
    `import type { Logger } from '../../lib/logger.js';`,
    `import type { ${E} } from './${m.name}.dto.js';`,
  ]);
  return `${imports.join('\n')}

${outs.flatMap((o) => o.topLevel).join('\n\n')}${outs.some((o) => o.topLevel.length > 0) ? '\n\n' : ''}/** Talks to the ${m.partner.name} service on behalf of the ${m.label} module. */
export class ${E}Gateway {
  constructor(
${m.gatewayNeedsHttp ? '    private readonly http: AxiosInstance,\n' : ''}    private readonly logger: Logger,
  ) {}

  describe(entity: ${E}): string {
    return \`${m.label} \${entity.id} (\${entity.status})\`;
  }

  logFailure(entity: ${E}, err: unknown): void {
    this.logger.warn('${m.partner.name} call failed', { resource: this.describe(entity), error: String(err) });
  }

  /** Runs the first sync step over many entities with a small concurrency limit. */
  async syncMany(entities: readonly ${E}[], concurrency = 4): Promise<{ ok: number; failed: number }> {
    let ok = 0;
    let failed = 0;
    const queue = [...entities];
    const lanes = Array.from({ length: Math.min(concurrency, queue.length) }, async () => {
      for (let entity = queue.shift(); entity; entity = queue.shift()) {
        try {
          await this.${outs[0]!.entry}(entity);
          ok += 1;
        } catch (err) {
          failed += 1;
          this.logFailure(entity, err);
        }
      }
    });
    await Promise.all(lanes);
    this.logger.info('${m.label} batch sync finished', { ok, failed });
    return { ok, failed };
  }
${outs.map((o) => `\n${o.methods.join('\n\n')}\n`).join('')}}
`;
}

function controllerFile(m: ModuleSpec, rng: Rng): string {
  const { E } = m;
  const entries = m.serviceVariants.map((v) => v.render(m, rng, 'service').entry);
  const actionRoutes = entries
    .map(
      (entry) => `
  router.post('/${m.path}/:id/${kebabOf(entry)}', async (req, res) => {
    const entity = await service.get(requireId(req.params.id));
    await service.${entry}(entity);
    res.status(202).json({ id: entity.id, accepted: true });
  });`,
    )
    .join('\n');
  return `import type { Router } from '../../http/router.js';
import { ValidationError } from '../../lib/errors.js';
import { parse${E}ListQuery, validateCreate${E}Input, validateUpdate${E}Input } from './${m.name}.dto.js';
import { ${snake(m.name).toUpperCase()}_CSV_HEADER, to${E}CsvRow, to${E}Response, to${E}Summary } from './${m.name}.mapper.js';
import type { ${E}Service } from './${m.name}.service.js';

const ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function requireId(value: string | undefined): string {
  if (!value || !ID_PATTERN.test(value)) {
    throw new ValidationError('invalid ${m.label} id');
  }
  return value;
}

function etagOf(updatedAt: Date): string {
  return \`W/"\${updatedAt.getTime().toString(36)}"\`;
}

export function register${E}Routes(router: Router, service: ${E}Service): void {
  router.get('/${m.path}', async (req, res) => {
    const page = await service.list(parse${E}ListQuery(req.query));
    res.status(200).json({ items: page.items.map(to${E}Summary), nextCursor: page.nextCursor });
  });

  router.get('/${m.path}/export.csv', async (req, res) => {
    const page = await service.list(parse${E}ListQuery(req.query));
    res.header('content-type', 'text/csv');
    res.status(200).send([${snake(m.name).toUpperCase()}_CSV_HEADER, ...page.items.map(to${E}CsvRow)].join('\\n'));
  });

  router.get('/${m.path}/stats/status', async (_req, res) => {
    res.status(200).json(await service.statusBreakdown());
  });

  router.get('/${m.path}/:id', async (req, res) => {
    const entity = await service.get(requireId(req.params.id));
    res.header('etag', etagOf(entity.updatedAt));
    res.status(200).json(to${E}Response(entity));
  });

  router.post('/${m.path}', async (req, res) => {
    const created = await service.create(validateCreate${E}Input(req.body));
    res.header('location', \`/${m.path}/\${created.id}\`);
    res.status(201).json(to${E}Response(created));
  });

  router.patch('/${m.path}/:id', async (req, res) => {
    const id = requireId(req.params.id);
    const ifMatch = req.headers['if-match'];
    if (typeof ifMatch === 'string') {
      const current = await service.get(id);
      if (etagOf(current.updatedAt) !== ifMatch) {
        res.status(412).json({ error: 'precondition failed' });
        return;
      }
    }
    const updated = await service.update(id, validateUpdate${E}Input(req.body));
    res.header('etag', etagOf(updated.updatedAt));
    res.status(200).json(to${E}Response(updated));
  });

  router.delete('/${m.path}/:id', async (req, res) => {
    await service.remove(requireId(req.params.id));
    res.status(204).end();
  });
${actionRoutes}${
    m.gatewayVariants.length > 0
      ? `
  router.post('/${m.path}/:id/sync', async (req, res) => {
    const entity = await service.get(requireId(req.params.id));
    await service.syncExternal(entity);
    res.status(202).json({ id: entity.id, synced: true });
  });`
      : ''
  }
}
`;
}

function mapperFile(m: ModuleSpec): string {
  const { E } = m;
  const all = [m.labelField, ...m.fields];
  const CONST = snake(m.name).toUpperCase();
  return `import type { ${E} } from './${m.name}.dto.js';

export interface ${E}Response {
  id: string;
  status: string;
${all.map((f) => `  ${f.name}: ${JSON_TYPE[f.kind]};`).join('\n')}
  createdAt: string;
  updatedAt: string;
}

export interface ${E}Summary {
  id: string;
  status: string;
  ${m.labelField.name}: string;
  updatedAt: string;
}

export function to${E}Response(entity: ${E}): ${E}Response {
  return {
    id: entity.id,
    status: entity.status,
${all.map((f) => `    ${f.name}: ${jsonExpr(f, 'entity')},`).join('\n')}
    createdAt: entity.createdAt.toISOString(),
    updatedAt: entity.updatedAt.toISOString(),
  };
}

export function to${E}Summary(entity: ${E}): ${E}Summary {
  return {
    id: entity.id,
    status: entity.status,
    ${m.labelField.name}: entity.${m.labelField.name},
    updatedAt: entity.updatedAt.toISOString(),
  };
}

export const ${CONST}_CSV_HEADER = ['id', 'status', ${all.map((f) => `'${snake(f.name)}'`).join(', ')}].join(',');

function csvCell(value: unknown): string {
  const text = String(value);
  return /[",\\n]/.test(text) ? \`"\${text.replace(/"/g, '""')}"\` : text;
}

export function to${E}CsvRow(entity: ${E}): string {
  return [
    entity.id,
    entity.status,
${all.map((f) => `    ${csvExpr(f)},`).join('\n')}
  ]
    .map(csvCell)
    .join(',');
}

export function changed${E}Fields(before: ${E}, after: ${E}): string[] {
  const changed: string[] = [];
  if (before.status !== after.status) changed.push('status');
${all.map((f) => `  if (${sameExpr(f)}) changed.push('${f.name}');`).join('\n')}
  return changed;
}
`;
}

function policyFile(m: ModuleSpec): string {
  const { E } = m;
  const s = m.statuses;
  const transitions = s.map((st, i) => {
    const next: string[] = [];
    if (i + 1 < s.length) next.push(s[i + 1]!);
    if (i + 2 < s.length) next.push(s[s.length - 1]!);
    if (i > 0 && i < s.length - 1) next.push(s[0]!);
    return `  ${st}: [${[...new Set(next)].map((n) => `'${n}'`).join(', ')}],`;
  });
  const editable = [m.labelField, ...m.fields].filter((f) => f.kind !== 'nullableDate').slice(0, 4);
  return `import { ForbiddenError } from '../../lib/errors.js';
import type { ${E}, ${E}Status } from './${m.name}.dto.js';

const TRANSITIONS: Record<${E}Status, readonly ${E}Status[]> = {
${transitions.join('\n')}
};

const TERMINAL: ReadonlySet<${E}Status> = new Set(
  (Object.keys(TRANSITIONS) as ${E}Status[]).filter((status) => TRANSITIONS[status].length === 0),
);

export interface Actor {
  id: string;
  tenantId: string;
  roles: readonly string[];
}

export function can${E}Transition(from: ${E}Status, to: ${E}Status): boolean {
  return TRANSITIONS[from].includes(to);
}

export function is${E}Terminal(status: ${E}Status): boolean {
  return TERMINAL.has(status);
}

function isAdmin(actor: Actor): boolean {
  return actor.roles.includes('admin') || actor.roles.includes('${m.label}:admin');
}

export function canView${E}(actor: Actor, entity: ${E}): boolean {
  if (isAdmin(actor)) return true;
  return actor.roles.includes('${m.label}:read') && !is${E}Terminal(entity.status);
}

export function assertCanEdit${E}(actor: Actor, entity: ${E}): void {
  if (isAdmin(actor)) return;
  if (!actor.roles.includes('${m.label}:write')) {
    throw new ForbiddenError(\`\${actor.id} may not edit ${m.label} \${entity.id}\`);
  }
  if (is${E}Terminal(entity.status)) {
    throw new ForbiddenError(\`${m.label} \${entity.id} is \${entity.status} and can no longer change\`);
  }
}

export function editable${E}Fields(actor: Actor): readonly (keyof ${E})[] {
  if (isAdmin(actor)) {
    return ['status', ${editable.map((f) => `'${f.name}'`).join(', ')}];
  }
  return [${editable
    .slice(0, 2)
    .map((f) => `'${f.name}'`)
    .join(', ')}];
}

export function next${E}Statuses(entity: ${E}): readonly ${E}Status[] {
  return TRANSITIONS[entity.status];
}

export function assertCanDelete${E}(actor: Actor, entity: ${E}): void {
  if (!isAdmin(actor)) {
    throw new ForbiddenError(\`only administrators may delete ${m.label} \${entity.id}\`);
  }
  if (!is${E}Terminal(entity.status) && entity.status !== '${s[0]}') {
    throw new ForbiddenError(\`${m.label} \${entity.id} must be ${s[0]} or finished before it is deleted\`);
  }
}

export function pick${E}Patch<T extends Partial<${E}>>(actor: Actor, patch: T): Partial<T> {
  const allowed = new Set<string>(editable${E}Fields(actor));
  return Object.fromEntries(Object.entries(patch).filter(([key]) => allowed.has(key))) as Partial<T>;
}
`;
}

// ---------------------------------------------------------------------------
// Shared files

function configFile(partners: Partner[]): string {
  return `function env(name: string, fallback: string): string {
  const value = process.env[name];
  return value === undefined || value === '' ? fallback : value;
}

function intEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number.parseInt(raw, 10);
  if (Number.isNaN(value)) throw new Error(\`\${name} must be an integer\`);
  return value;
}

export const config = {
  serviceName: env('SERVICE_NAME', 'platform-api'),
  port: intEnv('PORT', 8080),
  databaseUrl: env('DATABASE_URL', 'postgres://localhost:5432/platform'),
  analyticsDatabaseUrl: env('ANALYTICS_DATABASE_URL', 'postgres://localhost:5432/analytics'),
  legacyDatabaseUrl: env('LEGACY_DATABASE_URL', 'postgres://localhost:5432/legacy'),
  services: {
${partners.map((p) => `    ${camel(p.name)}: env('${snake(p.name).toUpperCase()}_URL', 'https://${p.name}.internal.example.com'),`).join('\n')}
  },
} as const;
`;
}

function clientFile(p: Partner): string {
  const c = camel(p.name);
  const P = pascal(p.name);
  return `import axios, { type AxiosError, type AxiosInstance, type InternalAxiosRequestConfig } from 'axios';
import { randomUUID } from 'node:crypto';
import { config } from '../config.js';
import { logger } from '../lib/logger.js';

export interface ${P}ErrorBody {
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

export class ${P}Error extends Error {
  constructor(
    readonly status: number | undefined,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = '${P}Error';
  }

  get retryable(): boolean {
    return this.status === undefined || this.status === 429 || this.status >= 500;
  }
}

export const ${c}Http: AxiosInstance = axios.create({
  baseURL: config.services.${c},${p.hasTimeout ? `\n  timeout: ${p.timeoutMs},` : ''}
  headers: {
    accept: 'application/json',
    'x-client-id': config.serviceName,
  },
});

${c}Http.interceptors.request.use((request: InternalAxiosRequestConfig) => {
  request.headers.set('x-request-id', randomUUID());
  return request;
});

${c}Http.interceptors.response.use(
  (response) => response,
  (error: AxiosError<${P}ErrorBody>) => {
    const normalized = normalize${P}Error(error);
    logger.warn('${p.name} request failed', {
      url: error.config?.url,
      status: normalized.status,
      code: normalized.code,
    });
    return Promise.reject(normalized);
  },
);

export function normalize${P}Error(error: AxiosError<${P}ErrorBody>): ${P}Error {
  const body = error.response?.data;
  return new ${P}Error(error.response?.status, body?.code ?? error.code ?? 'UNKNOWN', body?.message ?? error.message);
}

export async function ping${P}(): Promise<boolean> {
  try {
    const { status } = await ${c}Http.get('/health');
    return status === 200;
  } catch {
    return false;
  }
}
`;
}

const STATIC_FILES: Record<string, string> = {
  'src/db/types.ts': `export interface QueryResultLike<R> {
  rows: R[];
  rowCount: number | null;
}

/** What repositories need from a pool or a transaction client. */
export interface Queryable {
  query<R extends object = Record<string, unknown>>(text: string, params?: unknown[]): Promise<QueryResultLike<R>>;
}

export interface TransactionRunner {
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
}
`,
  'src/lib/fetch-json.ts': `import { UpstreamError } from './errors.js';

/** JSON over fetch; \`init\` (including its signal) is passed through unchanged. */
export async function fetchJson<T>(url: string, init?: RequestInit): Promise<T> {
  const headers = new Headers(init?.headers);
  if (!headers.has('accept')) headers.set('accept', 'application/json');
  const res = await fetch(url, { ...init, headers });
  if (!res.ok) {
    throw new UpstreamError(new URL(url).hostname, res.status);
  }
  return (await res.json()) as T;
}

export async function postJson<T>(url: string, body: unknown, init?: RequestInit): Promise<T> {
  return fetchJson<T>(url, {
    ...init,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}
`,
  'src/lib/errors.ts': `export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class NotFoundError extends AppError {
  constructor(resource: string, id: string) {
    super(404, 'not_found', \`\${resource} \${id} not found\`);
  }
}

export class ValidationError extends AppError {
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(400, 'invalid', message);
  }
}

export class ConflictError extends AppError {
  constructor(message: string) {
    super(409, 'conflict', message);
  }
}

export class ForbiddenError extends AppError {
  constructor(message: string) {
    super(403, 'forbidden', message);
  }
}

export class UpstreamError extends AppError {
  constructor(
    readonly upstream: string,
    readonly upstreamStatus: number,
  ) {
    super(502, 'upstream_error', \`\${upstream} answered \${upstreamStatus}\`);
  }
}

export function toHttpError(err: unknown): { status: number; body: { error: string; code: string } } {
  if (err instanceof AppError) {
    return { status: err.status, body: { error: err.message, code: err.code } };
  }
  return { status: 500, body: { error: 'internal error', code: 'internal' } };
}
`,
  'src/lib/logger.ts': `type Level = 'debug' | 'info' | 'warn' | 'error';

const LEVELS: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  child(scope: string): Logger;
}

export function createLogger(scope: string, minLevel: Level = 'info'): Logger {
  const write = (level: Level, message: string, fields?: Record<string, unknown>): void => {
    if (LEVELS[level] < LEVELS[minLevel]) return;
    const line = JSON.stringify({ time: new Date().toISOString(), level, scope, message, ...fields });
    if (level === 'error' || level === 'warn') process.stderr.write(\`\${line}\\n\`);
    else process.stdout.write(\`\${line}\\n\`);
  };
  return {
    debug: (message, fields) => write('debug', message, fields),
    info: (message, fields) => write('info', message, fields),
    warn: (message, fields) => write('warn', message, fields),
    error: (message, fields) => write('error', message, fields),
    child: (child) => createLogger(\`\${scope}.\${child}\`, minLevel),
  };
}

export const logger = createLogger('app', (process.env.LOG_LEVEL as Level | undefined) ?? 'info');
`,
  'src/lib/pagination.ts': `import { ValidationError } from './errors.js';

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface Cursor {
  createdAt: Date;
  id: string;
}

const DEFAULT_PAGE_SIZE = 25;
const MAX_PAGE_SIZE = 200;

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify({ t: cursor.createdAt.getTime(), i: cursor.id })).toString('base64url');
}

export function decodeCursor(raw: string): Cursor {
  try {
    const parsed = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as { t: number; i: string };
    if (typeof parsed.t !== 'number' || typeof parsed.i !== 'string') throw new Error('shape');
    return { createdAt: new Date(parsed.t), id: parsed.i };
  } catch {
    throw new ValidationError('invalid cursor', 'cursor');
  }
}

export function parsePageSize(raw: string | null): number {
  if (raw === null) return DEFAULT_PAGE_SIZE;
  const size = Number.parseInt(raw, 10);
  if (!Number.isInteger(size) || size < 1) throw new ValidationError('limit must be a positive integer', 'limit');
  return Math.min(size, MAX_PAGE_SIZE);
}
`,
  'src/lib/validation.ts': `import { ValidationError } from './errors.js';

export function asRecord(input: unknown): Record<string, unknown> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new ValidationError('expected a JSON object');
  }
  return input as Record<string, unknown>;
}

export function requireString(body: Record<string, unknown>, key: string, opts: { max?: number } = {}): string {
  const value = body[key];
  if (typeof value !== 'string' || value.trim() === '') throw new ValidationError(\`\${key} is required\`, key);
  if (opts.max !== undefined && value.length > opts.max) throw new ValidationError(\`\${key} is too long\`, key);
  return value.trim();
}

export function optionalString(body: Record<string, unknown>, key: string): string | null {
  const value = body[key];
  if (value === undefined || value === null || value === '') return null;
  if (typeof value !== 'string') throw new ValidationError(\`\${key} must be a string\`, key);
  return value;
}

export function requireNumber(
  body: Record<string, unknown>,
  key: string,
  opts: { min?: number; max?: number; integer?: boolean } = {},
): number {
  const value = body[key];
  if (typeof value !== 'number' || Number.isNaN(value)) throw new ValidationError(\`\${key} must be a number\`, key);
  if (opts.integer && !Number.isInteger(value)) throw new ValidationError(\`\${key} must be an integer\`, key);
  if (opts.min !== undefined && value < opts.min) throw new ValidationError(\`\${key} must be >= \${opts.min}\`, key);
  if (opts.max !== undefined && value > opts.max) throw new ValidationError(\`\${key} must be <= \${opts.max}\`, key);
  return value;
}

export function requireBoolean(body: Record<string, unknown>, key: string): boolean {
  const value = body[key];
  if (typeof value !== 'boolean') throw new ValidationError(\`\${key} must be true or false\`, key);
  return value;
}

export function requireStringArray(body: Record<string, unknown>, key: string, opts: { maxItems?: number } = {}): string[] {
  const value = body[key];
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
    throw new ValidationError(\`\${key} must be a list of strings\`, key);
  }
  if (opts.maxItems !== undefined && value.length > opts.maxItems) throw new ValidationError(\`\${key} has too many items\`, key);
  return value as string[];
}

export function optionalDate(body: Record<string, unknown>, key: string): Date | null {
  const value = body[key];
  if (value === undefined || value === null) return null;
  const date = typeof value === 'string' ? new Date(value) : undefined;
  if (!date || Number.isNaN(date.getTime())) throw new ValidationError(\`\${key} must be an ISO date\`, key);
  return date;
}

export function requireEnum<T extends string>(body: Record<string, unknown>, key: string, values: readonly T[]): T {
  const value = body[key];
  if (typeof value !== 'string' || !(values as readonly string[]).includes(value)) {
    throw new ValidationError(\`\${key} must be one of \${values.join(', ')}\`, key);
  }
  return value as T;
}
`,
  'src/lib/retry.ts': `import { setTimeout as sleep } from 'node:timers/promises';

export interface RetryOptions {
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  retryIf?: (err: unknown) => boolean;
}

/** Bounded retries with exponential backoff and full jitter. */
export async function retry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  let lastError: unknown;
  for (let attempt = 1; attempt <= options.attempts; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      lastError = err;
      if (attempt === options.attempts || (options.retryIf && !options.retryIf(err))) break;
      const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (attempt - 1));
      await sleep(Math.random() * ceiling);
    }
  }
  throw lastError;
}
`,
  'src/lib/dates.ts': `const DAY_MS = 86_400_000;

export function addDays(date: Date, days: number): Date {
  return new Date(date.getTime() + days * DAY_MS);
}

export function startOfUtcDay(date: Date): Date {
  return new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()));
}

export function daysBetween(from: Date, to: Date): number {
  return Math.round((startOfUtcDay(to).getTime() - startOfUtcDay(from).getTime()) / DAY_MS);
}

export function isExpired(expiresAt: Date | null, now: Date = new Date()): boolean {
  return expiresAt !== null && expiresAt.getTime() <= now.getTime();
}

export function formatDate(date: Date): string {
  return date.toISOString().slice(0, 10);
}

export function parseIsoDate(value: string): Date | undefined {
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}
`,
  'src/lib/money.ts': `export interface Money {
  amountCents: number;
  currency: string;
}

export function sumCents(values: readonly number[]): number {
  return values.reduce((total, v) => total + v, 0);
}

export function formatMoney(money: Money, locale = 'en-GB'): string {
  return new Intl.NumberFormat(locale, { style: 'currency', currency: money.currency }).format(money.amountCents / 100);
}

export function allocate(totalCents: number, weights: readonly number[]): number[] {
  const weightSum = weights.reduce((s, w) => s + w, 0);
  if (weightSum <= 0) return weights.map(() => 0);
  const shares = weights.map((w) => Math.floor((totalCents * w) / weightSum));
  let remainder = totalCents - shares.reduce((s, v) => s + v, 0);
  for (let i = 0; remainder > 0; i = (i + 1) % shares.length, remainder--) {
    shares[i] = shares[i]! + 1;
  }
  return shares;
}
`,
  'src/http/router.ts': `import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { toHttpError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';

export interface HttpRequest {
  method: string;
  path: string;
  params: Record<string, string | undefined>;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: unknown;
}

export interface HttpResponse {
  status(code: number): HttpResponse;
  header(name: string, value: string): HttpResponse;
  json(payload: unknown): void;
  send(text: string): void;
  end(): void;
}

export type RouteHandler = (req: HttpRequest, res: HttpResponse) => Promise<void>;

export interface Router {
  get(path: string, handler: RouteHandler): void;
  post(path: string, handler: RouteHandler): void;
  patch(path: string, handler: RouteHandler): void;
  delete(path: string, handler: RouteHandler): void;
}

interface Route {
  method: string;
  pattern: RegExp;
  keys: string[];
  handler: RouteHandler;
}

function wrapResponse(res: ServerResponse): HttpResponse {
  const wrapped: HttpResponse = {
    status: (code) => ((res.statusCode = code), wrapped),
    header: (name, value) => (res.setHeader(name, value), wrapped),
    json: (payload) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(payload));
    },
    send: (text) => res.end(text),
    end: () => res.end(),
  };
  return wrapped;
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  if (chunks.length === 0) return undefined;
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

export function createRouter(logger: Logger): Router & { listen(port: number): Server } {
  const routes: Route[] = [];
  const add = (method: string) => (path: string, handler: RouteHandler) => {
    const keys: string[] = [];
    const source = path.replace(/[.]/g, '\\\\.').replace(/:(\\w+)/g, (_m, key: string) => (keys.push(key), '([^/]+)'));
    routes.push({ method, pattern: new RegExp(\`^\${source}$\`), keys, handler });
  };
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const route = routes.find((r) => r.method === req.method && r.pattern.test(url.pathname));
    if (!route) {
      res.statusCode = 404;
      res.end();
      return;
    }
    const match = route.pattern.exec(url.pathname)!;
    const params = Object.fromEntries(route.keys.map((k, i) => [k, match[i + 1]]));
    const body = req.method === 'GET' ? undefined : await readBody(req);
    await route.handler({ method: req.method ?? 'GET', path: url.pathname, params, query: url.searchParams, headers: req.headers, body }, wrapResponse(res));
  };
  return {
    get: add('GET'),
    post: add('POST'),
    patch: add('PATCH'),
    delete: add('DELETE'),
    listen: (port) =>
      createServer((req, res) => {
        handle(req, res).catch((err: unknown) => {
          const { status, body } = toHttpError(err);
          if (status >= 500) logger.error('request failed', { url: req.url, error: String(err) });
          res.statusCode = status;
          res.end(JSON.stringify(body));
        });
      }).listen(port),
  };
}
`,
  'src/db/pools.ts': `import { Pool, type PoolClient } from 'pg';
import { config } from '../config.js';
import type { Queryable, TransactionRunner } from './types.js';

export const primaryPool = new Pool({
  connectionString: config.databaseUrl,
  max: 20,
  connectionTimeoutMillis: 5_000,
  statement_timeout: 15_000,
  idleTimeoutMillis: 30_000,
});

// reporting queries against the analytics replica
export const analyticsPool = new Pool({
  connectionString: config.analyticsDatabaseUrl,
  max: 5,
  idleTimeoutMillis: 60_000,
});

export const db: Queryable & TransactionRunner = {
  async query(text, params) {
    const result = await primaryPool.query(text, params);
    return { rows: result.rows, rowCount: result.rowCount };
  },
  async transaction(fn) {
    const client: PoolClient = await primaryPool.connect();
    try {
      await client.query('BEGIN');
      const value = await fn({
        query: async (text, params) => {
          const result = await client.query(text, params);
          return { rows: result.rows, rowCount: result.rowCount };
        },
      });
      await client.query('COMMIT');
      return value;
    } catch (err) {
      await client.query('ROLLBACK');
      throw err;
    } finally {
      client.release();
    }
  },
};

export async function analyticsSnapshot(table: string): Promise<number> {
  const { rows } = await analyticsPool.query<{ total: string }>(\`SELECT count(*) AS total FROM \${table}\`);
  return Number(rows[0]?.total ?? 0);
}
`,
};

function helperFile(index: number, rng: Rng): string {
  const topic = HELPER_TOPICS[index % HELPER_TOPICS.length]!;
  const suffix = Math.floor(index / HELPER_TOPICS.length);
  const n = rng.int(5, 9);
  const fns: string[] = [];
  for (let i = 0; i < n; i++) {
    const name = `${topic}Step${suffix}_${i}`;
    const variant = (index + i) % 4;
    if (variant === 0) {
      fns.push(`export function ${name}<T>(items: readonly T[], size: number): T[][] {
  if (size <= 0) throw new RangeError('size must be positive');
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}`);
    } else if (variant === 1) {
      fns.push(`export function ${name}<T, K extends string>(items: readonly T[], key: (item: T) => K): Record<K, T[]> {
  const out = {} as Record<K, T[]>;
  for (const item of items) {
    const k = key(item);
    (out[k] ??= []).push(item);
  }
  return out;
}`);
    } else if (variant === 2) {
      fns.push(`export function ${name}(value: string, max = ${rng.int(20, 120)}): string {
  const clean = value.normalize('NFKC').replace(/\\s+/g, ' ').trim();
  return clean.length <= max ? clean : \`\${clean.slice(0, max - 1)}…\`;
}`);
    } else {
      fns.push(`export function ${name}(values: readonly number[]): { min: number; max: number; mean: number } {
  if (values.length === 0) return { min: 0, max: 0, mean: 0 };
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (const v of values) {
    min = Math.min(min, v);
    max = Math.max(max, v);
    sum += v;
  }
  return { min, max, mean: sum / values.length };
}`);
    }
  }
  return `${fns.join('\n\n')}\n`;
}

function registryFile(index: number, modules: ModuleSpec[]): string {
  const imports = new Set<string>();
  const lines: string[] = [];
  for (const m of modules) {
    imports.add(`import { ${m.E}Repository } from './${m.name}/${m.name}.repository.js';`);
    imports.add(`import { ${m.E}Service } from './${m.name}/${m.name}.service.js';`);
    imports.add(`import { register${m.E}Routes } from './${m.name}/${m.name}.controller.js';`);
    const http = `${camel(m.partner.name)}Http`;
    if (m.serviceNeedsHttp || m.gatewayNeedsHttp) {
      imports.add(`import { ${http} } from '../clients/${m.partner.name}-client.js';`);
    }
    const args = [`new ${m.E}Repository(db)`, `logger.child('${m.name}')`];
    if (m.gatewayVariants.length > 0) {
      imports.add(`import { ${m.E}Gateway } from './${m.name}/${m.name}.gateway.js';`);
      args.push(`new ${m.E}Gateway(${m.gatewayNeedsHttp ? `${http}, ` : ''}logger.child('${m.name}.gateway'))`);
    }
    if (m.serviceNeedsHttp) args.push(http);
    lines.push(`  register${m.E}Routes(\n    router,\n    new ${m.E}Service(\n${args.map((a) => `      ${a},`).join('\n')}\n    ),\n  );`);
  }
  return `import type { Queryable } from '../db/types.js';
import type { Router } from '../http/router.js';
import type { Logger } from '../lib/logger.js';
${[...imports].sort().join('\n')}

export function registerModules${index}(router: Router, db: Queryable, logger: Logger): void {
${lines.join('\n')}
}
`;
}

function mainFile(registries: number, partners: Partner[]): string {
  const imports = Array.from({ length: registries }, (_, i) => `import { registerModules${i} } from './modules/registry-${i}.js';`);
  return `import { ${partners.map((p) => `ping${pascal(p.name)}`).join(', ')} } from './clients/index.js';
import { config } from './config.js';
import { analyticsPool, db, primaryPool } from './db/pools.js';
import { createRouter } from './http/router.js';
import { logger } from './lib/logger.js';
${imports.join('\n')}

const router = createRouter(logger);
${Array.from({ length: registries }, (_, i) => `registerModules${i}(router, db, logger);`).join('\n')}

router.get('/healthz', async (_req, res) => {
  const checks = await Promise.all([${partners.map((p) => `ping${pascal(p.name)}()`).join(', ')}]);
  res.status(checks.every(Boolean) ? 200 : 503).json({ upstreams: checks });
});

const server = router.listen(config.port);
logger.info('listening', { port: config.port });

process.once('SIGTERM', () => {
  server.close(() => {
    Promise.all([primaryPool.end(), analyticsPool.end()]).then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
});
`;
}

function clientsIndexFile(partners: Partner[]): string {
  return `${partners.map((p) => `export { ${camel(p.name)}Http, ping${pascal(p.name)}, ${pascal(p.name)}Error } from './${p.name}-client.js';`).join('\n')}\n`;
}

const TSCONFIG = `{
  "compilerOptions": {
    "target": "ES2022",
    "module": "NodeNext",
    "moduleResolution": "NodeNext",
    "lib": ["ES2023"],
    "types": ["node"],
    "strict": true,
    "esModuleInterop": true,
    "skipLibCheck": true,
    "outDir": "dist",
    "rootDir": "src"
  },
  "include": ["src"]
}
`;

const PACKAGE_JSON = `{
  "name": "platform-api",
  "version": "0.0.0",
  "private": true,
  "type": "module",
  "dependencies": {
    "axios": "^1.7.0",
    "got": "^14.4.0",
    "pg": "^8.12.0"
  },
  "devDependencies": {
    "@types/node": "^20.14.0",
    "@types/pg": "^8.11.0",
    "typescript": "^5.5.0"
  }
}
`;

// ---------------------------------------------------------------------------
// Planning and writing

const MODULES_PER_REGISTRY = 12;

export function generatorHash(source: string): string {
  return createHash('sha256').update(source).digest('hex').slice(0, 16);
}

export function generateProject(opts: GenerateOptions, hash: string): Manifest {
  if (!Number.isInteger(opts.files) || opts.files < 40) throw new Error('--files must be an integer >= 40');
  const rng = new Rng(opts.seed);
  const out = new Map<string, string>();

  const partnerCount = Math.max(4, Math.min(60, Math.round(opts.files / 100)));
  const partners: Partner[] = Array.from({ length: partnerCount }, (_, i) => ({
    name: i < PARTNERS.length ? PARTNERS[i]! : `${PARTNERS[i % PARTNERS.length]!}${Math.floor(i / PARTNERS.length) + 1}`,
    hasTimeout: rng.chance(0.5),
    timeoutMs: rng.pick([2_000, 5_000, 10_000, 15_000]),
  }));

  const fixedFiles = Object.keys(STATIC_FILES).length + 3; // + config, clients/index, main
  const names = rng.shuffle(QUALIFIERS.flatMap((q) => NOUNS.map((n) => (q ? `${q}-${n}` : n))));
  const modules: ModuleSpec[] = [];
  let moduleFiles = 0;
  for (;;) {
    const name = names[modules.length];
    if (name === undefined) break;
    const hasGateway = rng.chance(0.3);
    const worker = rng.chance(1 / 6) ? (rng.chance(2 / 3) ? 'creates' : 'reads') : undefined;
    const syncRetry = hasGateway && rng.chance(0.2) ? (rng.chance(0.5) ? 'fixed' : 'backoff') : undefined;
    const size = (hasGateway ? 7 : 6) + (worker ? 1 : 0) + (syncRetry ? 1 : 0);
    const registries = Math.ceil((modules.length + 1) / MODULES_PER_REGISTRY);
    if (fixedFiles + partnerCount + registries + moduleFiles + size > opts.files) break;
    const noun = name.split('-').pop()!;
    const labelField = rng.pick(LABEL_FIELDS);
    const fields = rng.sample(FIELD_POOL, rng.int(3, 10));
    const serviceVariants = rng.chance(0.42) ? pickVariants(rng, rng.chance(0.25) ? 2 : 1) : [];
    const gatewayVariants = hasGateway ? pickVariants(rng, rng.int(1, 2), new Set(serviceVariants.map((v) => v.id))) : [];
    const m: ModuleSpec = {
      name,
      E: pascal(name),
      e: camel(name),
      label: name.replace(/-/g, ' '),
      path: plural(name),
      table: snake(plural(name)),
      fields,
      labelField,
      statuses: rng.pick(STATUS_SETS),
      partner: rng.pick(partners),
      serviceVariants,
      gatewayVariants,
      serviceNeedsHttp: false,
      gatewayNeedsHttp: false,
      related: modules.length > 0 && rng.chance(0.4) ? rng.pick(modules) : undefined,
      ...(worker ? { worker } : {}),
      ...(syncRetry ? { syncRetry } : {}),
    };
    const probe = (v: Variant) => v.render(m, new Rng(1), 'service').needsHttp === true;
    m.serviceNeedsHttp = serviceVariants.some(probe);
    m.gatewayNeedsHttp = gatewayVariants.some(probe);
    void noun;
    modules.push(m);
    moduleFiles += size;
  }
  const registryCount = Math.ceil(modules.length / MODULES_PER_REGISTRY);
  const helperCount = opts.files - (fixedFiles + partnerCount + registryCount + moduleFiles);

  let planted = 0;
  let correct = 0;
  let outboundFiles = 0;
  for (const [file, text] of Object.entries(STATIC_FILES)) out.set(file, text);
  out.set('src/config.ts', configFile(partners));
  out.set('src/clients/index.ts', clientsIndexFile(partners));
  out.set('src/main.ts', mainFile(registryCount, partners));
  outboundFiles += 2; // db/pools.ts, lib/fetch-json.ts
  planted += 1; // analyticsPool
  correct += 1; // primaryPool
  for (const p of partners) {
    out.set(`src/clients/${p.name}-client.ts`, clientFile(p));
    outboundFiles += 1;
    if (p.hasTimeout) correct += 1;
    else planted += 1;
  }
  for (const m of modules) {
    const dir = `src/modules/${m.name}`;
    out.set(`${dir}/${m.name}.dto.ts`, dtoFile(m));
    out.set(`${dir}/${m.name}.repository.ts`, repositoryFile(m));
    out.set(`${dir}/${m.name}.service.ts`, serviceFile(m, rng));
    out.set(`${dir}/${m.name}.controller.ts`, controllerFile(m, rng));
    out.set(`${dir}/${m.name}.mapper.ts`, mapperFile(m));
    out.set(`${dir}/${m.name}.policy.ts`, policyFile(m));
    if (m.gatewayVariants.length > 0) out.set(`${dir}/${m.name}.gateway.ts`, gatewayFile(m, rng));
    if (m.worker) out.set(`${dir}/${m.name}.worker.ts`, workerFile(m));
    if (m.syncRetry) out.set(`${dir}/${m.name}.sync.ts`, syncFile(m));
    if (m.serviceVariants.length > 0) outboundFiles += 1;
    if (m.gatewayVariants.length > 0) outboundFiles += 1;
    for (const v of [...m.serviceVariants, ...m.gatewayVariants]) {
      // Calls through a partner instance are reported at the instance, not per call.
      if (v.id === 'partner-instance' || v.id === 'injected-http') continue;
      if (v.finding(m)) planted += 1;
      else correct += 1;
    }
  }
  for (let r = 0; r < registryCount; r++) {
    out.set(`src/modules/registry-${r}.ts`, registryFile(r, modules.slice(r * MODULES_PER_REGISTRY, (r + 1) * MODULES_PER_REGISTRY)));
  }
  for (let h = 0; h < helperCount; h++) {
    const topic = HELPER_TOPICS[h % HELPER_TOPICS.length]!;
    out.set(`src/lib/helpers/${topic}-${Math.floor(h / HELPER_TOPICS.length)}.ts`, helperFile(h, rng));
  }

  fs.rmSync(opts.outDir, { recursive: true, force: true });
  fs.mkdirSync(opts.outDir, { recursive: true });
  let lines = 0;
  let bytes = 0;
  let fileCount = 0;
  for (const [rel, text] of out) {
    const abs = path.join(opts.outDir, rel);
    fs.mkdirSync(path.dirname(abs), { recursive: true });
    fs.writeFileSync(abs, text);
    if (rel.endsWith('.ts')) {
      fileCount += 1;
      lines += text.split('\n').length - 1;
      bytes += Buffer.byteLength(text);
    }
  }
  fs.writeFileSync(path.join(opts.outDir, 'tsconfig.json'), TSCONFIG);
  fs.writeFileSync(path.join(opts.outDir, 'package.json'), PACKAGE_JSON);

  const manifest: Manifest = {
    generatorVersion: GENERATOR_VERSION,
    generatorHash: hash,
    files: opts.files,
    seed: opts.seed,
    stats: {
      files: fileCount,
      lines,
      bytes,
      modules: modules.length,
      outboundFiles,
      plantedMissingTimeout: planted,
      plantedCorrect: correct,
      plantedUnsafeWorkers: modules.filter((m) => m.worker === 'creates').length,
      safeWorkers: modules.filter((m) => m.worker === 'reads').length,
      plantedFixedDelayRetries: modules.filter((m) => m.syncRetry === 'fixed').length,
      backoffRetries: modules.filter((m) => m.syncRetry === 'backoff').length,
    },
  };
  fs.writeFileSync(path.join(opts.outDir, MANIFEST_NAME), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

export function readManifest(outDir: string): Manifest | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(outDir, MANIFEST_NAME), 'utf8')) as Manifest;
  } catch {
    return undefined;
  }
}

/** The generator's own source, for the staleness check. */
export function thisSourceHash(generatorFile: string): string {
  return generatorHash(fs.readFileSync(generatorFile, 'utf8'));
}

function cli(argv: string[]): void {
  let outDir: string | undefined;
  let files = DEFAULT_FILES;
  let seed = DEFAULT_SEED;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--files') files = Number(argv[++i]);
    else if (arg === '--seed') seed = Number(argv[++i]);
    else if (arg === '-h' || arg === '--help') {
      console.log('usage: node --import tsx bench/generate.ts <outDir> [--files N] [--seed S]');
      return;
    } else if (!arg.startsWith('-') && outDir === undefined) outDir = arg;
    else throw new Error(`unknown argument ${arg}`);
  }
  if (!outDir) throw new Error('usage: node --import tsx bench/generate.ts <outDir> [--files N] [--seed S]');
  const self = path.resolve(process.argv[1]!);
  const manifest = generateProject({ outDir: path.resolve(outDir), files, seed }, thisSourceHash(self));
  console.log(JSON.stringify(manifest.stats));
}

if (process.argv[1] && /[\\/]generate\.ts$/.test(process.argv[1])) {
  try {
    cli(process.argv.slice(2));
  } catch (err) {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  }
}
