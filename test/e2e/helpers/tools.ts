import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';

/** The repository root. */
export const ROOT = path.resolve(__dirname, '..', '..', '..');
/** Screenshots, logs and the scratch copy of the example go here (gitignored). */
export const OUT = path.join(ROOT, 'test-output', 'e2e');
export const VSIX = path.join(ROOT, 'faultline.vsix');
export const SERVER = path.join(ROOT, 'dist', 'server.js');
export const EXAMPLE = path.join(ROOT, 'examples', 'orders-service');

export const CODE_SERVER_VERSION = '4.100.3';
/** Where scripts/e2e-install.sh puts code-server and playwright-core. */
export const CACHE = process.env.FAULTLINE_E2E_CACHE ?? path.join(os.homedir(), '.cache', 'faultline-e2e');

const INSTALL_HINT = 'run `bash scripts/e2e-install.sh` (it installs chromium, ripgrep, libkrb5-dev, neovim from Debian and code-server + playwright-core into the cache)';

/** Thrown when a tool the end-to-end tests need is missing: the test fails with this message, it never skips. */
export class MissingTool extends Error {
  constructor(what: string) {
    super(`end-to-end tool missing: ${what}; ${INSTALL_HINT}`);
  }
}

function which(bin: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const p = path.join(dir, bin);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

export function chromiumPath(): string {
  const p = process.env.FAULTLINE_CHROMIUM ?? which('chromium') ?? which('chromium-browser');
  if (!p || !fs.existsSync(p)) throw new MissingTool(process.env.FAULTLINE_CHROMIUM ? `chromium: FAULTLINE_CHROMIUM=${process.env.FAULTLINE_CHROMIUM} does not exist` : 'chromium (Debian package `chromium`) is not on PATH');
  return p;
}

export function nvimPath(): string {
  const p = process.env.FAULTLINE_NVIM ?? which('nvim');
  if (!p || !fs.existsSync(p)) throw new MissingTool(process.env.FAULTLINE_NVIM ? `nvim: FAULTLINE_NVIM=${process.env.FAULTLINE_NVIM} does not exist` : 'nvim (Debian package `neovim`) is not on PATH');
  return p;
}

export function codeServerPath(): string {
  const bin = path.join(CACHE, 'node_modules', '.bin', 'code-server');
  const pkg = path.join(CACHE, 'node_modules', 'code-server', 'package.json');
  if (!fs.existsSync(bin) || !fs.existsSync(pkg)) throw new MissingTool(`code-server ${CODE_SERVER_VERSION} is not installed in ${CACHE}`);
  const version = (JSON.parse(fs.readFileSync(pkg, 'utf8')) as { version: string }).version;
  if (version !== CODE_SERVER_VERSION) throw new MissingTool(`code-server in ${CACHE} is ${version}, the tests need ${CODE_SERVER_VERSION}`);
  if (!which('rg')) throw new MissingTool('ripgrep (Debian package `ripgrep`): code-server\'s search needs `rg`');
  return bin;
}

/** playwright-core, loaded from the cache: it is not one of the project's dependencies. */
export function loadPlaywright(): { chromium: import('./workbench.ts').ChromiumType } {
  const req = createRequire(path.join(CACHE, 'node_modules', 'noop.js'));
  try {
    return req('playwright-core') as { chromium: import('./workbench.ts').ChromiumType };
  } catch (err) {
    throw new MissingTool(`playwright-core cannot be loaded from ${CACHE}/node_modules (${(err as Error).message.split('\n')[0]})`);
  }
}

/** Fails when the packaged extension or the bundled server is missing (`npm run test:e2e` packages first). */
export function requireBuilt(file: string): string {
  if (!fs.existsSync(file)) throw new Error(`${path.relative(ROOT, file)} is missing: run \`npm run package\` first (npm run test:e2e does)`);
  return file;
}

export function versionOf(bin: string, args = ['--version']): string {
  try {
    return execFileSync(bin, args, { encoding: 'utf8', env: { ...process.env, HOME: os.tmpdir() }, stdio: ['ignore', 'pipe', 'ignore'] })
      .split('\n')
      .find((l) => /\d+\.\d+/.test(l))!
      .trim();
  } catch {
    return 'unknown';
  }
}
