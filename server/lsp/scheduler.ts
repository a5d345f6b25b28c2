import type { StatusParams } from '../../protocol/messages.ts';

/** Closed files analysed per background step. */
const BACKGROUND_BATCH = 50;

export interface SchedulerHooks {
  analyseOpen(uri: string): void;
  /** Analyses closed files together (a batch shares the per-program work). */
  analyseBackground(files: string[]): void;
  /** Loads some more files of the workspace's projects; returns how many are still waiting. */
  loadSome(): number;
  workspaceFiles(): string[];
  openDocuments(): string[];
  status(params: Omit<StatusParams, 'findings'>): void;
  log(message: string): void;
}

/**
 * Orders the server's work so that the editor never waits on it:
 * - an open document that changed is analysed on the next turn of the
 *   event loop; edits that arrive together are analysed once, the latest;
 * - the workspace is loaded and analysed in the background, one small step
 *   per turn, so that every incoming message (a keystroke, a code action)
 *   is handled between two steps and goes first.
 */
export class Scheduler {
  private readonly open = new Set<string>();
  private background: string[] = [];
  private backgroundTotal = 0;
  private backgroundDone = 0;
  private loading = false;
  private files: string[] | undefined;
  private timer: NodeJS.Immediate | undefined;

  constructor(private readonly hooks: SchedulerHooks) {}

  scheduleOpen(uri: string): void {
    this.open.add(uri);
    this.kick();
  }

  cancel(uri: string): void {
    this.open.delete(uri);
  }

  reanalyseOpen(): void {
    for (const uri of this.hooks.openDocuments()) this.open.add(uri);
    this.kick();
  }

  scheduleBackground(files: string[]): void {
    for (const f of files) if (!this.background.includes(f)) this.background.push(f);
    this.backgroundTotal += files.length;
    this.kick();
  }

  /** Loads every project of the workspace, then analyses each file, all in the background. */
  scanWorkspace(): void {
    this.loading = true;
    this.files = undefined;
    this.background = [];
    this.backgroundTotal = 0;
    this.backgroundDone = 0;
    this.hooks.status({ state: 'analyzing' });
    this.kick();
  }

  private kick(): void {
    this.timer ??= setImmediate(() => {
      this.timer = undefined;
      this.step();
    });
  }

  private step(): void {
    try {
      const next = this.open.values().next();
      if (!next.done) {
        this.open.delete(next.value);
        this.hooks.analyseOpen(next.value);
        if (this.open.size === 0 && this.background.length === 0 && !this.loading) this.hooks.status({ state: 'idle' });
      } else if (this.loading && this.files === undefined) {
        this.files = this.hooks.workspaceFiles();
      } else if (this.loading) {
        if (this.hooks.loadSome() === 0) {
          this.loading = false;
          this.background = this.files ?? [];
          this.backgroundTotal = this.background.length;
          this.backgroundDone = 0;
          // What the open documents see may have changed now that every file is known.
          for (const uri of this.hooks.openDocuments()) this.open.add(uri);
        }
      } else if (this.background.length > 0) {
        // A batch takes a few hundred milliseconds at most; edits are handled between batches.
        const batch = this.background.splice(0, BACKGROUND_BATCH);
        this.hooks.analyseBackground(batch);
        this.backgroundDone += batch.length;
        {
          this.hooks.status(this.background.length === 0 ? { state: 'idle' } : { state: 'analyzing', progress: { done: this.backgroundDone, total: this.backgroundTotal } });
        }
      } else {
        return;
      }
    } catch (err) {
      // One failing step must not stop the others.
      this.hooks.log(`Faultline: ${(err as Error).stack ?? String(err)}`);
    }
    this.kick();
  }
}
