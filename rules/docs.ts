import type { RuleMeta } from './types.ts';

/**
 * A rule's documentation page as Markdown, from its metadata: the same text
 * feeds docs/rules/<id>.md, SARIF `help.markdown` and the README's table.
 */
export function renderRuleMarkdown(rule: RuleMeta): string {
  const d = rule.docs;
  const lines = [
    `# ${rule.id}`,
    '',
    `> ${rule.shortDescription}. Default severity: **${rule.defaultSeverity}**.`,
    '',
    rule.fullDescription,
    '',
    '## What it does',
    '',
    d.whatItDoes,
    '',
    '## Why is this bad?',
    '',
    d.why,
    '',
    '## Example',
    '',
    '```ts',
    d.incorrect.trim(),
    '```',
    '',
    'Use instead:',
    '',
    '```ts',
    d.correct.trim(),
    '```',
    '',
    '## Messages',
    '',
    ...Object.entries(rule.messages).map(([id, text]) => `- \`${id}\`: ${text}`),
    '',
    '## Fix safety',
    '',
    d.fixSafety,
    '',
    '## Suppressing',
    '',
    '```ts',
    `// faultline-disable-next-line ${rule.id} -- why this call is fine`,
    '```',
    '',
    '## References',
    '',
    ...d.references.map((r) => `- ${r}`),
    '',
  ];
  return lines.join('\n');
}
