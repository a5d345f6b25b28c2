import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { renderRuleMarkdown } from '../rules/docs.ts';
import { lintSources } from '../rules/engine.ts';
import { allRules } from '../rules/index.ts';
import { defaultAnalysisOptions } from '../rules/types.ts';

const rulesDir = path.join(__dirname, '..', 'rules');

describe('rule registry', () => {
  it('lists exactly the rule files (a file that calls defineRule) of rules/', () => {
    const files = fs
      .readdirSync(rulesDir)
      .filter((f) => f.endsWith('.ts') && /defineRule</.test(fs.readFileSync(path.join(rulesDir, f), 'utf8')) && f !== 'rule.ts')
      .map((f) => f.replace(/\.ts$/, ''))
      .sort();
    assert.deepEqual(allRules.map((r) => r.id).sort(), files);
  });

  for (const rule of allRules) {
    describe(rule.id, () => {
      it('has an id in kebab case, descriptions and messages', () => {
        assert.match(rule.id, /^[a-z]+(-[a-z]+)*$/);
        assert.ok(rule.shortDescription.length > 10);
        assert.ok(rule.fullDescription.length > rule.shortDescription.length);
        assert.ok(Object.keys(rule.messages).length > 0);
      });

      it('reports exactly one finding on its "incorrect" example', () => {
        const result = lintSources({ 'example.ts': rule.docs.incorrect }, defaultAnalysisOptions());
        const own = result.findings.filter((f) => f.ruleId === rule.id);
        assert.equal(own.length, 1, `expected one ${rule.id} finding, got: ${own.map((f) => f.message).join('; ')}`);
        assert.deepEqual(result.internalErrors, []);
      });

      it('reports nothing on its "correct" example', () => {
        const result = lintSources({ 'example.ts': rule.docs.correct }, defaultAnalysisOptions());
        assert.deepEqual(result.findings.map((f) => f.message), []);
      });

      it('has an up-to-date docs page (npm run docs)', () => {
        const page = fs.readFileSync(path.join(__dirname, '..', 'docs', 'rules', `${rule.id}.md`), 'utf8');
        assert.equal(page, renderRuleMarkdown(rule));
      });
    });
  }
});
