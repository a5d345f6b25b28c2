import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import Ajv from 'ajv';
import { ConfigError, findConfigFile, loadConfig, parseConfig, parseSeverity } from '../server/config.ts';
import { locateJsonError } from '../server/json-error.ts';

const KNOWN = ['missing-timeout'];
const NAME = 'faultline.config.json';

function errorOf(text: string): string {
  try {
    parseConfig(text, NAME, KNOWN);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    assert.doesNotMatch(err.message, /\n/);
    return err.message;
  }
  assert.fail('expected the config to be rejected');
}

describe('parseConfig', () => {
  it('reads a valid configuration, mapping "warn" to warning', () => {
    const config = parseConfig(
      JSON.stringify({
        $schema: './node_modules/faultline/schema/faultline.config.schema.json',
        rules: { 'missing-timeout': 'warn', 'unused-suppression': 'off' },
        defaultTimeoutMs: 5000,
        customClients: [{ name: 'http.get', module: './lib/http', optionsArgument: 1, timeoutOption: 'timeoutMs' }],
        timeoutWrappers: ['pTimeout'],
        ignore: ['generated/**'],
      }),
      NAME,
      KNOWN,
    );
    assert.deepEqual(config, {
      options: {
        rules: { 'missing-timeout': 'warning', 'unused-suppression': 'off' },
        defaultTimeoutMs: 5000,
        customClients: [{ name: 'http.get', module: './lib/http', optionsArgument: 1, timeoutOption: 'timeoutMs' }],
        timeoutWrappers: ['pTimeout'],
      },
      ignore: ['generated/**'],
    });
  });

  it('fills defaults for an empty object (with a byte order mark)', () => {
    assert.deepEqual(parseConfig('\ufeff{}', NAME, KNOWN), {
      options: { rules: {}, defaultTimeoutMs: 10_000, customClients: [], timeoutWrappers: [] },
      ignore: [],
    });
  });

  it('rejects unknown keys, naming file and key', () => {
    assert.equal(errorOf('{"rulez": {}}'), 'faultline.config.json: unknown key "rulez"');
    assert.equal(
      errorOf('{"customClients": [{"name": "get", "optionsArgument": 0, "timeoutOption": "t", "extra": 1}]}'),
      'faultline.config.json: unknown key "extra" in "customClients[0]"',
    );
  });

  it('rejects wrong types, naming the key', () => {
    assert.equal(errorOf('{"defaultTimeoutMs": "10s"}'), 'faultline.config.json: "defaultTimeoutMs" must be integer');
    assert.equal(errorOf('{"defaultTimeoutMs": 1.5}'), 'faultline.config.json: "defaultTimeoutMs" must be integer');
    assert.equal(errorOf('{"defaultTimeoutMs": 0}'), 'faultline.config.json: "defaultTimeoutMs" must be >= 1');
    assert.equal(errorOf('{"ignore": "dist/**"}'), 'faultline.config.json: "ignore" must be array');
    assert.equal(errorOf('{"timeoutWrappers": [1]}'), 'faultline.config.json: "timeoutWrappers[0]" must be string');
    assert.equal(
      errorOf('{"rules": {"missing-timeout": "loud"}}'),
      'faultline.config.json: "rules.missing-timeout" must be one of "off", "info", "warning", "warn", "error"',
    );
    assert.equal(
      errorOf('{"customClients": [{"name": "get", "optionsArgument": 0}]}'),
      'faultline.config.json: "customClients[0]" is missing the required key "timeoutOption"',
    );
    assert.equal(errorOf('[]'), 'faultline.config.json: the configuration must be object');
  });

  it('rejects broken JSON, naming line and column', () => {
    assert.equal(
      errorOf('{\n  "rules": {\n    "missing-timeout": "error",\n  }\n}'),
      'faultline.config.json: invalid JSON at line 4, column 3: expected a double-quoted key but found character "}"',
    );
    assert.equal(errorOf('{"a": 1'), 'faultline.config.json: invalid JSON at line 1, column 8: expected "," or "}" but found end of file');
    assert.equal(errorOf(''), 'faultline.config.json: invalid JSON at line 1, column 1: expected a value but found end of file');
  });

  it('rejects unknown rule ids, listing the known ones', () => {
    assert.equal(
      errorOf('{"rules": {"missing-timout": "error"}}'),
      'faultline.config.json: unknown rule "missing-timout" in "rules" (known rules: missing-timeout, unused-suppression)',
    );
  });

  it('parses severities as configuration and --rule write them', () => {
    assert.deepEqual(['off', 'info', 'warn', 'warning', 'error', 'loud'].map(parseSeverity), ['off', 'info', 'warning', 'warning', 'error', undefined]);
  });
});

