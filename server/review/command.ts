import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadProjects } from '../../rules/core/project.ts';
import { allRules } from '../../rules/index.ts';
import type { Rule } from '../../rules/rule.ts';
import { collectEvidence, type EvidenceUnit } from '../../rules/review/evidence.ts';
import type { ReviewModel } from '../../protocol/review.ts';
import { loadConfig, reviewConfigOf } from '../config.ts';
import { EXIT, type CommandIO } from '../lint-command.ts';
import { ReviewFileError } from './file.ts';
import { renderReviewMarkdown } from './markdown.ts';
import { assembleReview } from './model.ts';

/** `faultline review`'s options, as the command line gives them. */
export interface ReviewCommandOptions {
  paths: string[];
  format: 'markdown' | 'json';
  output?: string;
  config?: string;
  project: string[];
  /** Base URL for links to places; from the GitHub Actions environment when absent. */
  linkBase?: string;
}

export const REVIEW_FORMATS = ['markdown', 'json'] as const;

/**
 * Runs `faultline review`: evidence from the code, answers from the review
 * file, the checklist as Markdown or JSON. Exit code 1 when a required
 * item is not met, 2 when the configuration, the projects or the review
 * file cannot be read (the error names the file and line).
 */
export function runReview(opts: ReviewCommandOptions, io: CommandIO, rules: readonly Rule[] = allRules): number {
  const model = computeReview(opts, io, rules);
  if (model.reviewFile.error) {
    const e = model.reviewFile.error;
    throw new ReviewFileError(e.message, model.reviewFile.path, e.line, e.column);
  }
  const linkBase = opts.linkBase ?? githubBlobBase(io.env, model.root);
  const text =
    opts.format === 'json'
      ? `${JSON.stringify(model, null, 2)}\n`
      : renderReviewMarkdown(model, { ...(linkBase ? { linkBase } : {}), title: path.basename(model.root) });
  if (opts.output !== undefined) {
    const file = path.resolve(io.cwd, opts.output);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
  } else {
    io.stdout(text);
  }
  if (model.requiredFailing.length > 0) {
    io.stderr(`faultline: ${model.requiredFailing.length} required review ${model.requiredFailing.length === 1 ? 'item is' : 'items are'} not met: ${model.requiredFailing.join(', ')}\n`);
    return EXIT.findings;
  }
  return EXIT.clean;
}

/** The review model for the requested paths. Throws `ConfigError` or `ProjectLoadError`. */
export function computeReview(opts: Pick<ReviewCommandOptions, 'paths' | 'config' | 'project'>, io: Pick<CommandIO, 'cwd'>, rules: readonly Rule[] = allRules): ReviewModel {
  const config = loadConfig({ cwd: io.cwd, configPath: opts.config, paths: opts.paths, knownRules: rules.map((r) => r.id) });
  const projects = loadProjects({
    paths: opts.paths.map((p) => path.resolve(io.cwd, p)),
    cwd: config.root,
    tsconfigs: opts.project.length > 0 ? opts.project.map((p) => path.resolve(io.cwd, p)) : undefined,
    ignore: config.ignore,
  });
  const units: EvidenceUnit[] = projects.map((p) => ({
    project: p.project,
    files: p.files.map((f) => p.project.getSourceFileOrThrow(f)),
    options: config.options,
    root: config.root,
  }));
  const evidence = collectEvidence(units, rules);
  return assembleReview({ root: config.root, evidence, config: reviewConfigOf(config) });
}

/**
 * `https://github.com/owner/repo/blob/<sha>/<root in the repository>` inside
 * GitHub Actions, so that places link to the commit reviewed.
 */
export function githubBlobBase(env: Record<string, string | undefined>, root: string): string | undefined {
  const { GITHUB_SERVER_URL: server, GITHUB_REPOSITORY: repo, GITHUB_SHA: sha, GITHUB_WORKSPACE: workspace } = env;
  if (!server || !repo || !sha) return undefined;
  const inRepo = workspace ? path.relative(workspace, root).split(path.sep).join('/') : '';
  if (inRepo.startsWith('..') || path.isAbsolute(inRepo)) return undefined;
  return `${server}/${repo}/blob/${sha}${inRepo ? `/${inRepo}` : ''}`;
}
