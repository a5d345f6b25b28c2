import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromiumPath, loadPlaywright } from './tools.ts';
import { descendants, killTree } from './processes.ts';

/*
 * The few parts of playwright-core's API these tests use. playwright-core is
 * loaded from the e2e cache (not a project dependency), so its own types are
 * not available to the type-check.
 */
export interface Locator {
  first(): Locator;
  nth(i: number): Locator;
  count(): Promise<number>;
  allInnerTexts(): Promise<string[]>;
  innerText(options?: { timeout?: number }): Promise<string>;
  getAttribute(name: string, options?: { timeout?: number }): Promise<string | null>;
  boundingBox(options?: { timeout?: number }): Promise<{ x: number; y: number; width: number; height: number } | null>;
  waitFor(options?: { state?: 'attached' | 'detached' | 'visible' | 'hidden'; timeout?: number }): Promise<void>;
  fill(value: string, options?: { timeout?: number }): Promise<void>;
  click(options?: { timeout?: number }): Promise<void>;
  isVisible(): Promise<boolean>;
  inputValue(options?: { timeout?: number }): Promise<string>;
  locator(selector: string, options?: { hasText?: string | RegExp }): Locator;
  evaluateAll<R, A = unknown>(fn: (els: DomElement[], arg: A) => R, arg?: A): Promise<R>;
}
export interface Frame {
  url(): string;
  locator(selector: string, options?: { hasText?: string | RegExp }): Locator;
  evaluate<R, A = unknown>(fn: (arg: A) => R, arg?: A): Promise<R>;
}
export interface Page extends Frame {
  goto(url: string, options?: { timeout?: number }): Promise<unknown>;
  waitForSelector(selector: string, options?: { state?: 'attached' | 'detached' | 'visible' | 'hidden'; timeout?: number }): Promise<unknown>;
  waitForFunction<A>(fn: (arg: A) => unknown, arg: A, options?: { timeout?: number; polling?: number | 'raf' }): Promise<unknown>;
  screenshot(options: { path: string; fullPage?: boolean }): Promise<unknown>;
  frames(): Frame[];
  on(event: 'pageerror' | 'console', fn: (arg: { toString(): string; text?: () => string }) => void): void;
  keyboard: { press(key: string): Promise<void>; type(text: string, options?: { delay?: number }): Promise<void>; insertText(text: string): Promise<void> };
  mouse: { move(x: number, y: number, options?: { steps?: number }): Promise<void>; wheel(dx: number, dy: number): Promise<void> };
}
export interface BrowserContext {
  addInitScript(script: string): Promise<void>;
  pages(): Page[];
  newPage(): Promise<Page>;
  close(): Promise<void>;
}
export interface ChromiumType {
  launchPersistentContext(userDataDir: string, options: Record<string, unknown>): Promise<BrowserContext>;
}

/** One Problems panel row of a marker, as the workbench renders it. */
export interface ProblemRow {
  file: string;
  line: number;
  column: number;
  source: string;
  code: string;
  severity: string;
  message: string;
}

/** Status of the Faultline item in the status bar. */
export interface StatusItem {
  text: string;
  label: string;
  spinning: boolean;
}

/*
 * Functions given to page.evaluate/waitForFunction run in the browser. The
 * project's type-check has no DOM library: these few declarations, local to
 * this module, describe what those functions use.
 */
export interface DomElement {
  textContent: string | null;
  innerText: string;
  className: string;
  parentElement: DomElement | null;
  style: { top: string };
  getAttribute(name: string): string | null;
  querySelector(selector: string): DomElement | null;
  querySelectorAll(selector: string): DomElement[];
  getBoundingClientRect(): { x: number; y: number; width: number; height: number };
}
declare const document: { body: DomElement | null; querySelector(selector: string): DomElement | null; querySelectorAll(selector: string): DomElement[] };
declare const window: { faultlineStatusSeen?: string[] };
declare class MutationObserver {
  constructor(callback: () => void);
  observe(target: DomElement, options: { subtree?: boolean; childList?: boolean; attributes?: boolean; characterData?: boolean }): void;
}

