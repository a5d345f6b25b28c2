import * as fs from 'node:fs';
import * as path from 'node:path';
import { Project, ts } from 'ts-morph';
import picomatch from 'picomatch';
import './path-order.ts';
import { selectFilesToParse, specifierResolver, type Prefilter } from './prefilter.ts';
import type { UnparsedFiles } from './program.ts';

/** Extensions Faultline analyses. Declaration files hold no calls worth reporting. */
const SOURCE_EXTENSIONS = ['.ts', '.tsx', '.mts', '.cts', '.js', '.jsx', '.mjs', '.cjs'];
/** Folders never walked when there is no tsconfig to say what belongs to the project. */
const SKIPPED_DIRS = new Set(['node_modules', '.git', 'dist', 'build', 'out', 'coverage', '.next', '.turbo']);

export function isAnalysableFile(file: string): boolean {
  return SOURCE_EXTENSIONS.some((ext) => file.endsWith(ext)) && !/\.d\.[cm]?ts$/.test(file);
}

/** One analysed unit: a tsconfig (or a set of plain files) and the files to report on. */
export interface LoadedProject {
  /** The tsconfig, or undefined for plain files. */
  tsconfig?: string;
  project: Project;
  /** Absolute paths of the files to report on (within the requested paths, not ignored). */
  files: string[];
  /** Files of the project read but not parsed, because the enabled rules' prefilter says they cannot matter. */
  skipped: number;
  /** Files to report on that the prefilter left unparsed: checked, with nothing to report. */
  skippedFiles: string[];
  /** Milliseconds spent reading the files and choosing which to parse. */
  selectMs: number;
  /**
   * The files read but not parsed, which the analysis parses when it first
   * resolves an import to one (with a prefilter: what the selected files
   * import is not parsed up front).
   */
  unparsed?: UnparsedFiles;
}

export interface LoadRequest {
  /** Files or folders, absolute or relative to `cwd`. */
  paths: string[];
  cwd: string;
  /** tsconfig files to use instead of discovering them. */
  tsconfigs?: string[];
  /** Glob patterns (relative to `cwd`) of files not to analyse. */
  ignore?: string[];
  /** When set, only files these prefilters select (by their text) are parsed. */
  prefilter?: readonly Prefilter[];
}

export class ProjectLoadError extends Error {}

/** Compiler options that keep loading cheap: parse the project's files, nothing else up front. */
function cheapOptions(): ts.CompilerOptions {
  return { allowJs: true, noEmit: true, skipLibCheck: true };
}

/**
 * Finds the tsconfig files for the requested paths: the one inside a folder,
 * the nearest one above a file or folder, or every one below a folder that
 * has none of its own (a monorepo).
 */
export function discoverTsconfigs(paths: string[]): string[] {
  const found = new Set<string>();
  for (const p of paths) {
    const stat = fs.statSync(p);
    const dir = stat.isDirectory() ? p : path.dirname(p);
    const own = path.join(dir, 'tsconfig.json');
    if (stat.isDirectory() && fs.existsSync(own)) {
      found.add(own);
      continue;
    }
    if (stat.isDirectory()) {
      const nested = findNestedTsconfigs(dir);
      if (nested.length > 0) {
        nested.forEach((t) => found.add(t));
        continue;
      }
    }
    const above = findUp(dir, 'tsconfig.json');
    if (above) found.add(above);
  }
  return [...found];
}

function findUp(start: string, name: string): string | undefined {
  let dir = start;
  for (;;) {
    const candidate = path.join(dir, name);
    if (fs.existsSync(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

function findNestedTsconfigs(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string, depth: number): void => {
    if (depth > 6) return;
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory() && !SKIPPED_DIRS.has(entry.name) && !entry.name.startsWith('.')) {
        const child = path.join(dir, entry.name);
        const tsconfig = path.join(child, 'tsconfig.json');
        if (fs.existsSync(tsconfig)) out.push(tsconfig);
        else walk(child, depth + 1);
      }
    }
  };
  walk(root, 0);
  return out;
}

/** All analysable files below a folder (or the file itself), skipping dependency and build folders. */
export function listSourceFiles(p: string): string[] {
  const stat = fs.statSync(p);
  if (stat.isFile()) return isAnalysableFile(p) ? [p] : [];
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const child = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!SKIPPED_DIRS.has(entry.name)) walk(child);
      } else if (entry.isFile() && isAnalysableFile(child)) {
        out.push(child);
      }
    }
  };
  walk(p);
  return out;
}

function within(file: string, roots: string[]): boolean {
  return roots.some((root) => file === root || file.startsWith(root.endsWith(path.sep) ? root : root + path.sep));
}

/**
 * Loads one ts-morph project per tsconfig (or one of plain files when there
 * is no tsconfig). Only the project's own files are parsed: dependencies'
 * declaration files are not resolved up front (`skipFileDependencyResolution`),
 * so a bare clone without `node_modules` costs the same as one with it.
 */