describe('locateJsonError', () => {
  it('points at the first offending character', () => {
    assert.deepEqual(locateJsonError('{"a": [1, 2,]}'), { offset: 12, line: 1, column: 13, reason: 'expected a value but found character "]"' });
    assert.deepEqual(locateJsonError('{"a": 1} x').reason, 'unexpected character "x" after the end of the value');
    assert.deepEqual(locateJsonError('{"a": "\\q"}').column, 8);
  });
});

describe('the shipped schema', () => {
  const schemaPath = path.join(__dirname, '..', 'schema', 'faultline.config.schema.json');
  const schema = JSON.parse(fs.readFileSync(schemaPath, 'utf8'));

  it('is a valid draft-07 schema', () => {
    assert.equal(schema.$schema, 'http://json-schema.org/draft-07/schema#');
    const ajv = new Ajv({ strict: true });
    assert.equal(ajv.validateSchema(schema), true, JSON.stringify(ajv.errors));
  });

  it('is the one package.json points VS Code at', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8'));
    assert.deepEqual(pkg.contributes.jsonValidation, [{ fileMatch: 'faultline.config.json', url: './schema/faultline.config.schema.json' }]);
  });
});

describe('loadConfig', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'faultline-config-'));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const project = path.join(tmp, 'project');
  const src = path.join(project, 'src');
  fs.mkdirSync(src, { recursive: true });
  fs.writeFileSync(path.join(project, 'faultline.config.json'), '{"defaultTimeoutMs": 2500, "ignore": ["gen/**"]}');
  const elsewhere = path.join(tmp, 'elsewhere');
  fs.mkdirSync(elsewhere);

  it('finds the config in the cwd', () => {
    const c = loadConfig({ cwd: project, paths: ['.'], knownRules: KNOWN });
    assert.equal(c.configPath, path.join(project, 'faultline.config.json'));
    assert.equal(c.root, project);
    assert.equal(c.options.defaultTimeoutMs, 2500);
    assert.deepEqual(c.ignore, ['gen/**']);
  });

  it('else in the nearest folder above the first linted path', () => {
    assert.equal(findConfigFile(elsewhere, [src]), path.join(project, 'faultline.config.json'));
    assert.equal(loadConfig({ cwd: elsewhere, paths: [src], knownRules: KNOWN }).root, project);
  });

  it('uses defaults when there is none', () => {
    const c = loadConfig({ cwd: elsewhere, paths: ['.'], knownRules: KNOWN });
    assert.equal(c.configPath, undefined);
    assert.equal(c.root, elsewhere);
    assert.equal(c.options.defaultTimeoutMs, 10_000);
  });

  it('reads --config as given, and names a missing one', () => {
    const custom = path.join(elsewhere, 'custom.json');
    fs.writeFileSync(custom, '{"rulez": 1}');
    assert.throws(() => loadConfig({ cwd: elsewhere, configPath: 'custom.json', knownRules: KNOWN }), {
      name: 'ConfigError',
      message: 'custom.json: unknown key "rulez"',
    });
    assert.throws(() => loadConfig({ cwd: elsewhere, configPath: 'nope.json', knownRules: KNOWN }), {
      name: 'ConfigError',
      message: 'nope.json: no such config file',
    });
  });
});
