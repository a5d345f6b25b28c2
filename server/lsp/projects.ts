import * as fs from 'node:fs';
import * as path from 'node:path';
import { Project, ts, type Node, type SourceFile } from 'ts-morph';
import { isAnalysableFile, listSourceFiles, readTsconfig } from '../../rules/core/project.ts';
import '../../rules/core/path-order.ts';

/** Files above this size are not analysed (generated bundles, fixtures): parsing them would block the editor. */
export const MAX_FILE_BYTES = 1_500_000;
/** A plain-files project (no tsconfig) loads at most this many files from disk up front. */
const MAX_PLAIN_FILES = 5_000;

/** Why a file is not analysed, in words for the log and the status. */
export function unanalysableReason(text: string): string | undefined {
  if (text.length > MAX_FILE_BYTES) return `larger than ${Math.round(MAX_FILE_BYTES / 1000)} kB`;
  if (text.includes('\u0000')) return 'binary content';
  // Minified or generated code: a single line of tens of kilobytes.
  if (text.length > 50_000 && text.split('\n', 20).some((l) => l.length > 20_000)) return 'minified or generated';
  return undefined;
}

/** One ts-morph project: a tsconfig's files, or the plain files of a folder. */
export interface HostedProject {
  key: string;
  tsconfig?: string;
  root: string;
  project: Project;
  /** Files the tsconfig includes (all of them, loaded or not). */
  members: Set<string>;
  /** Files still to be parsed: loading happens a few at a time, in the background. */
  pending: string[];
  /** Replaces files' text (keystrokes, changes on disk). */
  replacer: TextReplacer;
}

/** The parts of ts-morph's compiler factory (internal, but stable across its releases) that replacing a file's text needs. */
interface CompilerFactory {
  getNodeFromCompilerNode(compilerNode: ts.Node, sourceFile: SourceFile): Node;
  hasCompilerNode(compilerNode: ts.Node): boolean;
  createCompilerSourceFileFromText(filePath: string, text: string, scriptKind: ts.ScriptKind | undefined): ts.SourceFile;
  replaceCompilerNode(oldNode: Node | ts.Node, newNode: ts.Node): void;
}

/**
 * Replaces the text of files of one project cheaply.
 *
 * ts-morph's `createSourceFile(…, { overwrite: true })` forgets the old
 * tree's wrapper nodes by walking down from the file through every wrapped
 * node, computing each one's children (tokens and comments included): in a
 * file the rules have looked at, that costs more than parsing it. Here every
 * wrapper ts-morph creates is recorded under the compiler SourceFile it
 * belongs to, so that replacing a file forgets exactly those wrappers, one
 * by one (children before parents, as ts-morph's own forget points do),
 * and then swaps the compiler node under the same SourceFile wrapper, as
 * the overwrite does. Without the internals (another ts-morph), it falls
 * back to the overwrite.
 */
export class TextReplacer {
  private readonly wrappers = new WeakMap<ts.SourceFile, Node[]>();
  private readonly factory: CompilerFactory | undefined;

  constructor(private readonly project: Project) {
    const factory = (project as unknown as { _context?: { compilerFactory?: Partial<CompilerFactory> } })._context?.compilerFactory;
    if (
      factory &&
      typeof factory.getNodeFromCompilerNode === 'function' &&
      typeof factory.hasCompilerNode === 'function' &&
      typeof factory.createCompilerSourceFileFromText === 'function' &&
      typeof factory.replaceCompilerNode === 'function'
    ) {
      this.factory = factory as CompilerFactory;
      const original = factory.getNodeFromCompilerNode;
      const wrappers = this.wrappers;
      factory.getNodeFromCompilerNode = function (this: CompilerFactory, compilerNode: ts.Node, sourceFile: SourceFile): Node {
        if (compilerNode.kind === ts.SyntaxKind.SourceFile || this.hasCompilerNode(compilerNode)) return original.call(this, compilerNode, sourceFile);
        // Creating a wrapper creates its parent's first (recorded first, by this same method).
        const node = original.call(this, compilerNode, sourceFile);
        // The file being wrapped is the node's root (replace forgets a file's wrappers before it swaps the tree).
        const root = sourceFile?.compilerNode ?? rootOf(compilerNode);
        const list = wrappers.get(root);
        if (list) list.push(node);
        else wrappers.set(root, [node]);
        return node;
      };
    }
  }

