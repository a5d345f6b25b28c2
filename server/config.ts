import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv, { type ErrorObject } from 'ajv';
import schema from '../schema/faultline.config.schema.json';
import { CHECKLIST, type ReviewGroupId } from '../rules/review/catalogue.ts';
import { UNUSED_SUPPRESSION_RULE_ID } from '../rules/suppressions.ts';
import { DEFAULT_TIMEOUT_MS, type AnalysisOptions, type CustomClient, type SeveritySetting } from '../rules/types.ts';
import { locateJsonError } from './json-error.ts';

export const CONFIG_FILE_NAME = 'faultline.config.json';

/** A configuration file that cannot be used. The message is one line and names the file and the key. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** A resolved configuration: what the analysis needs, plus what only the CLI uses. */
export interface LoadedConfig {
  options: AnalysisOptions;
  /** Glob patterns of files not to analyse, relative to `root`. */
  ignore: string[];
  /** The file read, or undefined when there is none (defaults apply). */
  configPath?: string;
  /** The folder paths in the configuration are relative to: the config file's folder, else the cwd. */
  root: string;
  /** The design review's settings; present only when the file has a `review` key. */
  review?: ReviewConfig;
}

/** A checklist item of the project's own (`review.items`). */
export interface CustomReviewItem {
  id: string;
  group: ReviewGroupId;
  question: string;
  why?: string;
  required?: boolean;
}

/** `review` in faultline.config.json. */
export interface ReviewConfig {
  /** The review file, relative to the root. */
  file: string;
  required: string[];
  hidden: string[];
  items: CustomReviewItem[];
}

export const DEFAULT_REVIEW_FILE = '.faultline/review.json';

/** The review settings of a configuration, with defaults for what it does not say. */
export function reviewConfigOf(config: { review?: ReviewConfig } | undefined): ReviewConfig {
  return config?.review ?? { file: DEFAULT_REVIEW_FILE, required: [], hidden: [], items: [] };
}

export interface LoadConfigRequest {
  cwd: string;
  /** `--config`: used as given (relative to `cwd`); it must exist. */
  configPath?: string;
  /** The linted paths; the config is looked up from the first one when the cwd has none. */
  paths?: string[];
  /** Rule ids `rules` may name (`unused-suppression` is always accepted). */
  knownRules: readonly string[];
}

/** What the file holds, as the schema describes it. */
interface RawConfig {
  $schema?: string;
  rules?: Record<string, string>;
  defaultTimeoutMs?: number;
  customClients?: CustomClient[];
  timeoutWrappers?: string[];
  ignore?: string[];
  review?: { file?: string; required?: string[]; hidden?: string[]; items?: CustomReviewItem[] };
}

/**
 * Finds `faultline.config.json`: in the cwd, else in the nearest folder at
 * or above the first linted path.
 */
