/**
 * The Faultline language server. Any LSP client can start it:
 *   node dist/server.js --stdio        (Neovim, Helix, Emacs)
 *   node dist/server.js --node-ipc     (the VS Code extension)
 */
import { createConnection, ProposedFeatures } from 'vscode-languageserver/node';
import { startServer } from './lsp/server.ts';

const transports = ['--stdio', '--node-ipc', '--socket', '--pipe'];
if (!process.argv.some((a) => transports.some((t) => a === t || a.startsWith(`${t}=`)))) {
  process.stderr.write('faultline-server: choose a transport: --stdio or --node-ipc (or --socket=<port>, --pipe=<name>)\n');
  process.exit(2);
}
startServer(createConnection(ProposedFeatures.all));