  /** Puts `text` into the project as the content of `file`; returns its SourceFile (the same wrapper when it existed). */
  replace(file: string, text: string): SourceFile {
    const existing = this.project.getSourceFile(file);
    if (!existing || !this.factory) return this.project.createSourceFile(file, text, { overwrite: existing !== undefined });
    const old = existing.compilerNode;
    if (old.text === text) return existing;
    // Forgetting may wrap a parent again (ts-morph looks parents up by wrapping them): those are forgotten in the next pass.
    for (let pass = 0; pass < 100; pass++) {
      const list = this.wrappers.get(old);
      if (!list) break;
      this.wrappers.delete(old);
      for (let i = list.length - 1; i >= 0; i--) {
        const node = list[i]! as unknown as { wasForgotten(): boolean; _forgetOnlyThis(): void };
        if (!node.wasForgotten()) node._forgetOnlyThis();
      }
    }
    const next = this.reparse(old, text) ?? this.factory.createCompilerSourceFileFromText(existing.getFilePath(), text, undefined);
    this.factory.replaceCompilerNode(existing, next);
    return existing;
  }

  private version = 0;

  /**
   * Parses only what changed, as TypeScript's language service does on each
   * keystroke: the nodes outside the edited span are reused (moved, not made
   * again), so a keystroke in a big file costs a fraction of its parse and
   * leaves little for the garbage collector. The old tree is consumed: its
   * wrappers must be forgotten first. Undefined (parse it whole) when the
   * compiler refuses.
   */
  private reparse(old: ts.SourceFile, text: string): ts.SourceFile | undefined {
    const before = old.text;
    // The one span that changed: everything before and after it is the same text.
    let start = 0;
    const shorter = Math.min(before.length, text.length);
    while (start < shorter && before.charCodeAt(start) === text.charCodeAt(start)) start++;
    let oldEnd = before.length;
    let newEnd = text.length;
    while (oldEnd > start && newEnd > start && before.charCodeAt(oldEnd - 1) === text.charCodeAt(newEnd - 1)) {
      oldEnd--;
      newEnd--;
    }
    try {
      const range = ts.createTextChangeRange(ts.createTextSpan(start, oldEnd - start), newEnd - start);
      return ts.updateLanguageServiceSourceFile(old, ts.ScriptSnapshot.fromString(text), `faultline-${++this.version}`, range);
    } catch {
      return undefined;
    }
  }
}

function rootOf(node: ts.Node): ts.SourceFile | undefined {
  let cur: ts.Node | undefined = node;
  while (cur && cur.kind !== ts.SyntaxKind.SourceFile) cur = cur.parent;
  return cur as ts.SourceFile | undefined;
}

/**
 * Keeps one ts-morph project per tsconfig (many in a monorepo), created on
 * first use and updated in memory from open documents and file events.
 * Files that belong to no tsconfig go to a plain project per workspace folder.
 */
export class ProjectHost {
  private readonly projects = new Map<string, HostedProject>();
  /** tsconfig that owns a file, cached (undefined: none). */
  private readonly owner = new Map<string, string | undefined>();

  constructor(
    private folders: string[],
    private readonly log: (message: string) => void,
  ) {}

  setFolders(folders: string[]): void {
    this.folders = folders;
  }

  all(): HostedProject[] {
    return [...this.projects.values()];
  }

  /** The project a file belongs to, loading it when needed. */
  projectFor(file: string): HostedProject {
    const tsconfig = this.tsconfigFor(file);
    if (tsconfig) {
      const hosted = this.projects.get(tsconfig) ?? this.loadTsconfig(tsconfig);
      if (hosted && hosted.members.has(file)) return hosted;
    }
    return this.plainProjectFor(file);
  }

  private folderOf(file: string): string {
    const match = this.folders.filter((f) => file === f || file.startsWith(f + path.sep)).sort((a, b) => b.length - a.length)[0];
    return match ?? path.dirname(file);
  }