export function findConfigFile(cwd: string, paths: string[] = []): string | undefined {
  const inCwd = path.join(cwd, CONFIG_FILE_NAME);
  if (fs.existsSync(inCwd)) return inCwd;
  const first = paths[0];
  if (first === undefined) return undefined;
  const abs = path.resolve(cwd, first);
  let dir = fs.existsSync(abs) && fs.statSync(abs).isDirectory() ? abs : path.dirname(abs);
  for (;;) {
    const candidate = path.join(dir, CONFIG_FILE_NAME);
    if (fs.existsSync(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** Finds, reads and validates the configuration; defaults when there is no file. Throws `ConfigError`. */
export function loadConfig(req: LoadConfigRequest): LoadedConfig {
  let file: string | undefined;
  if (req.configPath !== undefined) {
    file = path.resolve(req.cwd, req.configPath);
    if (!fs.existsSync(file)) throw new ConfigError(`${displayPath(req.cwd, file)}: no such config file`);
  } else {
    file = findConfigFile(req.cwd, req.paths);
  }
  if (file === undefined) {
    // No file: the defaults, without compiling the schema (a few tens of milliseconds at start-up).
    return { ...configFrom({}, CONFIG_FILE_NAME, req.knownRules), root: req.cwd };
  }
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`${displayPath(req.cwd, file)}: cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  const parsed = parseConfig(text, displayPath(req.cwd, file), req.knownRules);
  return { ...parsed, configPath: file, root: path.dirname(file) };
}

let validator: ReturnType<Ajv['compile']> | undefined;

/**
 * Parses and validates the text of a configuration file. `name` is how
 * messages name the file. Throws `ConfigError`.
 */
export function parseConfig(text: string, name: string, knownRules: readonly string[]): Omit<LoadedConfig, 'root' | 'configPath'> {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  let data: unknown;
  try {
    data = JSON.parse(body);
  } catch {
    const at = locateJsonError(body);
    throw new ConfigError(`${name}: invalid JSON at line ${at.line}, column ${at.column}: ${at.reason}`);
  }
  validator ??= new Ajv({ allErrors: false, strict: true }).compile(schema);
  if (!validator(data)) throw new ConfigError(`${name}: ${describeSchemaError(validator.errors?.[0])}`);
  return configFrom(data as RawConfig, name, knownRules);
}

/** The options of a configuration that the schema has validated. */
function configFrom(raw: RawConfig, name: string, knownRules: readonly string[]): Omit<LoadedConfig, 'root' | 'configPath'> {
  const known = new Set([...knownRules, UNUSED_SUPPRESSION_RULE_ID]);
  const rules: Record<string, SeveritySetting> = {};
  for (const [id, value] of Object.entries(raw.rules ?? {})) {
    if (!known.has(id)) throw new ConfigError(`${name}: unknown rule "${id}" in "rules" (known rules: ${[...known].sort().join(', ')})`);
    rules[id] = parseSeverity(value)!;
  }
  return {
    options: {
      rules,
      defaultTimeoutMs: raw.defaultTimeoutMs ?? DEFAULT_TIMEOUT_MS,
      customClients: raw.customClients ?? [],
      timeoutWrappers: raw.timeoutWrappers ?? [],
    },
    ignore: raw.ignore ?? [],
    ...(raw.review ? { review: parseReviewConfig(raw.review, name) } : {}),
  };
}

/** Checks what the schema cannot: ids name real items, custom ids are new, the file stays inside the project. */
function parseReviewConfig(raw: NonNullable<RawConfig['review']>, name: string): ReviewConfig {
  const builtIn = new Set(CHECKLIST.map((i) => i.id));
  const custom = new Set<string>();
  (raw.items ?? []).forEach((item, i) => {
    if (builtIn.has(item.id)) throw new ConfigError(`${name}: "review.items[${i}].id" "${item.id}" is a built-in item; give your item another id`);
    if (custom.has(item.id)) throw new ConfigError(`${name}: "review.items[${i}].id" "${item.id}" is used twice`);
    custom.add(item.id);
  });
  const known = [...builtIn, ...custom];
  for (const key of ['required', 'hidden'] as const) {
    (raw[key] ?? []).forEach((id, i) => {
      if (known.includes(id)) return;
      const near = nearest(id, known);
      throw new ConfigError(`${name}: unknown review item "${id}" in "review.${key}[${i}]"${near ? `; did you mean "${near}"?` : ''}`);
    });
  }
  const hidden = new Set(raw.hidden ?? []);
  const required = [...(raw.required ?? []), ...(raw.items ?? []).filter((i) => i.required && !(raw.required ?? []).includes(i.id)).map((i) => i.id)];
  const both = required.find((id) => hidden.has(id));
  if (both) throw new ConfigError(`${name}: review item "${both}" is both required and hidden`);
  const file = raw.file ?? DEFAULT_REVIEW_FILE;
  // The language server writes this file: it must stay inside the project.
  if (path.isAbsolute(file) || file.split(/[\\/]/).includes('..')) throw new ConfigError(`${name}: "review.file" must be a path inside the project, relative to the config file`);
  return { file, required, hidden: [...hidden], items: raw.items ?? [] };
}

/** The candidate closest to `word` in edit distance, if it is close enough to be a typo. */
function nearest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(3, Math.floor(word.length / 4)) + 1;
  for (const c of candidates) {
    const d = editDistance(word, c);
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}

/** A severity as configuration and `--rule` write it (`warn` is `warning`); undefined when it is none. */
export function parseSeverity(value: string): SeveritySetting | undefined {
  switch (value) {
    case 'off':
    case 'info':
    case 'warning':
    case 'error':
      return value;
    case 'warn':
      return 'warning';
    default:
      return undefined;
  }
}

/** One line for the first schema violation, naming the key: `"defaultTimeoutMs" must be integer`. */
function describeSchemaError(err: ErrorObject | undefined): string {
  if (!err) return 'invalid configuration';
  const where = keyPath(err.instancePath);
  switch (err.keyword) {
    case 'additionalProperties': {
      const extra = String((err.params as { additionalProperty: string }).additionalProperty);
      return where ? `unknown key "${extra}" in "${where}"` : `unknown key "${extra}"`;
    }
    case 'required': {
      const missing = String((err.params as { missingProperty: string }).missingProperty);
      return `"${where}" is missing the required key "${missing}"`;
    }
    case 'enum': {
      const allowed = (err.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ');
      return `"${where}" must be one of ${allowed}`;
    }
    default:
      return where ? `"${where}" ${err.message ?? 'is invalid'}` : `the configuration ${err.message ?? 'is invalid'}`;
  }
}

/** `/customClients/0/name` → `customClients[0].name`. */
function keyPath(pointer: string): string {
  if (pointer === '') return '';
  return pointer
    .slice(1)
    .split('/')
    .map((seg) => seg.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((acc, seg) => (/^\d+$/.test(seg) ? `${acc}[${seg}]` : acc ? `${acc}.${seg}` : seg), '');
}

/** How messages name a file: relative to the cwd when below it. */
function displayPath(cwd: string, file: string): string {
  const rel = path.relative(cwd, file);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel.split(path.sep).join('/') : file;
}