const EDITOR = '.editor-group-container.active .monaco-editor';
export const FAULTLINE_STATUS = '.statusbar-item[id$="faultline.status"]';

/**
 * Drives the VS Code workbench that code-server serves, in headless
 * Chromium, through the DOM a user sees. Every wait has a timeout and says
 * what did not appear; a failing wait leaves a screenshot.
 */
export class Workbench {
  private shots = 0;
  readonly screenshots: string[] = [];
  readonly pageErrors: string[] = [];

  private constructor(
    readonly page: Page,
    private readonly context: BrowserContext,
    private readonly profile: string,
    readonly outDir: string,
  ) {}

  static async open(url: string, outDir: string): Promise<Workbench> {
    const { chromium } = loadPlaywright();
    const executablePath = chromiumPath();
    const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'faultline-chromium-'));
    fs.mkdirSync(outDir, { recursive: true });
    const context = await chromium.launchPersistentContext(profile, {
      executablePath,
      headless: true,
      viewport: { width: 1600, height: 1000 },
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
      timeout: 60_000,
    });
    // tsx compiles these files with esbuild's keepNames: functions sent to the page may call __name().
    await context.addInitScript('globalThis.__name = globalThis.__name || ((f) => f);');
    const page = context.pages()[0] ?? (await context.newPage());
    const wb = new Workbench(page, context, profile, outDir);
    page.on('pageerror', (e) => wb.pageErrors.push(String(e).slice(0, 300)));
    await page.goto(url, { timeout: 60_000 });
    await wb.waitFor('.monaco-workbench', 'the VS Code workbench', 60_000);
    await wb.waitFor('.explorer-folders-view .monaco-list-row', 'the Explorer with the workspace files', 60_000);
    return wb;
  }

  /** Saves a screenshot as `NN-name.png` in the output folder and returns its path. */
  async shot(name: string): Promise<string> {
    const file = path.join(this.outDir, `${String(++this.shots).padStart(2, '0')}-${name}.png`);
    await this.page.screenshot({ path: file });
    this.screenshots.push(file);
    return file;
  }

  /** An error that says what did not happen, with a screenshot of the moment. */
  async failure(message: string): Promise<Error> {
    let where = '';
    try {
      where = `; screenshot: ${await this.shot(`FAILED-${message.replace(/[^a-z0-9]+/gi, '-').slice(0, 60)}`)}`;
    } catch {
      // the page is gone
    }
    return new Error(`${message}${where}`);
  }

  async waitFor(selector: string, what: string, timeoutMs: number, state: 'visible' | 'attached' | 'hidden' | 'detached' = 'visible'): Promise<void> {
    try {
      await this.page.waitForSelector(selector, { state, timeout: timeoutMs });
    } catch {
      const verb = state === 'hidden' || state === 'detached' ? 'did not go away' : 'did not appear';
      throw await this.failure(`${what} ${verb} within ${timeoutMs} ms (selector ${selector})`);
    }
  }

  /** Waits until `fn(arg)`, run in the page, is truthy. */
  async waitForPage<A>(what: string, timeoutMs: number, fn: (arg: A) => unknown, arg: A): Promise<void> {
    try {
      await this.page.waitForFunction(fn, arg, { timeout: timeoutMs, polling: 200 });
    } catch {
      throw await this.failure(`${what}: not seen within ${timeoutMs} ms`);
    }
  }

  /** Runs a command from the Command Palette by its label ("Category: Title"), as a user types it. */
  async command(label: string): Promise<void> {
    await this.page.keyboard.press('F1');
    const input = '.quick-input-widget .quick-input-box input';
    await this.waitFor(input, 'the Command Palette', 10_000);
    await this.page.locator(input).first().fill(`>${label}`);
    const list = '.quick-input-widget .quick-input-list';
    await this.waitFor(`${list} .monaco-list-row[aria-label^="${label.replace(/"/g, '\\"')}"]`, `the command "${label}" in the Command Palette`, 10_000);
    await this.focusListRow(list, (l) => l.startsWith(label), `"${label}" in the Command Palette`);
    await this.page.keyboard.press('Enter');
    await this.waitFor('.quick-input-widget', 'the Command Palette closing', 10_000, 'hidden');
  }

  /** Moves the keyboard focus down a list (quick input, action widget) to the row whose aria-label passes `test`. */
  async focusListRow(list: string, test: (label: string) => boolean, what: string): Promise<string> {
    const seen: string[] = [];
    for (let i = 0; i < 40; i++) {
      const focused = (await this.page.locator(`${list} .monaco-list-row.focused`).first().getAttribute('aria-label', { timeout: 5_000 }).catch(() => null)) ?? '';
      if (test(focused)) return focused;
      if (seen.includes(focused) && focused === seen[0] && i > 0) break; // wrapped around
      seen.push(focused);
      await this.page.keyboard.press('ArrowDown');
    }
    throw await this.failure(`${what}: no such entry; the list offers ${JSON.stringify([...new Set(seen)])}`);
  }

  /**
   * Opens a code-action menu (`open` presses Ctrl+. or runs "Source Action...")
   * until it lists what `want` accepts, and returns its entries and how
   * many tries it took. Right after a file opens, its actions can be
   * missing for a moment (the editor then says "No … actions available"):
   * a user asks again, and so does this.
   */
  async actionMenu(open: () => Promise<void>, want: (labels: string[]) => boolean, what: string, timeoutMs = 30_000): Promise<{ labels: string[]; tries: number }> {
    const deadline = Date.now() + timeoutMs;
    let labels: string[] = [];
    let message = '';
    for (let tries = 1; ; tries++) {
      await open();
      await this.page
        .waitForFunction(() => !!document.querySelector('.action-widget .monaco-list-row.action') || !!document.querySelector('.monaco-editor-overlaymessage'), undefined, { timeout: 10_000, polling: 100 })
        .catch(() => undefined);
      labels = await this.page.locator('.action-widget .monaco-list-row.action').evaluateAll((els) => els.map((e) => e.getAttribute('aria-label') ?? ''));
      message = (await this.page.locator('.monaco-editor-overlaymessage').allInnerTexts().catch(() => [])).join(' ').trim();
      if (want(labels)) return { labels, tries };
      await this.page.keyboard.press('Escape');
      await this.waitFor('.action-widget', 'the action menu closing', 5_000, 'hidden');
      if (Date.now() > deadline) break;
      await this.page.waitForFunction(() => !document.querySelector('.monaco-editor-overlaymessage'), undefined, { timeout: 5_000, polling: 100 }).catch(() => undefined);
    }
    throw await this.failure(`${what}: not offered within ${timeoutMs} ms; the menu offered ${JSON.stringify(labels)}${message ? `, the editor said "${message}"` : ''}`);
  }

  /** Opens a workspace file with Quick Open (Ctrl+P) and waits for its editor. */
  async openFile(relPath: string): Promise<void> {
    await this.page.keyboard.press('Control+P');
    const input = '.quick-input-widget .quick-input-box input';
    await this.waitFor(input, 'Quick Open', 10_000);
    await this.page.locator(input).first().fill(relPath);
    const base = path.basename(relPath);
    const dir = path.dirname(relPath);
    await this.waitFor(`.quick-input-widget .quick-input-list .monaco-list-row[aria-label*="${base}"]`, `${relPath} in Quick Open`, 15_000);
    await this.focusListRow('.quick-input-widget .quick-input-list', (l) => l.includes(base) && (dir === '.' || l.includes(dir)), `${relPath} in Quick Open`);
    await this.page.keyboard.press('Enter');
    await this.waitFor(`.tabs-container .tab.active[aria-label^="${base}"]`, `the editor tab of ${relPath}`, 15_000);
    await this.waitFor(`${EDITOR} .view-lines`, `the text of ${relPath}`, 15_000);
  }

  /** Puts the cursor at a 1-based line and column with Go to Line (Ctrl+G). */
  async goTo(line: number, column = 1): Promise<void> {
    await this.page.locator(`${EDITOR} .view-lines`).first().click();
    await this.page.keyboard.press('Control+G');
    const input = '.quick-input-widget .quick-input-box input';
    await this.waitFor(input, 'Go to Line', 10_000);
    await this.page.locator(input).first().fill(`:${line}:${column}`);
    await this.page.keyboard.press('Enter');
    await this.waitFor('.quick-input-widget', 'Go to Line closing', 10_000, 'hidden');
    const want = `Ln ${line}, Col ${column}`;
    await this.waitForPage(`the cursor at ${want}`, 5_000, (w) => document.querySelector('#status\\.editor\\.selection')?.textContent?.includes(w), want);
  }

  /** The lines (1-based) of the active editor that show a squiggle of the class, among the rendered lines. */
  async squiggleLines(kind: 'error' | 'warning' | 'info'): Promise<number[]> {
    return this.page.evaluate(
      ({ editor, kind }) => {
        const root = document.querySelector(editor);
        if (!root) return [];
        const lineAt = new Map<string, number>();
        for (const n of root.querySelectorAll('.margin-view-overlays .line-numbers')) {
          const top = n.parentElement!.style.top;
          lineAt.set(top, Number(n.textContent));
        }
        const lines = new Set<number>();
        for (const s of root.querySelectorAll(`.view-overlays .squiggly-${kind}`)) {
          const l = lineAt.get(s.parentElement!.style.top);
          if (l) lines.add(l);
        }
        return [...lines].sort((a, b) => a - b);
      },
      { editor: EDITOR, kind },
    );
  }

  /** Waits until a squiggle of the kind is drawn (present) or gone (!present) on a 1-based line of the active editor (the line must be rendered: goTo it first). */
  async waitForSquiggle(line: number, kind: 'error' | 'warning' | 'info', present: boolean, what: string, timeoutMs = 15_000): Promise<void> {
    await this.waitForPage(
      what,
      timeoutMs,
      ({ editor, line, kind, present }) => {
        const root = document.querySelector(editor);
        if (!root) return false;
        let top: string | undefined;
        for (const n of root.querySelectorAll('.margin-view-overlays .line-numbers')) if (Number(n.textContent) === line) top = n.parentElement!.style.top;
        if (top === undefined) return false;
        const has = [...root.querySelectorAll(`.view-overlays .squiggly-${kind}`)].some((s) => s.parentElement!.style.top === top);
        return has === present;
      },
      { editor: EDITOR, line, kind, present },
    );
  }

  /**
   * Hovers the squiggle on a line of the active editor and returns the text
   * of the problem part of the hover (message, source, code), or fails.
   */
  async hoverProblem(line: number, kind: 'error' | 'warning' | 'info', expect: RegExp): Promise<string> {
    await this.goTo(line, 1);
    const box = await this.page.evaluate(
      ({ editor, kind, line }) => {
        const root = document.querySelector(editor)!;
        let top: string | undefined;
        for (const n of root.querySelectorAll('.margin-view-overlays .line-numbers')) if (Number(n.textContent) === line) top = n.parentElement!.style.top;
        for (const s of root.querySelectorAll(`.view-overlays .squiggly-${kind}`)) {
          if (s.parentElement!.style.top !== top) continue;
          const r = s.getBoundingClientRect();
          if (r.width > 0) return { x: r.x + Math.min(8, r.width / 2), y: r.y + r.height / 2 };
        }
        return undefined;
      },
      { editor: EDITOR, kind, line },
    );
    if (!box) throw await this.failure(`no ${kind} squiggle rendered on line ${line}`);
    await this.page.mouse.move(box.x, box.y + 40, { steps: 2 });
    await this.page.mouse.move(box.x, box.y, { steps: 4 });
    const hover = '.monaco-hover .marker.hover-contents';
    try {
      await this.page.waitForFunction(
        ({ hover, source }) => [...document.querySelectorAll(hover)].some((h) => new RegExp(source).test(h.textContent ?? '')),
        { hover, source: expect.source },
        { timeout: 10_000, polling: 100 },
      );
    } catch {
      const got = await this.page.locator(hover).allInnerTexts().catch(() => []);
      throw await this.failure(`the hover on the line-${line} squiggle did not show ${expect} within 10000 ms; it showed ${JSON.stringify(got)}`);
    }
    const texts = await this.page.locator(hover).allInnerTexts();
    return texts.find((t) => expect.test(t)) ?? '';
  }

  async closeHover(): Promise<void> {
    await this.page.mouse.move(5, 500);
    await this.page.keyboard.press('Escape');
  }

  /**
   * Opens the Problems panel, filters it on `filter` (the filter matches
   * messages, sources and codes: "faultline" keeps Faultline's problems
   * and drops the TypeScript extension's), and reads every marker row,
   * paging through the virtualized tree. Reads until two passes agree, so
   * that problems arriving meanwhile cannot mix two states.
   */
  async problems(filter = 'faultline'): Promise<ProblemRow[]> {
    await this.command('Problems: Focus on Problems View');
    await this.waitFor('.markers-panel', 'the Problems panel', 10_000);
    const filterBox = this.page.locator('.panel input[placeholder^="Filter"]').first();
    if ((await filterBox.inputValue().catch(() => '')) !== filter) {
      await filterBox.fill(filter);
      await this.command('Problems: Focus on Problems View');
    }
    let previous = '';
    for (let attempt = 0; attempt < 10; attempt++) {
      const rows = await this.readProblemRows();
      const now = JSON.stringify(rows);
      if (now === previous) {
        fs.writeFileSync(path.join(this.outDir, `problems-${String(this.shots).padStart(2, '0')}.json`), JSON.stringify(rows, null, 2));
        return rows;
      }
      previous = now;
      await new Promise((r) => setTimeout(r, 300)); // pause between two reads of a list that must hold still
    }
    throw await this.failure('the Problems panel kept changing over 10 reads');
  }

  private async readProblemRows(): Promise<ProblemRow[]> {
    const rows = new Map<number, { level: number; label: string; source: string; code: string; line: string; severity: string; message: string }>();
    let last = -1;
    const list = '.markers-panel .monaco-list';
    // Only the tree's own rows: the sticky-scroll header repeats some of them with other data-index values.
    const rowSel = `${list} .monaco-list-rows > .monaco-list-row`;
    if ((await this.page.locator(rowSel).count()) === 0) return [];
    // Scroll with the mouse wheel over the tree (keyboard paging depends on where the focus is):
    // to the top, then down in steps shorter than the visible height, so that no row is skipped.
    const box = await this.page.locator(list).first().boundingBox();
    if (!box) throw await this.failure('the Problems tree has no size');
    await this.page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    for (let i = 0; i < 50 && (await this.page.locator(`${rowSel}[data-index="0"]`).count()) === 0; i++) await this.page.mouse.wheel(0, -2000);
    const step = Math.max(22, box.height - 66);
    for (let round = 0; round < 200; round++) {
      const batch = await this.page.locator(rowSel).evaluateAll((els) =>
        els.map((e) => ({
          index: Number(e.getAttribute('data-index')),
          last: e.getAttribute('data-last-element') === 'true',
          level: Number(e.getAttribute('aria-level')),
          label: e.getAttribute('aria-label') ?? '',
          source: e.querySelector('.marker-source')?.textContent ?? '',
          code: e.querySelector('.marker-code')?.textContent ?? '',
          line: e.querySelector('.marker-line')?.textContent ?? '',
          severity: /\b(error|warning|info)\b/.exec(e.querySelector('.marker-icon')?.className ?? '')?.[1] ?? '',
          message: e.querySelector('.marker-message')?.textContent ?? '',
        })),
      );
      for (const r of batch) {
        rows.set(r.index, r);
        if (r.last) last = r.index;
      }
      if (last >= 0 && rows.size >= last + 1) break;
      await this.page.mouse.wheel(0, step);
      // The tree renders the new rows on the next frame: wait until the top row changed.
      const top = Math.min(...batch.map((r) => r.index));
      await this.page
        .waitForFunction(({ sel, top }) => [...document.querySelectorAll(sel)].some((e) => Number(e.getAttribute('data-index')) > top + 1) || !!document.querySelector(`${sel}[data-last-element="true"]`), { sel: rowSel, top }, { timeout: 2_000, polling: 'raf' })
        .catch(() => undefined);
    }
    await this.page.mouse.move(1200, 12); // off the tree: no row tooltip in the next screenshot
    if (last < 0 || rows.size !== last + 1) throw await this.failure(`could not read every row of the Problems panel (read ${rows.size}, last index ${last})`);
    const out: ProblemRow[] = [];
    let file = '';
    for (let i = 0; i <= last; i++) {
      const r = rows.get(i)!;
      if (r.level === 1) {
        const m = /problems? in file (.+) of folder (.+)$/.exec(r.label);
        file = m ? `${m[2]}/${m[1]}` : r.label;
      } else if (r.level === 2 && r.line) {
        const pos = /Ln (\d+), Col (\d+)/.exec(r.line);
        out.push({ file, line: Number(pos?.[1]), column: Number(pos?.[2]), source: r.source, code: r.code, severity: r.severity, message: r.message });
      }
    }
    return out;
  }

  async status(): Promise<StatusItem | undefined> {
    const item = this.page.locator(FAULTLINE_STATUS).first();
    if ((await item.count()) === 0) return undefined;
    return {
      text: (await item.innerText({ timeout: 2_000 })).trim(),
      label: (await item.getAttribute('aria-label', { timeout: 2_000 })) ?? '',
      spinning: (await item.locator('.codicon-modifier-spin').count()) > 0,
    };
  }

  /** Waits until the Faultline status bar item is idle (no spinner) and shows `findings`; returns what it shows. */
  async waitForStatus(findings: number, timeoutMs: number): Promise<StatusItem> {
    const text = findings === 0 ? 'Faultline' : `Faultline: ${findings}`;
    try {
      await this.page.waitForFunction(
        ({ sel, text }) => {
          const e = document.querySelector(sel);
          return !!e && (e.textContent ?? '').trim() === text && !e.querySelector('.codicon-modifier-spin') && /in the workspace/.test(e.getAttribute('aria-label') ?? '');
        },
        { sel: FAULTLINE_STATUS, text },
        { timeout: timeoutMs, polling: 200 },
      );
    } catch {
      throw await this.failure(`the Faultline status bar item did not become idle showing "${text}" within ${timeoutMs} ms; it shows ${JSON.stringify(await this.status().catch(() => undefined))}`);
    }
    return (await this.status())!;
  }

  /**
   * Starts recording every state the Faultline status bar item goes
   * through (its accessible label), so that a short passage through
   * "starting"/"analysing" cannot be missed between two polls.
   */
  async recordStatus(): Promise<void> {
    await this.page.evaluate((sel) => {
      window.faultlineStatusSeen = [];
      const bar = document.querySelector('.part.statusbar') ?? document.body!;
      const note = (): void => {
        const label = document.querySelector(sel)?.getAttribute('aria-label') ?? '(no item)';
        const seen = window.faultlineStatusSeen!;
        if (seen[seen.length - 1] !== label) seen.push(label);
      };
      note();
      new MutationObserver(note).observe(bar, { subtree: true, childList: true, attributes: true, characterData: true });
    }, FAULTLINE_STATUS);
  }

  /** Waits until the recorded status has left the idle state at least once (the server restarted or re-analysed). */
  async waitForStatusChange(what: string, timeoutMs: number): Promise<string[]> {
    await this.waitForPage(what, timeoutMs, () => (window.faultlineStatusSeen ?? []).some((l) => !/in the workspace/.test(l)), undefined);
    return this.page.evaluate(() => window.faultlineStatusSeen ?? []);
  }

  /** Closes the browser and ends every Chromium process it started. */
  async close(): Promise<void> {
    const before = descendants(process.pid);
    await Promise.race([this.context.close().catch(() => undefined), new Promise((r) => setTimeout(r, 10_000))]);
    for (const pid of before) {
      try {
        if (/chrom/i.test(fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8'))) await killTree(pid, { graceMs: 500 });
      } catch {
        // already gone
      }
    }
    fs.rmSync(this.profile, { recursive: true, force: true });
  }
}
