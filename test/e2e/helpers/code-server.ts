import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { codeServerPath } from './tools.ts';
import { freePort, killTree, waitUntil } from './processes.ts';

export interface CodeServerOptions {
  /** Folder for the log (and nothing else: the user data lives in a temp dir). */
  outDir: string;
  /** Extensions to install with `--install-extension` before the start. */
  install?: string[];
  /** User settings (settings.json). */
  settings?: Record<string, unknown>;
  /** User keybindings (keybindings.json). */
  keybindings?: unknown[];
  /** Extra environment for code-server and so for its extension hosts. */
  env?: Record<string, string>;
}

/** Settings that keep a fresh workbench quiet and predictable for a test. */
export const QUIET_SETTINGS: Record<string, unknown> = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'workbench.editor.enablePreview': false,
  'security.workspace.trust.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'chat.commandCenter.enabled': false,
  'git.enabled': false,
  'files.autoSave': 'off',
  'editor.minimap.enabled': false,
  'editor.hover.delay': 100,
  'workbench.tree.enableStickyScroll': false,
};

/**
 * A code-server (VS Code 1.100 server + web workbench) of its own: fresh HOME,
 * user data and extensions folders in a temp dir, a free port, no auth.
 * `stop()` ends its whole process tree (extension hosts and language
 * servers included) and removes the temp dir.
 */
export class CodeServer {
  private constructor(
    readonly port: number,
    readonly proc: ChildProcess,
    readonly tmp: string,
    readonly logFile: string,
    private readonly bin: string,
  ) {}

  static async start(options: CodeServerOptions): Promise<CodeServer> {
    const bin = codeServerPath();
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'faultline-cs-'));
    const home = path.join(tmp, 'home');
    const data = path.join(tmp, 'data');
    const ext = path.join(tmp, 'extensions');
    for (const d of [home, path.join(data, 'User'), ext]) fs.mkdirSync(d, { recursive: true });
    fs.writeFileSync(path.join(data, 'User', 'settings.json'), JSON.stringify({ ...QUIET_SETTINGS, ...options.settings }, null, 2));
    if (options.keybindings) fs.writeFileSync(path.join(data, 'User', 'keybindings.json'), JSON.stringify(options.keybindings, null, 2));
    const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, ...options.env };
    delete env.VSCODE_IPC_HOOK_CLI; // a terminal of another VS Code must not take the CLI calls
    const common = ['--user-data-dir', data, '--extensions-dir', ext];

    for (const vsix of options.install ?? []) {
      const out = execFileSync(bin, [...common, '--install-extension', vsix], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
      if (!/successfully installed/i.test(out)) throw new Error(`code-server --install-extension ${vsix} did not report success:\n${out}`);
    }

    fs.mkdirSync(options.outDir, { recursive: true });
    const logFile = path.join(options.outDir, 'code-server.log');
    const log = fs.openSync(logFile, 'w');
    const port = await freePort();
    const proc = spawn(
      bin,
      [...common, '--bind-addr', `127.0.0.1:${port}`, '--auth', 'none', '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust', '--disable-getting-started-override'],
      { env, stdio: ['ignore', log, log], detached: true },
    );
    fs.closeSync(log);
    const server = new CodeServer(port, proc, tmp, logFile, bin);
    // If the test process dies before stop(), do not leave code-server and its extension hosts behind.
    process.once('exit', server.killNow);
    let exited: string | undefined;
    proc.once('exit', (code, sig) => (exited = `code-server exited (code ${code}, signal ${sig})`));
    try {
      await waitUntil(`code-server on port ${port} to answer /healthz`, 30_000, async () => {
        if (exited) throw new Error(exited);
        const res = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined);
        return res?.ok ? true : undefined;
      });
    } catch (err) {
      await server.stop();
      throw new Error(`${(err as Error).message}\n--- code-server log ---\n${server.logTail()}`);
    }
    return server;
  }

  /** The workbench URL for a folder; `payload` adds the web embedder's extra options. */
  url(folder: string, payload?: [string, string][]): string {
    const q = new URLSearchParams({ folder });
    if (payload) q.set('payload', JSON.stringify(payload));
    return `http://127.0.0.1:${this.port}/?${q.toString()}`;
  }

  /** The URI of a file of this machine as the workbench names it (it runs on a "remote"). */
  remoteUri(file: string): string {
    return `vscode-remote://127.0.0.1:${this.port}${file}`;
  }

  logTail(lines = 40): string {
    try {
      return fs.readFileSync(this.logFile, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  private readonly killNow = (): void => {
    try {
      process.kill(-this.proc.pid!, 'SIGKILL');
    } catch {
      // gone
    }
  };

  async stop(): Promise<void> {
    process.removeListener('exit', this.killNow);
    if (this.proc.pid) await killTree(this.proc.pid, { group: true });
    fs.rmSync(this.tmp, { recursive: true, force: true });
  }

  get binary(): string {
    return this.bin;
  }
}