export function loadProjects(req: LoadRequest): LoadedProject[] {
  const roots = req.paths.map((p) => path.resolve(req.cwd, p));
  for (const root of roots) {
    if (!fs.existsSync(root)) throw new ProjectLoadError(`no such file or folder: ${root}`);
  }
  const ignoreMatcher = req.ignore && req.ignore.length > 0 ? picomatch(req.ignore, { dot: true }) : undefined;
  const isIgnored = (file: string): boolean => ignoreMatcher !== undefined && ignoreMatcher(path.relative(req.cwd, file).split(path.sep).join('/'));
  const keep = (file: string): boolean =>
    isAnalysableFile(file) && within(file, roots) && !isIgnored(file);

  const tsconfigs = req.tsconfigs?.length ? req.tsconfigs.map((t) => path.resolve(req.cwd, t)) : discoverTsconfigs(roots);
  const loaded: LoadedProject[] = [];
  const claimed = new Set<string>();
  for (const tsconfig of tsconfigs) {
    if (!fs.existsSync(tsconfig)) throw new ProjectLoadError(`no such tsconfig: ${tsconfig}`);
    const parsed = readTsconfig(tsconfig);
    const project = newProject({ ...parsed.options, ...cheapOptions() });
    const all = parsed.fileNames.map((f) => (path.sep === "/" && path.isAbsolute(f) ? f : path.resolve(f))).filter((f) => isAnalysableFile(f) && !isIgnored(f));
    const selectStart = performance.now();
    const selection = req.prefilter ? selectFilesToParse(all, req.prefilter, specifierResolver(parsed.options, path.dirname(tsconfig), new Set(all)), false) : undefined;
    const selectMs = performance.now() - selectStart;
    const add = (file: string): void => addFile(project, file, selection?.texts.get(file));
    const files: string[] = [];
    const skippedFiles: string[] = [];
    for (const file of all.filter(keep)) {
      if (claimed.has(file)) continue;
      claimed.add(file);
      if (selection && !selection.selected.has(file)) {
        skippedFiles.push(file);
        continue;
      }
      add(file);
      files.push(file);
    }
    // Files outside the requested paths still matter for cross-file facts
    // (an instance created elsewhere, `axios.defaults` set in the entry point).
    for (const file of all) {
      if (!claimed.has(file) && (!selection || selection.selected.has(file))) add(file);
    }
    loaded.push({ tsconfig, project, files, skipped: selection ? all.length - selection.selected.size : 0, skippedFiles, selectMs, ...(selection ? { unparsed: unparsedFiles(project, selection) } : {}) });
  }

  // Requested files that no tsconfig includes are analysed as plain files.
  const rest = roots.flatMap(listSourceFiles).filter((f) => keep(f) && !claimed.has(f));
  if (rest.length > 0) {
    const project = newProject({ ...cheapOptions(), target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext });
    const selectStart = performance.now();
    const selection = req.prefilter ? selectFilesToParse(rest, req.prefilter, undefined, false) : undefined;
    const selectMs = performance.now() - selectStart;
    const chosen = selection ? rest.filter((f) => selection.selected.has(f)) : rest;
    for (const file of chosen) addFile(project, file, selection?.texts.get(file));
    loaded.push({
      project,
      files: chosen,
      skipped: rest.length - chosen.length,
      selectMs,
      skippedFiles: selection ? rest.filter((f) => !selection.selected.has(f)) : [],
      ...(selection ? { unparsed: unparsedFiles(project, selection) } : {}),
    });
  }
  return loaded;
}

/** The files a selection read but left out, parsed into the project on first use. */
function unparsedFiles(project: Project, selection: { selected: Set<string>; texts: Map<string, string> }): UnparsedFiles {
  // Keyed as ts-morph writes paths (with `/`), which is how the model asks.
  const texts = new Map<string, { file: string; text: string }>();
  for (const [file, text] of selection.texts) if (!selection.selected.has(file)) texts.set(file.replace(/\\/g, '/'), { file, text });
  return {
    has: (file) => texts.has(file),
    text: (file) => texts.get(file)?.text,
    parse: (file) => {
      const entry = texts.get(file);
      if (!entry) return undefined;
      texts.delete(file);
      return project.createSourceFile(entry.file, entry.text);
    },
  };
}

/**
 * A project whose files we read ourselves and hand over as text: ts-morph's
 * own file system path reads and parses a file twice when asked to create it
 * over an existing one, and probes the disk for every file.
 */
function newProject(compilerOptions: ts.CompilerOptions): Project {
  return new Project({ compilerOptions, useInMemoryFileSystem: true, skipLoadingLibFiles: true, skipFileDependencyResolution: true });
}

/** Adds a file from its text (read now when not given). Unreadable files are left out; the caller's file list says which were analysed. */
function addFile(project: Project, file: string, text?: string): void {
  let content = text;
  if (content === undefined) {
    try {
      content = fs.readFileSync(file, 'utf8');
    } catch {
      return;
    }
  }
  project.createSourceFile(file, content, { overwrite: project.getSourceFile(file) !== undefined });
}

/** Reads a tsconfig with TypeScript's own parser (extends, include/exclude), with a clear error when broken. */
export function readTsconfig(tsconfig: string): ts.ParsedCommandLine {
  const read = ts.readConfigFile(tsconfig, ts.sys.readFile);
  if (read.error) {
    throw new ProjectLoadError(`cannot read ${tsconfig}: ${ts.flattenDiagnosticMessageText(read.error.messageText, '\n')}`);
  }
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, path.dirname(tsconfig), undefined, tsconfig);
  // "No inputs were found" (18003) is not fatal: the project simply has no files.
  const fatal = parsed.errors.filter((d) => d.code !== 18003 && d.category === ts.DiagnosticCategory.Error);
  if (fatal.length > 0) {
    throw new ProjectLoadError(`invalid ${tsconfig}: ${ts.flattenDiagnosticMessageText(fatal[0]!.messageText, '\n')}`);
  }
  // A solution-style tsconfig lists no files of its own: follow its references.
  if (parsed.fileNames.length === 0 && parsed.projectReferences?.length) {
    const names = parsed.projectReferences.flatMap((ref) => {
      const refPath = fs.statSync(ref.path).isDirectory() ? path.join(ref.path, 'tsconfig.json') : ref.path;
      return readTsconfig(refPath).fileNames;
    });
    return { ...parsed, fileNames: names };
  }
  return parsed;
}
