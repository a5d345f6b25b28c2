/**
 * Runs every annotated fixture under `test/fixtures/<rule>/<case>/` through the
 * engine and compares the unsuppressed findings with the `// expect:` comments.
 * One test per fixture folder; a failure lists what is missing and what is
 * unexpected, with the source line and the finding's message.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { lint } from '../rules/engine.ts';
import { allRules, findRule } from '../rules/index.ts';
import { defaultAnalysisOptions } from '../rules/types.ts';
import {
  compareToExpectations,
  discoverFixtures,
  fixtureSourceFiles,
  formatComparison,
  parseExpectations,
  relPath,
  unsuppressed,
  type Expectation,
} from './helpers/fixtures.ts';

/** Finding ids the engine itself reports, not a rule of `allRules`. */
const ENGINE_RULE_IDS = new Set(['unused-suppression']);

const fixtures = discoverFixtures();
const rules = [...new Set(fixtures.map((f) => f.rule))];

test('fixture folders are discovered', () => {
  assert.ok(fixtures.length > 0, 'no fixture folders under test/fixtures/<rule>/<case>/');
});

/** Annotation typos would otherwise show up as a puzzling "missing" finding. */
function checkAnnotations(expectations: readonly Expectation[]): string[] {
  const problems: string[] = [];
  for (const e of expectations) {
    if (ENGINE_RULE_IDS.has(e.ruleId)) continue;
    const rule = findRule(e.ruleId);
    if (!rule) problems.push(`${e.file}:${e.line}: unknown rule '${e.ruleId}'`);
    else if (e.messageId !== undefined && !(e.messageId in rule.messages)) {
      problems.push(`${e.file}:${e.line}: rule '${e.ruleId}' has no message '${e.messageId}' (has: ${Object.keys(rule.messages).join(', ')})`);
    }
  }
  return problems;
}

for (const rule of rules) {
  describe(`fixtures: ${rule}`, () => {
    for (const fx of fixtures.filter((f) => f.rule === rule)) {
      test(fx.name, () => {
        const expectations = parseExpectations(fx.dir);
        const annotationProblems = checkAnnotations(expectations);
        assert.equal(annotationProblems.length, 0, `bad annotations in ${rule}/${fx.name}:\n${annotationProblems.join('\n')}`);

        const result = lint({ paths: [fx.dir], cwd: fx.dir, options: defaultAnalysisOptions() });

        assert.equal(
          result.internalErrors.length,
          0,
          `internal errors in ${rule}/${fx.name}:\n` +
            result.internalErrors.map((e) => `  ${e.ruleId}${e.file ? ` (${relPath(fx.dir, e.file)})` : ''}: ${e.message}`).join('\n'),
        );

        const analysed = new Set(result.files.map((f) => path.resolve(f)));
        const notAnalysed = fixtureSourceFiles(fx.dir).filter((f) => !analysed.has(f));
        assert.equal(notAnalysed.length, 0, `files not analysed in ${rule}/${fx.name}: ${notAnalysed.map((f) => relPath(fx.dir, f)).join(', ')}`);

        const cmp = compareToExpectations(fx.dir, unsuppressed(result.findings), expectations);
        if (cmp.missing.length > 0 || cmp.unexpected.length > 0) {
          assert.fail(
            `${rule}/${fx.name}: ${cmp.matched} of ${expectations.length} expected findings matched\n${formatComparison(fx.dir, cmp)}`,
          );
        }

        // Parsing every file finds exactly the same, fixes included: the prefilters, and the files parsed only when
        // the analysis reaches them, lose nothing.
        const everything = lint({ paths: [fx.dir], cwd: fx.dir, options: defaultAnalysisOptions(), parseAll: true });
        const full = (f: (typeof result.findings)[number]) =>
          JSON.stringify([
            relPath(fx.dir, f.location.file),
            f.location.start,
            f.location.end,
            f.message,
            f.related.map((r) => [relPath(fx.dir, r.file), r.start, r.message]),
            f.fixes.map((x) => [x.title, x.edits.map((e) => [relPath(fx.dir, e.file), e.start, e.end, e.newText])]),
          ]);
        assert.deepEqual(result.findings.map(full).sort(), everything.findings.map(full).sort(), `${rule}/${fx.name}: parsing every file finds something else`);

        // Each rule alone parses only what its own prefilter selects: it must still find exactly the same.
        for (const alone of allRules) {
          const options = defaultAnalysisOptions();
          options.rules = Object.fromEntries(allRules.map((r) => [r.id, r === alone ? (options.rules[r.id] ?? r.defaultSeverity) : 'off']));
          const single = lint({ paths: [fx.dir], cwd: fx.dir, options });
          const mine = (fs: typeof result.findings) => fs.filter((f) => f.ruleId === alone.id).map((f) => `${relPath(fx.dir, f.location.file)}:${f.location.startPos.line}:${f.location.startPos.column} ${f.message}`);
          assert.deepEqual(mine(single.findings), mine(result.findings), `${alone.id} alone, with only its prefilter's files parsed, finds something else in ${rule}/${fx.name}`);
        }
      });
    }
  });
}