  /** The nearest tsconfig.json at or above the file, not above its workspace folder. */
  tsconfigFor(file: string): string | undefined {
    if (this.owner.has(file)) return this.owner.get(file);
    const stop = this.folderOf(file);
    let found: string | undefined;
    for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
      const candidate = path.join(dir, 'tsconfig.json');
      if (fs.existsSync(candidate)) {
        found = candidate;
        break;
      }
      if (dir === stop || path.dirname(dir) === dir || !dir.startsWith(stop)) break;
    }
    this.owner.set(file, found);
    return found;
  }

  private loadTsconfig(tsconfig: string): HostedProject | undefined {
    let parsed: ts.ParsedCommandLine;
    try {
      parsed = readTsconfig(tsconfig);
    } catch (err) {
      // A broken tsconfig: its files are analysed as plain files until it is mended.
      this.log(`Faultline: ${(err as Error).message}; analysing its files without it.`);
      return undefined;
    }
    const project = new Project({
      compilerOptions: { ...parsed.options, allowJs: true, noEmit: true },
      // We read files ourselves and hand ts-morph their text (the editor's, or the disk's).
      useInMemoryFileSystem: true,
      skipFileDependencyResolution: true,
      skipLoadingLibFiles: true,
    });
    const members = parsed.fileNames.map((f) => path.resolve(f)).filter(isAnalysableFile);
    const hosted: HostedProject = { key: tsconfig, tsconfig, root: path.dirname(tsconfig), project, members: new Set(members), pending: members, replacer: new TextReplacer(project) };
    this.projects.set(tsconfig, hosted);
    this.log(`Faultline: found ${tsconfig} (${members.length} files).`);
    return hosted;
  }

  private plainProjectFor(file: string): HostedProject {
    const folder = this.folderOf(file);
    const key = `plain:${folder}`;
    let hosted = this.projects.get(key);
    if (!hosted) {
      const project = new Project({
        compilerOptions: { allowJs: true, noEmit: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext },
        useInMemoryFileSystem: true,
        skipFileDependencyResolution: true,
        skipLoadingLibFiles: true,
      });
      // Only files no tsconfig claims belong here.
      const files = this.folders.includes(folder) ? listSourceFiles(folder).filter((f) => !this.tsconfigFor(f)).slice(0, MAX_PLAIN_FILES) : [];
      hosted = { key, root: folder, project, members: new Set(files), pending: files, replacer: new TextReplacer(project) };
      this.projects.set(key, hosted);
    }
    hosted.members.add(file);
    return hosted;
  }

  private addFromDisk(hosted: HostedProject, file: string): void {
    try {
      const text = fs.readFileSync(file, 'utf8');
      if (unanalysableReason(text)) return;
      hosted.replacer.replace(file, text);
    } catch (err) {
      this.log(`Faultline: cannot read ${file}: ${(err as Error).message}`);
    }
  }

  /**
   * Puts the editor's text of a file into its project (parsing it anew) and
   * returns the source file, or undefined when it should not be analysed.
   */
  update(file: string, text: string): { hosted: HostedProject; sf: SourceFile } | { skipped: string } {
    const reason = unanalysableReason(text);
    if (reason) return { skipped: reason };
    const hosted = this.projectFor(file);
    const existing = hosted.project.getSourceFile(file);
    if (existing && existing.getFullText() === text) return { hosted, sf: existing };
    return { hosted, sf: hosted.replacer.replace(file, text) };
  }

  /** A file changed, appeared or vanished on disk (and is not open in the editor). */
  fileChangedOnDisk(file: string, kind: 'created' | 'changed' | 'deleted'): void {
    if (path.basename(file) === 'tsconfig.json') {
      // The set of files and options changes: drop the project; it reloads on next use.
      this.projects.delete(file);
      this.owner.clear();
      return;
    }
    if (!isAnalysableFile(file)) return;
    if (kind === 'created') this.owner.delete(file);
    for (const hosted of this.projects.values()) {
      const sf = hosted.project.getSourceFile(file);
      if (kind === 'deleted') {
        if (sf) hosted.project.removeSourceFile(sf);
      } else if (sf) {
        this.addFromDisk(hosted, file);
      }
    }
    if (kind === 'created') {
      const hosted = this.projectFor(file);
      if (!hosted.project.getSourceFile(file)) this.addFromDisk(hosted, file);
    }
  }

  /** Reverts a closed document to what is on disk. */
  revertToDisk(file: string): void {
    for (const hosted of this.projects.values()) {
      if (!hosted.project.getSourceFile(file)) continue;
      if (fs.existsSync(file)) this.addFromDisk(hosted, file);
      else hosted.project.removeSourceFile(hosted.project.getSourceFileOrThrow(file));
    }
  }

  /** Every analysable file of the workspace folders; registers their projects (files load with `loadSome`). */
  workspaceFiles(): string[] {
    const out: string[] = [];
    for (const folder of this.folders) {
      for (const file of listSourceFiles(folder)) {
        this.projectFor(file);
        out.push(file);
      }
    }
    return out;
  }

  /** Parses up to `max` files still waiting to be loaded; returns how many are left. */
  loadSome(max = 40): number {
    let budget = max;
    let left = 0;
    for (const hosted of this.projects.values()) {
      while (budget > 0 && hosted.pending.length > 0) {
        const file = hosted.pending.shift()!;
        if (!hosted.project.getSourceFile(file)) this.addFromDisk(hosted, file);
        budget--;
      }
      left += hosted.pending.length;
    }
    return left;
  }

  reset(): void {
    this.projects.clear();
    this.owner.clear();
  }
}
