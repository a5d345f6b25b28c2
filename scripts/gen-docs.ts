/** Writes docs/rules/<id>.md from each rule's metadata. `npm run docs`; a test fails when they are stale. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { renderRuleMarkdown } from '../rules/docs.ts';
import { allRules } from '../rules/index.ts';

const dir = path.join(__dirname, '..', 'docs', 'rules');
fs.mkdirSync(dir, { recursive: true });
for (const rule of allRules) {
  fs.writeFileSync(path.join(dir, `${rule.id}.md`), renderRuleMarkdown(rule));
  console.log(`docs/rules/${rule.id}.md`);
}
