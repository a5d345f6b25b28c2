import * as vscode from 'vscode';
import {
  LanguageClient,
  State,
  TransportKind,
  type LanguageClientOptions,
  type ServerOptions,
} from 'vscode-languageclient/node';
import { ClientCommands, StatusNotification, type StatusParams } from '../protocol/messages.ts';
import { registerDesignReview } from './review/panel.ts';
import { StatusBar } from './status.ts';

/**
 * The VS Code side of Faultline: it starts the bundled language server,
 * passes the settings and the workspace trust to it, and shows its state in
 * the status bar. Everything else (diagnostics, quick fixes, fix-all) is
 * plain LSP, served by dist/server.js.
 */

let client: LanguageClient | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const output = vscode.window.createOutputChannel('Faultline', { log: true });
  const status = new StatusBar();
  context.subscriptions.push(output, status);

  const start = async (): Promise<void> => {
    client = createClient(context, output);
    client.onDidChangeState((e) => {
      if (e.newState === State.Stopped) status.update({ state: 'error', findings: 0, message: 'The Faultline server stopped. Run "Faultline: Restart Server".' });
    });
    status.update({ state: 'starting', findings: 0 });
    try {
      await client.start();
      client.onNotification(StatusNotification, (p: StatusParams) => status.update(p));
    } catch (err) {
      output.appendLine(`Faultline: the server did not start: ${String(err)}`);
      status.update({ state: 'error', findings: 0, message: 'The Faultline server did not start. See the output.' });
    }
  };

  context.subscriptions.push(
    vscode.commands.registerCommand(ClientCommands.showOutput, () => output.show(true)),
    vscode.commands.registerCommand(ClientCommands.restartServer, async () => {
      await client?.stop();
      await start();
    }),
    // Trust granted: leave restricted mode.
    vscode.workspace.onDidGrantWorkspaceTrust(async () => {
      await client?.stop();
      await start();
    }),
  );
  await start();
  registerDesignReview(context, () => client);
}

function createClient(context: vscode.ExtensionContext, output: vscode.LogOutputChannel): LanguageClient {
  const module = context.asAbsolutePath('dist/server.js');
  const serverOptions: ServerOptions = {
    run: { module, transport: TransportKind.ipc },
    debug: { module, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6011'] } },
  };
  const restricted = !vscode.workspace.isTrusted;
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: 'file', language: 'typescript' },
      { scheme: 'file', language: 'typescriptreact' },
      { scheme: 'file', language: 'javascript' },
      { scheme: 'file', language: 'javascriptreact' },
      { scheme: 'file', pattern: '**/faultline.config.json' },
    ],
    outputChannel: output,
    initializationOptions: { restricted },
    middleware: {
      workspace: {
        // The server reads `faultline.*`; it also needs to know whether the workspace is trusted.
        configuration: async (params, token, next) => {
          const result = await next(params, token);
          if (!Array.isArray(result)) return result;
          return result.map((r: unknown) => (r && typeof r === 'object' ? { ...r, restricted: !vscode.workspace.isTrusted } : r));
        },
      },
    },
  };
  return new LanguageClient('faultline', 'Faultline', serverOptions, clientOptions);
}

export async function deactivate(): Promise<void> {
  await client?.stop();
}
