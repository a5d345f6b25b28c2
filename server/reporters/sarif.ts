import { pathToFileURL } from 'node:url';
import type * as sarif from 'sarif';
import { ruleDocsUrl, type Finding, type RuleMeta, type Severity, type SourceRange } from '../../rules/types.ts';
import { relativePath, type ReportContext } from './types.ts';

export const INFORMATION_URI = 'https://github.com/faultline-dev/faultline';
const SRCROOT = '%SRCROOT%';
/** The key of `partialFingerprints`; bump the version if fingerprints ever change meaning. */
export const FINGERPRINT_KEY = 'faultline/v1';

const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = { error: 'error', warning: 'warning', info: 'note' };

/**
 * SARIF 2.1.0, one run: rules from their metadata, results with
 * `%SRCROOT%`-relative locations, fingerprints, in-source suppressions and
 * fixes. Suppressed findings are kept (with `suppressions`), as the
 * standard expects.
 */
export function toSarif(findings: readonly Finding[], ctx: ReportContext): sarif.Log {
  const ruleIndex = new Map(ctx.rules.map((r, i) => [r.id, i]));
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'Faultline',
            version: ctx.toolVersion,
            semanticVersion: ctx.toolVersion,
            informationUri: INFORMATION_URI,
            rules: ctx.rules.map(ruleDescriptor),
          },
        },
        originalUriBaseIds: {
          [SRCROOT]: { uri: directoryUri(ctx.root) },
        },
        columnKind: 'utf16CodeUnits',
        results: findings.map((f) => result(f, ctx, ruleIndex.get(f.ruleId))),
      },
    ],
  };
}

export function formatSarif(findings: readonly Finding[], ctx: ReportContext): string {
  return `${JSON.stringify(toSarif(findings, ctx), null, 2)}\n`;
}

function ruleDescriptor(rule: RuleMeta): sarif.ReportingDescriptor {
  return {
    id: rule.id,
    name: pascalCase(rule.id),
    shortDescription: { text: rule.shortDescription },
    fullDescription: { text: rule.fullDescription },
    help: { text: helpText(rule), markdown: helpMarkdown(rule) },
    helpUri: ruleDocsUrl(rule.id),
    defaultConfiguration: { level: LEVEL[rule.defaultSeverity] },
  };
}

/** The rule's docs as plain text, in ruff's sections. */
export function helpText(rule: RuleMeta): string {
  const d = rule.docs;
  const parts = [
    `What it does: ${d.whatItDoes}`,
    `Why is this bad? ${d.why}`,
    `Example:\n${indent(d.incorrect)}`,
    `Use instead:\n${indent(d.correct)}`,
    `Fix safety: ${d.fixSafety}`,
  ];
  if (d.references.length > 0) parts.push(`References:\n${d.references.map((r) => `- ${r}`).join('\n')}`);
  return parts.join('\n\n');
}

/** The rule's docs as Markdown, in ruff's sections. */
export function helpMarkdown(rule: RuleMeta): string {
  const d = rule.docs;
  const fence = (code: string): string => `\`\`\`ts\n${code.replace(/\n+$/, '')}\n\`\`\``;
  const parts = [
    `## What it does\n\n${d.whatItDoes}`,
    `## Why is this bad?\n\n${d.why}`,
    `## Example\n\n${fence(d.incorrect)}\n\nUse instead:\n\n${fence(d.correct)}`,
    `## Fix safety\n\n${d.fixSafety}`,
  ];
  if (d.references.length > 0) parts.push(`## References\n\n${d.references.map((r) => `- ${r}`).join('\n')}`);
  return parts.join('\n\n');
}

function result(f: Finding, ctx: ReportContext, index: number | undefined): sarif.Result {
  const out: sarif.Result = {
    ruleId: f.ruleId,
    ...(index === undefined ? {} : { ruleIndex: index }),
    level: LEVEL[f.severity],
    message: { text: f.message },
    locations: [{ physicalLocation: physicalLocation(f.location, ctx.root) }],
    partialFingerprints: { [FINGERPRINT_KEY]: f.fingerprint },
  };
  if (f.related.length > 0) {
    out.relatedLocations = f.related.map((r, i) => ({ id: i, physicalLocation: physicalLocation(r, ctx.root), message: { text: r.message } }));
  }
  if (f.suppression) {
    out.suppressions = [
      { kind: 'inSource', ...(f.suppression.justification ? { justification: f.suppression.justification } : {}), location: { physicalLocation: physicalLocation(f.suppression.location, ctx.root) } },
    ];
  }
  if (f.fixes.length > 0) {
    out.fixes = f.fixes.map((fix) => {
      const byFile = new Map<string, sarif.Replacement[]>();
      for (const e of fix.edits) {
        const list = byFile.get(e.file) ?? [];
        list.push({ deletedRegion: { charOffset: e.start, charLength: e.end - e.start }, ...(e.newText ? { insertedContent: { text: e.newText } } : {}) });
        byFile.set(e.file, list);
      }
      return {
        description: { text: fix.title },
        artifactChanges: [...byFile].map(([file, replacements]) => ({ artifactLocation: artifactLocation(file, ctx.root), replacements })),
        properties: { applicability: fix.applicability },
      };
    });
  }
  return out;
}

function physicalLocation(r: SourceRange, root: string): sarif.PhysicalLocation {
  return {
    artifactLocation: artifactLocation(r.file, root),
    region: { startLine: r.startPos.line, startColumn: r.startPos.column, endLine: r.endPos.line, endColumn: r.endPos.column, charOffset: r.start, charLength: r.end - r.start },
  };
}

/** `%SRCROOT%`-relative for files below the root; an absolute `file:` URI otherwise. */
function artifactLocation(file: string, root: string): sarif.ArtifactLocation {
  const rel = relativePath(root, file);
  if (rel.startsWith('/') || /^[A-Za-z]:/.test(rel)) return { uri: pathToFileURL(file).href };
  return { uri: rel.split('/').map(encodeURIComponent).join('/'), uriBaseId: SRCROOT };
}

function directoryUri(dir: string): string {
  const href = pathToFileURL(dir).href;
  return href.endsWith('/') ? href : `${href}/`;
}

function pascalCase(id: string): string {
  return id.replace(/(^|-)([a-z0-9])/g, (_m, _d, c: string) => c.toUpperCase());
}

function indent(code: string): string {
  return code
    .replace(/\n+$/, '')
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');
}
