import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import Ajv from 'ajv';
import { REVIEW_GROUPS } from '../../rules/review/catalogue.ts';
import { ConfigError, parseConfig, reviewConfigOf } from '../../server/config.ts';

const KNOWN = ['missing-timeout'];
const NAME = 'faultline.config.json';

function errorOf(review: unknown): string {
  try {
    parseConfig(JSON.stringify({ review }), NAME, KNOWN);
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.message;
  }
  assert.fail('expected the config to be rejected');
}

describe('review configuration', () => {
  it('reads file, required, hidden and items; an item can be required on its own', () => {
    const c = parseConfig(
      JSON.stringify({
        review: {
          file: 'docs/review.json',
          required: ['timeouts.deadlines'],
          hidden: ['caching.stampede'],
          items: [
            { id: 'team.runbook', group: 'chaos', question: 'Is there a runbook for each alert?', why: 'On-call needs it at 3 a.m.', required: true },
            { id: 'team.owner', group: 'requirements', question: 'Who owns this service?' },
          ],
        },
      }),
      NAME,
      KNOWN,
    );
    assert.deepEqual(c.review, {
      file: 'docs/review.json',
      required: ['timeouts.deadlines', 'team.runbook'],
      hidden: ['caching.stampede'],
      items: [
        { id: 'team.runbook', group: 'chaos', question: 'Is there a runbook for each alert?', why: 'On-call needs it at 3 a.m.', required: true },
        { id: 'team.owner', group: 'requirements', question: 'Who owns this service?' },
      ],
    });
  });

  it('has defaults, and adds nothing to a configuration without "review"', () => {
    assert.equal('review' in parseConfig('{}', NAME, KNOWN), false);
    assert.deepEqual(reviewConfigOf(undefined), { file: '.faultline/review.json', required: [], hidden: [], items: [] });
    assert.deepEqual(reviewConfigOf(parseConfig('{"review": {}}', NAME, KNOWN)), { file: '.faultline/review.json', required: [], hidden: [], items: [] });
  });

  it('rejects unknown ids (suggesting the closest), reused ids, clashes and paths out of the project', () => {
    assert.equal(errorOf({ required: ['timeouts.deadline'] }), 'faultline.config.json: unknown review item "timeouts.deadline" in "review.required[0]"; did you mean "timeouts.deadlines"?');
    assert.equal(errorOf({ hidden: ['nothing.like.it'] }), 'faultline.config.json: unknown review item "nothing.like.it" in "review.hidden[0]"');
    assert.equal(
      errorOf({ items: [{ id: 'timeouts.deadlines', group: 'timeouts', question: 'Again?' }] }),
      'faultline.config.json: "review.items[0].id" "timeouts.deadlines" is a built-in item; give your item another id',
    );
    assert.equal(
      errorOf({ items: [{ id: 'a.b', group: 'chaos', question: 'One?' }, { id: 'a.b', group: 'chaos', question: 'Two?' }] }),
      'faultline.config.json: "review.items[1].id" "a.b" is used twice',
    );
    assert.equal(errorOf({ required: ['chaos.rollback'], hidden: ['chaos.rollback'] }), 'faultline.config.json: review item "chaos.rollback" is both required and hidden');
    assert.equal(errorOf({ file: '../elsewhere/review.json' }), 'faultline.config.json: "review.file" must be a path inside the project, relative to the config file');
    assert.equal(errorOf({ file: '/etc/review.json' }), 'faultline.config.json: "review.file" must be a path inside the project, relative to the config file');
  });

  it('rejects what the schema forbids, naming the key', () => {
    assert.equal(errorOf({ requires: [] }), 'faultline.config.json: unknown key "requires" in "review"');
    assert.equal(errorOf({ items: [{ id: 'a.b', group: 'nope', question: 'Q?' }] }), `faultline.config.json: "review.items[0].group" must be one of ${REVIEW_GROUPS.map((g) => `"${g.id}"`).join(', ')}`);
    assert.equal(errorOf({ items: [{ id: 'a.b', group: 'chaos' }] }), 'faultline.config.json: "review.items[0]" is missing the required key "question"');
    assert.equal(errorOf({ required: 'timeouts.deadlines' }), 'faultline.config.json: "review.required" must be array');
    assert.equal(errorOf({ hidden: ['Has Spaces'] }), 'faultline.config.json: "review.hidden[0]" must match pattern "^[a-z0-9][a-z0-9.-]*$"');
  });

  it('lists the same groups in the schema as the catalogue', () => {
    const schema = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'schema', 'faultline.config.schema.json'), 'utf8'));
    assert.deepEqual(schema.definitions.reviewItem.properties.group.enum, REVIEW_GROUPS.map((g) => g.id));
    const ajv = new Ajv({ strict: true });
    assert.equal(ajv.validateSchema(schema), true, JSON.stringify(ajv.errors));
  });
});
