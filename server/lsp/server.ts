import * as fs from 'node:fs';
import * as path from 'node:path';
import { TextDocument } from 'vscode-languageserver-textdocument';
import {
  CodeActionKind,
  CodeActionTriggerKind,
  DidChangeConfigurationNotification,
  DidChangeWatchedFilesNotification,
  FileChangeType,
  TextDocumentSyncKind,
  TextDocuments,
  type CodeAction,
  type CodeActionParams,
  type Connection,
  type Diagnostic,
  type InitializeParams,
  type InitializeResult,
} from 'vscode-languageserver/node';
import { analyzeProject } from '../../rules/engine.ts';
import { ModelCache, ProgramModel } from '../../rules/core/program.ts';
import { Relevance } from '../../rules/core/scan.ts';
import { allRules } from '../../rules/index.ts';
import type { AnalysisOptions, Finding } from '../../rules/types.ts';
import { CONFIG_FILE_NAME, ConfigError, parseConfig, parseSeverity } from '../config.ts';
import { DEFAULT_SETTINGS, FixAllKind, ServerCommands, StatusNotification, type FaultlineSettings, type StatusParams } from '../../protocol/messages.ts';
import { diagnosticKey, fixAllAction, pathToUri, quickFixes, toDiagnostic, uriToPath, type PositionAt } from './convert.ts';
import { ProjectHost, type HostedProject } from './projects.ts';
import { registerReviewHandlers } from './review.ts';
import { Scheduler } from './scheduler.ts';

/** What was last published for a document: the findings behind each diagnostic, for code actions. */
interface Published {
  version: number | null;
  text: string;
  findings: Finding[];
  byKey: Map<string, Finding>;
}

interface FolderConfig {
  options?: Omit<AnalysisOptions, never>;
  ignore: string[];
  error?: { file: string; message: string };
}

/**
 * The language server: one connection, one project host, one scheduler.
 * Handlers stay thin; analysis is the engine's (rules/), text edits are
 * the fixes' (server/fixes.ts), conversion to LSP is convert.ts's.
 */
