import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import picomatch from 'picomatch';
import type { SourceFile } from 'ts-morph';
import { ResponseError, type Connection } from 'vscode-languageserver/node';
import { ModelCache, ProgramModel } from '../../rules/core/program.ts';
import { allRules } from '../../rules/index.ts';
import { collectEvidence, type EvidenceSet, type EvidenceUnit } from '../../rules/review/evidence.ts';
import type { AnalysisOptions } from '../../rules/types.ts';
import { ReviewRequest, SetAnswerRequest, type ReviewModel, type ReviewParams, type SetAnswerParams } from '../../protocol/review.ts';
import { CONFIG_FILE_NAME, ConfigError, parseConfig, reviewConfigOf, type ReviewConfig } from '../config.ts';
import { ReviewFileError, writeAnswer } from '../review/file.ts';
import { assembleReview, reviewFileOf } from '../review/model.ts';
import { uriToPath } from './convert.ts';
import type { HostedProject, ProjectHost } from './projects.ts';

/** What the review handlers need of the server: passed in, so that server.ts keeps its state to itself. */
export interface ReviewServerDeps {
  host: ProjectHost;
  /** The workspace folders, as they are now. */
  folders(): string[];
  /** The analysis options of a project (settings with faultline.config.json over them). */
  optionsFor(hosted: HostedProject): AnalysisOptions;
  /** An untrusted workspace: faultline.config.json is not read, and git is not run. */
  restricted(): boolean;
  log(message: string): void;
}

/** The evidence of one folder and what it was computed on (the parses, the options): reused while neither changed. */
interface CachedEvidence {
  parses: SourceFile['compilerNode'][];
  options: string;
  evidence: EvidenceSet;
}

/**
 * `faultline/review` and `faultline/review/setAnswer`: the design review of
 * a workspace folder, computed over the projects the server already holds
 * (open documents with their unsaved text), with answers from the review
 * file. Evidence is recomputed only when a file's parse changed.
 */
export function registerReviewHandlers(connection: Connection, deps: ReviewServerDeps): void {
  const caches = new Map<string, ModelCache>();
  const evidenceCache = new Map<string, CachedEvidence>();
  const reviewers = new Map<string, string>();

  function folderOf(params: ReviewParams): string {
    const folders = deps.folders();
    const asked = params.folderUri ? uriToPath(params.folderUri) : undefined;
    const folder = asked ?? folders[0];
    if (!folder) throw new ResponseError(1, 'Faultline: open a folder to review its design.');
    if (asked && !folders.some((f) => asked === f || asked.startsWith(f + path.sep))) throw new ResponseError(1, `Faultline: ${asked} is not in the workspace.`);
    return folder;
  }

  /** The folder's faultline.config.json, unless the workspace is untrusted; a broken one gives defaults and its error. */
  function configOf(folder: string): { review: ReviewConfig; ignore: string[]; error?: string } {
    const file = path.join(folder, CONFIG_FILE_NAME);
    if (deps.restricted() || !fs.existsSync(file)) return { review: reviewConfigOf(undefined), ignore: [] };
    try {
      const parsed = parseConfig(fs.readFileSync(file, 'utf8'), CONFIG_FILE_NAME, allRules.map((r) => r.id));
      return { review: reviewConfigOf(parsed), ignore: parsed.ignore };
    } catch (err) {
      const message = err instanceof ConfigError ? err.message : `cannot read ${CONFIG_FILE_NAME}: ${(err as Error).message}`;
      return { review: reviewConfigOf(undefined), ignore: [], error: message };
    }
  }

  function evidenceOf(folder: string, ignore: string[]): EvidenceSet {
    // Every file of the folder must be parsed: the review counts the whole program, not the open files.
    deps.host.workspaceFiles();
    deps.host.loadSome(Number.MAX_SAFE_INTEGER);
    const inFolder = (f: string) => f === folder || f.startsWith(folder + path.sep);
    const isIgnored = ignore.length > 0 ? picomatch(ignore, { dot: true }) : () => false;
    const units: EvidenceUnit[] = [];
    for (const hosted of deps.host.all()) {
      const files = hosted.project
        .getSourceFiles()
        .filter((sf) => inFolder(sf.getFilePath()) && hosted.members.has(sf.getFilePath()) && !isIgnored(path.relative(folder, sf.getFilePath()).split(path.sep).join('/')));
      if (files.length === 0) continue;
      const options = deps.optionsFor(hosted);
      let cache = caches.get(hosted.key);
      if (!cache) caches.set(hosted.key, (cache = new ModelCache()));
      units.push({ project: hosted.project, files, options, root: hosted.root, model: new ProgramModel(hosted.project, options, cache) });
    }
    // An edit re-parses a file, giving it a new compiler node: comparing nodes tells what changed without reading text.
    const parses = units.flatMap((u) => u.files.map((f) => f.compilerNode));
    const options = JSON.stringify(units.map((u) => u.options));
    const cached = evidenceCache.get(folder);
    if (cached && cached.options === options && cached.parses.length === parses.length && cached.parses.every((n, i) => n === parses[i])) return cached.evidence;
    const started = Date.now();
    const evidence = collectEvidence(units);
    deps.log(`Faultline: design review evidence for ${folder} in ${Date.now() - started} ms (${parses.length} files).`);
    evidenceCache.set(folder, { parses, options, evidence });
    return evidence;
  }

  function review(params: ReviewParams): ReviewModel {
    const folder = folderOf(params);
    const config = configOf(folder);
    return assembleReview({
      root: folder,
      evidence: evidenceOf(folder, config.ignore),
      config: config.review,
      reviewer: reviewerOf(folder),
      ...(config.error ? { configError: config.error } : {}),
    });
  }

  /** The name answers are signed with: git's user.name (trusted workspaces only), else the OS user. */
  function reviewerOf(folder: string): string {
    const cached = reviewers.get(folder);
    if (cached !== undefined) return cached;
    let name = '';
    if (!deps.restricted()) {
      try {
        name = execFileSync('git', ['config', 'user.name'], { cwd: folder, timeout: 2_000, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
      } catch {
        // No git, or no name configured: fall back to the OS user.
      }
    }
    if (!name) {
      try {
        name = os.userInfo().username;
      } catch {
        name = '';
      }
    }
    reviewers.set(folder, name);
    return name;
  }

  connection.onRequest(ReviewRequest.method, (params: ReviewParams): ReviewModel => review(params ?? {}));

  connection.onRequest(SetAnswerRequest.method, (params: SetAnswerParams): ReviewModel => {
    const folder = folderOf(params);
    const config = configOf(folder);
    const { file, name } = reviewFileOf(folder, config.review);
    let answer = null;
    if (params.answer) {
      // The evidence summary is stored with the answer, so that a later change of the code shows.
      const current = review(params).groups.flatMap((g) => g.items).find((i) => i.id === params.itemId);
      if (!current) throw new ResponseError(1, `Faultline: the checklist has no item "${params.itemId}".`);
      answer = {
        status: params.answer.status,
        note: params.answer.note,
        by: params.answer.by,
        at: new Date().toISOString(),
        ...(current?.evidence ? { evidence: current.evidence.summary } : {}),
      };
    }
    try {
      writeAnswer(file, name, params.itemId, answer);
    } catch (err) {
      if (err instanceof ReviewFileError) throw new ResponseError(2, err.message, { line: err.line, column: err.column });
      throw new ResponseError(2, `Faultline: cannot write ${name}: ${(err as Error).message}`);
    }
    return review(params);
  });
}
