import * as vscode from 'vscode';
import { ClientCommands, type StatusParams } from '../protocol/messages.ts';

/** The status bar item: what the server is doing and how many findings it shows. */
export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('faultline.status', vscode.StatusBarAlignment.Right, 100);

  constructor() {
    this.item.name = 'Faultline';
    this.item.command = ClientCommands.showOutput;
    this.item.show();
  }

  update(p: StatusParams): void {
    const count = p.findings === 1 ? '1 finding' : `${p.findings} findings`;
    switch (p.state) {
      case 'starting':
        this.item.text = '$(loading~spin) Faultline';
        this.item.tooltip = 'Faultline is starting';
        break;
      case 'analyzing':
        this.item.text = `$(loading~spin) Faultline: ${p.findings}`;
        this.item.tooltip = p.progress ? `Faultline is analysing the workspace (${p.progress.done}/${p.progress.total} files); ${count} so far` : `Faultline is analysing; ${count} so far`;
        break;
      case 'idle':
        this.item.text = p.findings === 0 ? '$(check) Faultline' : `$(warning) Faultline: ${p.findings}`;
        this.item.tooltip = `Faultline: ${count} in the workspace`;
        break;
      case 'disabled':
        this.item.text = '$(circle-slash) Faultline';
        this.item.tooltip = p.message ?? 'Faultline is disabled';
        break;
      case 'error':
        this.item.text = '$(error) Faultline';
        this.item.tooltip = p.message ?? 'Faultline failed; see the output';
        break;
    }
    this.item.accessibilityInformation = { label: `Faultline: ${this.item.tooltip as string}` };
  }

  dispose(): void {
    this.item.dispose();
  }
}