export function startServer(connection: Connection): void {
  const documents = new TextDocuments(TextDocument);
  const log = (m: string): void => connection.console.log(m);
  const host = new ProjectHost([], log);
  const caches = new Map<string, ModelCache>();
  const published = new Map<string, Published>();
  const folderConfigs = new Map<string, FolderConfig>();
  let settings: FaultlineSettings = { ...DEFAULT_SETTINGS };
  let canConfigure = false;
  let canWatch = false;
  let canFolders = false;
  let folders: string[] = [];

  const status = (params: Omit<StatusParams, 'findings'>): void => {
    let findings = 0;
    for (const p of published.values()) findings += p.findings.filter((f) => !f.suppression).length;
    void connection.sendNotification(StatusNotification, { ...params, findings } satisfies StatusParams);
  };

  connection.onInitialize((params: InitializeParams): InitializeResult => {
    folders = (params.workspaceFolders ?? []).map((f) => uriToPath(f.uri)).filter((p): p is string => p !== undefined);
    if (folders.length === 0 && params.rootUri) {
      const root = uriToPath(params.rootUri);
      if (root) folders = [root];
    }
    host.setFolders(folders);
    canConfigure = params.capabilities.workspace?.configuration === true;
    canWatch = params.capabilities.workspace?.didChangeWatchedFiles?.dynamicRegistration === true;
    canFolders = params.capabilities.workspace?.workspaceFolders === true;
    const init = params.initializationOptions as Partial<FaultlineSettings> | undefined;
    if (init) settings = { ...settings, ...init };
    return {
      capabilities: {
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental, save: { includeText: false } },
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix, FixAllKind] },
        executeCommandProvider: { commands: [ServerCommands.analyzeWorkspace] },
        workspace: { workspaceFolders: { supported: true, changeNotifications: true } },
      },
      serverInfo: { name: 'faultline' },
    };
  });

  connection.onInitialized(async () => {
    if (canConfigure) void connection.client.register(DidChangeConfigurationNotification.type, { section: 'faultline' });
    if (canWatch) {
      void connection.client.register(DidChangeWatchedFilesNotification.type, {
        watchers: [{ globPattern: '**/*.{ts,tsx,mts,cts,js,jsx,mjs,cjs}' }, { globPattern: '**/tsconfig.json' }, { globPattern: `**/${CONFIG_FILE_NAME}` }],
      });
    }
    if (canFolders) {
      connection.workspace.onDidChangeWorkspaceFolders((e) => {
        folders = folders.filter((f) => !e.removed.some((r) => uriToPath(r.uri) === f));
        for (const a of e.added) {
          const p = uriToPath(a.uri);
          if (p) folders.push(p);
        }
        host.setFolders(folders);
        host.reset();
        scheduler.scanWorkspace();
      });
    }
    await refreshSettings();
    scheduler.scanWorkspace();
  });

  async function refreshSettings(): Promise<void> {
    if (canConfigure) {
      try {
        const value = (await connection.workspace.getConfiguration('faultline')) as Partial<FaultlineSettings> | null;
        settings = { ...DEFAULT_SETTINGS, ...(value ?? {}) };
      } catch (err) {
        log(`Faultline: cannot read settings: ${(err as Error).message}`);
      }
    }
    folderConfigs.clear();
  }

  /** faultline.config.json of the folder that holds a file; a broken one is reported on itself and defaults apply. */
  function folderConfig(root: string): FolderConfig {
    const cached = folderConfigs.get(root);
    if (cached) return cached;
    let result: FolderConfig = { ignore: [] };
    let dir = root;
    let file: string | undefined;
    for (;;) {
      const candidate = path.join(dir, CONFIG_FILE_NAME);
      if (fs.existsSync(candidate)) {
        file = candidate;
        break;
      }
      const parent = path.dirname(dir);
      if (parent === dir || !folders.some((f) => parent === f || parent.startsWith(f + path.sep))) break;
      dir = parent;
    }
    if (file) {
      const open = documents.get(pathToUri(file));
      try {
        const parsed = parseConfig(open?.getText() ?? fs.readFileSync(file, 'utf8'), CONFIG_FILE_NAME, allRules.map((r) => r.id));
        result = { options: parsed.options, ignore: parsed.ignore };
        void connection.sendDiagnostics({ uri: pathToUri(file), diagnostics: [] });
      } catch (err) {
        const message = err instanceof ConfigError ? err.message : `cannot read ${CONFIG_FILE_NAME}: ${(err as Error).message}`;
        result = { ignore: [], error: { file, message } };
        publishConfigError(file, message);
      }
    }
    folderConfigs.set(root, result);
    return result;
  }

  function publishConfigError(file: string, message: string): void {
    const m = /line (\d+), column (\d+)/.exec(message);
    const line = m ? Number(m[1]) - 1 : 0;
    const character = m ? Number(m[2]) - 1 : 0;
    const diagnostic: Diagnostic = {
      range: { start: { line, character }, end: { line, character: character + 1 } },
      severity: 1,
      source: 'faultline',
      message: `${message}. Faultline goes on with its defaults until this is fixed.`,
    };
    void connection.sendDiagnostics({ uri: pathToUri(file), diagnostics: [diagnostic] });
  }

  /** Settings of the editor, with the project's faultline.config.json winning over them. */
  function optionsFor(hosted: HostedProject): AnalysisOptions {
    const rules: AnalysisOptions['rules'] = {};
    for (const [id, value] of Object.entries(settings.rules ?? {})) {
      const sev = parseSeverity(value);
      if (sev) rules[id] = sev;
    }
    const base: AnalysisOptions = { rules, defaultTimeoutMs: settings.defaultTimeoutMs, customClients: [], timeoutWrappers: [] };
    const cfg = settings.restricted ? { ignore: [] } : folderConfig(hosted.root);
    if (!cfg.options) return base;
    return {
      rules: { ...base.rules, ...cfg.options.rules },
      defaultTimeoutMs: cfg.options.defaultTimeoutMs !== DEFAULT_SETTINGS.defaultTimeoutMs ? cfg.options.defaultTimeoutMs : base.defaultTimeoutMs,
      customClients: cfg.options.customClients,
      timeoutWrappers: cfg.options.timeoutWrappers,
    };
  }

  function cacheFor(hosted: HostedProject): ModelCache {
    let cache = caches.get(hosted.key);
    if (!cache) caches.set(hosted.key, (cache = new ModelCache()));
    return cache;
  }

  /** Analyses one file (open or on disk) and publishes its diagnostics. Returns false when it was skipped. */
  function analyse(file: string, uri: string, text: string, version: number | null): void {
    if (!settings.enable) {
      publish(uri, { version, text, findings: [], byKey: new Map() });
      return;
    }
    const updated = host.update(file, text);
    if ('skipped' in updated) {
      log(`Faultline: not analysing ${file}: ${updated.skipped}.`);
      publish(uri, { version, text, findings: [], byKey: new Map() });
      return;
    }
    const { hosted, sf } = updated;
    const options = optionsFor(hosted);
    const model = new ProgramModel(hosted.project, options, cacheFor(hosted));
    const result = analyzeProject(hosted.project, [sf], options, hosted.root, allRules, model);
    for (const e of result.internalErrors) log(`Faultline: rule ${e.ruleId} failed on ${file}: ${e.message}`);
    const byKey = new Map<string, Finding>();
    const findings = result.findings.filter((f) => f.location.file === file);
    publish(uri, { version, text, findings, byKey });
    if (edited.delete(uri)) dependents.add([file]);
  }

  /**
   * Files whose findings may depend on one that changed (a client or wrapper
   * it exports, a re-export): the files that import it, directly or through
   * a re-exporting index. They are analysed again once typing pauses: open
   * ones first, closed ones in the background.
   */
  const DEPENDENTS_DELAY_MS = 300;
  const edited = new Set<string>();
  const dependents = {
    waiting: new Set<string>(),
    timer: undefined as NodeJS.Timeout | undefined,
    add(files: string[]): void {
      for (const f of files) this.waiting.add(f);
      if (this.timer) clearTimeout(this.timer);
      this.timer = setTimeout(() => {
        this.timer = undefined;
        const changed = [...this.waiting];
        this.waiting.clear();
        try {
          scheduleDependentsOf(changed);
        } catch (err) {
          log(`Faultline: ${(err as Error).stack ?? String(err)}`);
        }
      }, DEPENDENTS_DELAY_MS);
      this.timer.unref();
    },
  };

  function scheduleDependentsOf(changed: string[]): void {
    const closed = new Set<string>();
    for (const file of changed) {
      const hosted = host.projectFor(file);
      const sf = hosted.project.getSourceFile(file);
      if (!sf) continue;
      const model = new ProgramModel(hosted.project, optionsFor(hosted), cacheFor(hosted));
      // Every import counts here, types included: a handler's calls are followed through a declared class.
      const relevance = new Relevance(model, { module: () => false, words: [] }, 'dependents');
      for (const importer of relevance.importersOf(sf)) {
        const dependent = importer.getFilePath();
        const uri = pathToUri(dependent);
        if (documents.get(uri)) scheduler.scheduleOpen(uri);
        else closed.add(dependent);
      }
    }
    if (closed.size > 0) scheduler.scheduleBackground([...closed]);
  }

  /** Analyses closed files in one pass per project (the background scan): per-program work is done once, not per file. */
  function analyseBatch(files: string[]): void {
    if (!settings.enable) return;
    const groups = new Map<HostedProject, { file: string; text: string; sf: import('ts-morph').SourceFile }[]>();
    for (const file of files) {
      if (documents.get(pathToUri(file))) continue;
      let text: string;
      try {
        text = fs.readFileSync(file, 'utf8');
      } catch (err) {
        log(`Faultline: cannot read ${file}: ${(err as Error).message}`);
        continue;
      }
      const updated = host.update(file, text);
      if ('skipped' in updated) continue;
      const list = groups.get(updated.hosted) ?? [];
      list.push({ file, text, sf: updated.sf });
      groups.set(updated.hosted, list);
    }
    for (const [hosted, list] of groups) {
      const options = optionsFor(hosted);
      const model = new ProgramModel(hosted.project, options, cacheFor(hosted));
      const result = analyzeProject(hosted.project, list.map((x) => x.sf), options, hosted.root, allRules, model);
      for (const e of result.internalErrors) log(`Faultline: rule ${e.ruleId} failed: ${e.message}`);
      const byFile = new Map<string, Finding[]>();
      for (const f of result.findings) byFile.set(f.location.file, [...(byFile.get(f.location.file) ?? []), f]);
      for (const x of list) publish(pathToUri(x.file), { version: null, text: x.text, findings: byFile.get(x.file) ?? [], byKey: new Map() });
    }
  }

  function publish(uri: string, p: Published): void {
    const diagnostics = p.findings.filter((f) => !f.suppression).map((f) => {
      const d = toDiagnostic(f, uri);
      p.byKey.set(diagnosticKey(d), f);
      return d;
    });
    published.set(uri, p);
    void connection.sendDiagnostics({ uri, ...(p.version !== null ? { version: p.version } : {}), diagnostics });
  }

  const scheduler = new Scheduler({
    analyseOpen: (uri) => {
      const doc = documents.get(uri);
      const file = uriToPath(uri);
      if (!doc || !file) return;
      analyse(file, uri, doc.getText(), doc.version);
    },
    analyseBackground: (files) => analyseBatch(files),
    workspaceFiles: () => (settings.enable && !settings.restricted ? host.workspaceFiles() : []),
    loadSome: () => {
      const before = host.all().reduce((n, h) => n + h.pending.length, 0);
      const left = host.loadSome();
      // Files arrived: an import that did not resolve before may resolve now.
      if (left !== before) for (const c of caches.values()) c.filesChanged();
      return left;
    },
    openDocuments: () => documents.all().map((d) => d.uri),
    status,
    log,
  });

  documents.onDidChangeContent((e) => {
    if (e.document.uri.endsWith(CONFIG_FILE_NAME)) {
      folderConfigs.clear();
      scheduler.reanalyseOpen();
      return;
    }
    edited.add(e.document.uri);
    scheduler.scheduleOpen(e.document.uri);
  });
  documents.onDidClose((e) => {
    const file = uriToPath(e.document.uri);
    scheduler.cancel(e.document.uri);
    if (!file || e.document.uri.endsWith(CONFIG_FILE_NAME)) return;
    host.revertToDisk(file);
    // A closed file keeps the findings of its saved text (the workspace view), at background priority.
    scheduler.scheduleBackground([file]);
  });

  connection.onDidChangeConfiguration(async () => {
    await refreshSettings();
    scheduler.reanalyseOpen();
    scheduler.scanWorkspace();
  });

  connection.onDidChangeWatchedFiles((params) => {
    const changed: string[] = [];
    for (const change of params.changes) {
      const file = uriToPath(change.uri);
      if (!file) continue;
      if (path.basename(file) === CONFIG_FILE_NAME) {
        folderConfigs.clear();
        continue;
      }
      if (documents.get(change.uri)) continue; // The editor's text wins over the disk's.
      const kind = change.type === FileChangeType.Created ? 'created' : change.type === FileChangeType.Deleted ? 'deleted' : 'changed';
      host.fileChangedOnDisk(file, kind);
      if (kind !== 'changed') for (const c of caches.values()) c.filesChanged();
      if (kind === 'deleted') {
        published.delete(change.uri);
        void connection.sendDiagnostics({ uri: change.uri, diagnostics: [] });
      } else changed.push(file);
    }
    scheduler.reanalyseOpen();
    scheduler.scheduleBackground(changed);
    if (changed.length > 0) dependents.add(changed);
  });

  connection.onExecuteCommand(async (params) => {
    if (params.command === ServerCommands.analyzeWorkspace) {
      host.reset();
      caches.clear();
      folderConfigs.clear();
      scheduler.reanalyseOpen();
      scheduler.scanWorkspace();
    }
  });

  connection.onCodeAction((params: CodeActionParams): CodeAction[] => {
    const p = published.get(params.textDocument.uri);
    const doc = documents.get(params.textDocument.uri);
    // Edits are only valid for the text they were computed on (a file analysed on disk and
    // just opened has the same text under a new version: its edits still apply). A request
    // can also overtake the client's didOpen of a file the background scan analysed: the
    // editor then shows that file's disk text, which is what the findings were computed on.
    if (!p || (doc && p.version !== doc.version && p.text !== doc.getText())) return [];
    const positionAt = positionFinder(params.textDocument.uri, p.text);
    const versions = (uri: string): number | null => documents.get(uri)?.version ?? null;
    const only = params.context.only;
    const actions: CodeAction[] = [];
    const wantsQuickFix = !only || only.some((k) => k === CodeActionKind.QuickFix || k.startsWith(`${CodeActionKind.QuickFix}.`));
    const wantsFixAll = !only || only.some((k) => FixAllKind.startsWith(k));
    if (wantsQuickFix) {
      for (const d of params.context.diagnostics) {
        if (d.source !== 'faultline') continue;
        const f = p.byKey.get(diagnosticKey(d));
        if (f) actions.push(...quickFixes(f, d, p.text, positionAt, versions));
      }
    }
    if (wantsFixAll) {
      // On save (automatic) only fixes that keep behaviour apply, unless the user asked for more.
      const automatic = params.context.triggerKind === CodeActionTriggerKind.Automatic;
      const unsafe = !automatic || settings.fixAllUnsafeOnSave;
      const all = fixAllAction(p.findings, unsafe, positionAt, versions);
      if (all && (only || p.findings.some((f) => f.fixes.length > 0))) actions.push(all);
    }
    return actions;
  });

  /** Positions in the analysed text of the document, and in the disk text of any other file a fix touches. */
  function positionFinder(uri: string, text: string): PositionAt {
    const own = TextDocument.create(uri, 'typescript', 0, text);
    const others = new Map<string, TextDocument>();
    return (file, offset) => {
      if (pathToUri(file) === uri) return own.positionAt(offset);
      let doc = others.get(file);
      if (!doc) {
        const open = documents.get(pathToUri(file));
        doc = open ?? TextDocument.create(pathToUri(file), 'typescript', 0, fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '');
        others.set(file, doc);
      }
      return doc.positionAt(offset);
    };
  }

  // No exception ends the server: log it and go on.
  process.on('uncaughtException', (err) => log(`Faultline: unexpected error: ${err.stack ?? err.message}`));
  process.on('unhandledRejection', (err) => log(`Faultline: unexpected rejection: ${String(err)}`));

  registerReviewHandlers(connection, { host, folders: () => folders, optionsFor, restricted: () => settings.restricted, log });
  documents.listen(connection);
  connection.listen();
}
