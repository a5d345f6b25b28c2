import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import {
  parseWebviewMessage,
  REVIEW_VIEW_ID,
  ReviewCommands,
  ReviewRequest,
  SetAnswerRequest,
  type ExtensionToWebview,
  type ReviewModel,
  type ReviewParams,
  type ReviewPlace,
  type SetAnswerParams,
  type WebviewToExtension,
} from '../../protocol/review.ts';
import { newNonce, reviewPageHtml } from './html.ts';
import { renderChecklist } from './render.ts';
import { ReviewTree } from './tree.ts';

/** The webview panel's type id (also its serializer's). */
export const REVIEW_PANEL_TYPE = 'faultline.designReview';

/** Quiet time before a refresh after the code or the diagnostics change. */
const REFRESH_DELAY_MS = 1_500;

/**
 * The design review in VS Code: the panel (a webview), the explorer's tree
 * and what keeps them current. The checklist comes from the server
 * (`faultline/review`) and owns no analysis; answers go back through
 * `faultline/review/setAnswer`, which writes the review file. The panel
 * refreshes when diagnostics change (findings), when code changes (the
 * evidence that has no diagnostics), and when the review file or the
 * configuration changes on disk (a pull).
 */
export class ReviewController implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private model: ReviewModel | undefined;
  private places = new Map<number, ReviewPlace>();
  private folder: vscode.WorkspaceFolder | undefined;
  private readonly tree = new ReviewTree();
  private readonly view: vscode.TreeView<unknown>;
  private readonly disposables: vscode.Disposable[] = [];
  private watcher: vscode.FileSystemWatcher | undefined;
  private watched = '';
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running: Promise<void> | undefined;
  private again = false;

  constructor(private readonly getClient: () => LanguageClient | undefined) {
    this.view = vscode.window.createTreeView(REVIEW_VIEW_ID, { treeDataProvider: this.tree as vscode.TreeDataProvider<unknown>, showCollapseAll: true });
    this.disposables.push(
      this.view,
      this.tree,
      this.view.onDidChangeVisibility((e) => e.visible && this.schedule(0)),
      vscode.languages.onDidChangeDiagnostics(() => this.schedule()),
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (/^(typescript|javascript)(react)?$/.test(e.document.languageId) && e.contentChanges.length > 0) this.schedule();
      }),
      vscode.workspace.onDidSaveTextDocument((d) => d.fileName.endsWith('faultline.config.json') && this.schedule(0)),
      vscode.workspace.onDidChangeWorkspaceFolders(() => {
        this.folder = undefined;
        this.schedule(0);
      }),
      vscode.window.registerWebviewPanelSerializer(REVIEW_PANEL_TYPE, {
        deserializeWebviewPanel: async (panel) => {
          this.adopt(panel);
          await this.refresh();
        },
      }),
    );
  }

  /** Opens (or reveals) the panel, optionally at one item. */
  async open(itemId?: string): Promise<void> {
    if (!this.folder && (vscode.workspace.workspaceFolders?.length ?? 0) > 1) {
      const picked = await vscode.window.showWorkspaceFolderPick({ placeHolder: 'Review the design of which folder?' });
      if (!picked) return;
      this.folder = picked;
    }
    if (this.panel) this.panel.reveal();
    else {
      const column = vscode.window.activeTextEditor ? vscode.ViewColumn.Beside : vscode.ViewColumn.Active;
      this.adopt(vscode.window.createWebviewPanel(REVIEW_PANEL_TYPE, 'Design Review', column, this.webviewOptions()));
    }
    await this.refresh();
    if (itemId) this.post({ type: 'focusItem', itemId });
  }

  private webviewOptions(): vscode.WebviewPanelOptions & vscode.WebviewOptions {
    // No local resources: the page is one document with its style and script inline (nonce'd).
    return { enableScripts: true, localResourceRoots: [], enableFindWidget: true, retainContextWhenHidden: false };
  }

  private adopt(panel: vscode.WebviewPanel): void {
    this.panel = panel;
    panel.webview.options = this.webviewOptions();
    this.setHtml();
    const subscriptions = [
      panel.webview.onDidReceiveMessage((raw) => {
        const message = parseWebviewMessage(raw);
        if (message) void this.onMessage(message);
      }),
      panel.onDidChangeViewState((e) => e.webviewPanel.visible && this.schedule(0)),
    ];
    panel.onDidDispose(() => {
      subscriptions.forEach((s) => s.dispose());
      if (this.panel === panel) this.panel = undefined;
    });
  }

  private setHtml(message?: string): void {
    if (!this.panel) return;
    const webview = this.panel.webview;
    webview.html = reviewPageHtml({ nonce: newNonce(), cspSource: webview.cspSource, ...(this.model ? { model: this.model } : {}), ...(message ? { message } : {}) });
  }

  private post(message: ExtensionToWebview): void {
    void this.panel?.webview.postMessage(message);
  }

  private async onMessage(message: WebviewToExtension): Promise<void> {
    switch (message.type) {
      case 'ready':
        if (this.model) this.post({ type: 'render', html: renderChecklist(this.model) });
        return;
      case 'refresh':
        await this.refresh();
        return;
      case 'openPlace':
        await this.openPlace(message.placeId);
        return;
      case 'openReviewFile':
        if (this.model) await vscode.window.showTextDocument(vscode.Uri.parse(this.model.reviewFile.uri), { viewColumn: this.otherColumn() });
        return;
      case 'setAnswer':
        await this.setAnswer({ itemId: message.itemId, answer: { status: message.status, note: message.note, by: message.by } });
        return;
      case 'clearAnswer':
        await this.setAnswer({ itemId: message.itemId, answer: null });
        return;
    }
  }

  /** Opens a place the current model lists (the webview names it by id; it never sends a path). */
  private async openPlace(id: number): Promise<void> {
    const place = this.places.get(id);
    if (!place) return;
    const uri = vscode.Uri.parse(place.uri);
    if (uri.scheme !== 'file') return;
    // Anchor at the end, cursor at the start: the place is selected and its start is what the editor scrolls to.
    const selection = new vscode.Selection(place.endLine - 1, place.endColumn - 1, place.line - 1, place.column - 1);
    await vscode.window.showTextDocument(uri, { selection, viewColumn: this.otherColumn(), preserveFocus: false });
  }

  private otherColumn(): vscode.ViewColumn {
    return this.panel?.viewColumn === vscode.ViewColumn.One ? vscode.ViewColumn.Two : vscode.ViewColumn.One;
  }

  private params(): ReviewParams {
    const folder = this.folder ?? (vscode.window.activeTextEditor && vscode.workspace.getWorkspaceFolder(vscode.window.activeTextEditor.document.uri)) ?? vscode.workspace.workspaceFolders?.[0];
    return folder ? { folderUri: folder.uri.toString() } : {};
  }

  private async setAnswer(change: Omit<SetAnswerParams, keyof ReviewParams>): Promise<void> {
    const client = this.runningClient();
    if (!client) return;
    try {
      this.show(await client.sendRequest<ReviewModel>(SetAnswerRequest.method, { ...this.params(), ...change } satisfies SetAnswerParams));
      this.post({ type: 'notice', level: 'info', message: change.answer ? 'Answer saved.' : 'Answer removed.' });
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.post({ type: 'notice', level: 'error', message });
      void vscode.window.showErrorMessage(message);
    }
  }

  private runningClient(): LanguageClient | undefined {
    const client = this.getClient();
    if (client?.isRunning()) return client;
    const message = 'The Faultline server is not running. Run "Faultline: Restart Server".';
    this.post({ type: 'notice', level: 'error', message });
    this.tree.showMessage(message);
    return undefined;
  }

  /** Waits `delay` ms of quiet, then refreshes, if anyone is looking. */
  schedule(delay = REFRESH_DELAY_MS): void {
    if (!this.panel?.visible && !this.view.visible) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.refresh();
    }, delay);
  }

  /** Fetches the checklist; one request at a time, with one more if something changed meanwhile. */
  async refresh(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        const client = this.runningClient();
        if (!client) break;
        try {
          this.show(await client.sendRequest<ReviewModel>(ReviewRequest.method, this.params()));
        } catch (err) {
          const message = `Faultline could not compute the design review: ${err instanceof Error ? err.message : String(err)}`;
          this.post({ type: 'notice', level: 'error', message });
          this.tree.showMessage(message);
        }
      } while (this.again);
    })();
    try {
      await this.running;
    } finally {
      this.running = undefined;
    }
  }

  private show(model: ReviewModel): void {
    const first = this.model === undefined;
    this.model = model;
    this.places = new Map(model.groups.flatMap((g) => g.items.flatMap((i) => (i.evidence?.facts ?? []).flatMap((f) => f.places.map((p) => [p.id, p] as const)))));
    this.tree.update(model);
    const failing = model.requiredFailing.length;
    this.view.badge = failing > 0 ? { value: failing, tooltip: `${failing} required ${failing === 1 ? 'item' : 'items'} not met` } : undefined;
    this.watchReviewFile(model);
    if (first) this.setHtml();
    else this.post({ type: 'render', html: renderChecklist(model) });
  }

  /** Watches the review file the model names: a pull or an edit by hand updates the panel. */
  private watchReviewFile(model: ReviewModel): void {
    if (this.watched === model.reviewFile.uri) return;
    this.watcher?.dispose();
    this.watched = model.reviewFile.uri;
    const uri = vscode.Uri.parse(model.reviewFile.uri);
    const dir = vscode.Uri.joinPath(uri, '..');
    const name = uri.path.split('/').pop() ?? 'review.json';
    this.watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(dir, name));
    const changed = () => this.schedule(200);
    this.watcher.onDidChange(changed);
    this.watcher.onDidCreate(changed);
    this.watcher.onDidDelete(changed);
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.watcher?.dispose();
    this.panel?.dispose();
    this.disposables.forEach((d) => d.dispose());
  }
}

/**
 * Registers the design review: the commands, the explorer view and the
 * panel. `getClient` returns the current language client (a restart
 * replaces it).
 */
export function registerDesignReview(context: vscode.ExtensionContext, getClient: () => LanguageClient | undefined): void {
  const controller = new ReviewController(getClient);
  context.subscriptions.push(
    controller,
    vscode.commands.registerCommand(ReviewCommands.open, () => controller.open()),
    vscode.commands.registerCommand(ReviewCommands.refresh, () => controller.refresh()),
    vscode.commands.registerCommand(ReviewCommands.openItem, (itemId: unknown) => controller.open(typeof itemId === 'string' ? itemId : undefined)),
  );
}
