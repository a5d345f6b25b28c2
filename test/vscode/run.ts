/**
 * Runs the API-level suite (test/vscode/suite) in a real VS Code with
 * @vscode/test-electron, the way extension authors run theirs locally.
 *
 *   npm run test:vscode                                  # uses VSCODE_EXECUTABLE or a VS Code it finds
 *   VSCODE_EXECUTABLE=/usr/share/code/code npm run test:vscode
 *   FAULTLINE_VSCODE_DOWNLOAD=1 npm run test:vscode      # let @vscode/test-electron download VS Code (needs network)
 *
 * Without a VS Code it prints "SKIPPED: … because …" and exits 1, or 0 when
 * FAULTLINE_ALLOW_SKIP_VSCODE=1. (On machines without VS Code, the same
 * suite runs inside code-server: test/e2e/code-server-api.e2e.ts.)
 */
import { runTests } from '@vscode/test-electron';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { prepareWorkspace } from '../e2e/helpers/example.ts';
import { ROOT } from '../e2e/helpers/tools.ts';
import { bundleSuite, makePlan } from './plan.ts';

/** VS Code executables where the usual installs put them, and @vscode/test-electron's own cache. */
function findVSCode(): string | undefined {
  const candidates: string[] = [];
  const cache = path.join(ROOT, '.vscode-test');
  if (fs.existsSync(cache)) {
    for (const d of fs.readdirSync(cache).filter((d) => d.startsWith('vscode-')).sort().reverse()) {
      candidates.push(path.join(cache, d, 'code'), path.join(cache, d, 'Code.exe'), path.join(cache, d, 'Visual Studio Code.app', 'Contents', 'MacOS', 'Electron'));
    }
  }
  if (process.platform === 'linux') candidates.push('/usr/share/code/code', '/snap/code/current/usr/share/code/code', '/usr/share/code-insiders/code-insiders');
  if (process.platform === 'darwin') candidates.push('/Applications/Visual Studio Code.app/Contents/MacOS/Electron');
  if (process.platform === 'win32' && process.env.LOCALAPPDATA) candidates.push(path.join(process.env.LOCALAPPDATA, 'Programs', 'Microsoft VS Code', 'Code.exe'));
  return candidates.find((c) => fs.existsSync(c));
}

async function main(): Promise<number> {
  const download = process.env.FAULTLINE_VSCODE_DOWNLOAD === '1';
  const executable = process.env.VSCODE_EXECUTABLE || findVSCode();
  if (process.env.VSCODE_EXECUTABLE && !fs.existsSync(process.env.VSCODE_EXECUTABLE)) {
    console.error(`VSCODE_EXECUTABLE=${process.env.VSCODE_EXECUTABLE} does not exist`);
    return 1;
  }
  if (!executable && !download) {
    const allowed = process.env.FAULTLINE_ALLOW_SKIP_VSCODE === '1';
    console.log(
      'SKIPPED: the @vscode/test-electron suite (test/vscode) did not run because no VS Code executable was found ' +
        '(VSCODE_EXECUTABLE is unset, none in .vscode-test/ or the usual install folders, and FAULTLINE_VSCODE_DOWNLOAD is not 1). ' +
        'The same suite runs inside code-server in `npm run test:e2e`.' +
        (allowed ? ' FAULTLINE_ALLOW_SKIP_VSCODE=1: exit 0.' : ' Set FAULTLINE_ALLOW_SKIP_VSCODE=1 to make this skip exit 0.'),
    );
    return allowed ? 0 : 1;
  }

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'faultline-vscode-'));
  try {
    if (!fs.existsSync(path.join(ROOT, 'dist', 'client.js'))) throw new Error('dist/client.js is missing: run `npm run build` (npm run test:vscode does)');
    const workspace = prepareWorkspace('vscode');
    const planFile = path.join(tmp, 'plan.json');
    fs.writeFileSync(planFile, JSON.stringify(makePlan(workspace)));
    const suite = await bundleSuite(path.join(tmp, 'suite'));
    console.log(`VS Code: ${executable ?? '(downloaded by @vscode/test-electron)'}; workspace ${path.relative(ROOT, workspace)}`);
    return await runTests({
      ...(executable ? { vscodeExecutablePath: executable } : {}),
      extensionDevelopmentPath: ROOT,
      extensionTestsPath: suite,
      extensionTestsEnv: { FAULTLINE_VSCODE_PLAN: planFile },
      launchArgs: [
        workspace,
        '--disable-extensions',
        '--disable-workspace-trust',
        '--skip-welcome',
        '--skip-release-notes',
        '--user-data-dir',
        path.join(tmp, 'user-data'),
        '--extensions-dir',
        path.join(tmp, 'extensions'),
      ],
    });
  } catch (err) {
    console.error(`the VS Code suite failed: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

void main().then((code) => process.exit(code));
