/**
 * The @vscode/test-electron suite (test/vscode/suite) run inside code-server
 * instead of a desktop VS Code: the workbench's `payload` URL parameter
 * carries `extensionDevelopmentPath` and `extensionTestsPath` (the same
 * options test-electron passes on the command line), the server-side
 * extension host loads the extension from the source tree (dist/ built)
 * and runs the suite. The suite writes its report to a file.
 *
 * Run: `npm run test:e2e`. Screenshot: test-output/e2e/code-server-api/.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { bundleSuite, makePlan } from '../vscode/plan.ts';
import { CodeServer } from './helpers/code-server.ts';
import { prepareWorkspace } from './helpers/example.ts';
import { waitUntil } from './helpers/processes.ts';
import { CODE_SERVER_VERSION, OUT, ROOT, chromiumPath, codeServerPath, loadPlaywright, requireBuilt } from './helpers/tools.ts';
import { Workbench } from './helpers/workbench.ts';

const OUT_DIR = path.join(OUT, 'code-server-api');

interface Report {
  results: { name: string; ok: boolean; ms: number; error?: string }[];
}

// A missing tool fails here, by name; it never skips.
it('has its tools: code-server, Chromium, playwright-core, ripgrep, and the built extension', () => {
  codeServerPath();
  chromiumPath();
  loadPlaywright();
  requireBuilt(path.join(ROOT, 'dist', 'client.js'));
});

describe(`the test-electron suite inside code-server ${CODE_SERVER_VERSION}`, { timeout: 5 * 60_000 }, () => {
  it('runs test/vscode/suite in code-server\'s extension host, with the extension under development', { timeout: 4 * 60_000 }, async (t: TestContext) => {
    fs.rmSync(OUT_DIR, { recursive: true, force: true });
    fs.mkdirSync(OUT_DIR, { recursive: true });
    requireBuilt(path.join(ROOT, 'dist', 'client.js'));
    requireBuilt(path.join(ROOT, 'dist', 'server.js'));
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'faultline-cs-api-'));
    const workspace = prepareWorkspace('code-server-api');
    const planFile = path.join(tmp, 'plan.json');
    const resultFile = path.join(OUT_DIR, 'report.json');
    fs.writeFileSync(planFile, JSON.stringify(makePlan(workspace)));
    const suite = await bundleSuite(path.join(tmp, 'suite'));

    let server: CodeServer | undefined;
    let wb: Workbench | undefined;
    const started = Date.now();
    try {
      // The extension host inherits code-server's environment: that is how the suite gets its plan.
      server = await CodeServer.start({ outDir: OUT_DIR, env: { FAULTLINE_VSCODE_PLAN: planFile, FAULTLINE_VSCODE_RESULT: resultFile } });
      const url = server.url(workspace, [
        ['extensionDevelopmentPath', server.remoteUri(ROOT)],
        ['extensionTestsPath', server.remoteUri(suite)],
      ]);
      wb = await Workbench.open(url, OUT_DIR);
      await waitUntil('the suite\'s report (the extension host runs test/vscode/suite and writes it)', 180_000, () => fs.existsSync(resultFile)).catch(async (err: Error) => {
        throw await wb!.failure(`${err.message}; code-server log:\n${server!.logTail()}`);
      });
      await wb.shot('suite-finished').catch(() => undefined);
      const report = JSON.parse(fs.readFileSync(resultFile, 'utf8')) as Report;
      for (const r of report.results) t.diagnostic(`${r.ok ? 'ok' : 'not ok'} - ${r.name} (${r.ms} ms)`);
      t.diagnostic(`suite run in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      const failed = report.results.filter((r) => !r.ok);
      assert.ok(report.results.length >= 3, `the suite ran its tests: ${JSON.stringify(report.results.map((r) => r.name))}`);
      assert.deepEqual(failed, [], failed.map((f) => `${f.name}:\n${f.error}`).join('\n\n'));
    } finally {
      await wb?.close();
      if (server) {
        const logs = path.join(server.tmp, 'data', 'logs');
        if (fs.existsSync(logs)) fs.cpSync(logs, path.join(OUT_DIR, 'logs'), { recursive: true });
        await server.stop();
      }
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});
