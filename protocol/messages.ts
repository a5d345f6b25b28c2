/**
 * The messages Faultline adds to LSP, shared by the server and the VS Code
 * extension. Plain method names and payload types only (no library types),
 * so that both bundles can import this file.
 */

/** Commands the server executes (`workspace/executeCommand`). */
export const ServerCommands = {
  /** Re-read the workspace's projects and analyse every file in the background. */
  analyzeWorkspace: 'faultline.analyzeWorkspace',
} as const;

/** Commands only the VS Code extension handles. */
export const ClientCommands = {
  showOutput: 'faultline.showOutput',
  restartServer: 'faultline.restartServer',
  analyzeWorkspace: ServerCommands.analyzeWorkspace,
} as const;

/** server → client notification: what the server is doing and how many findings it shows. */
export const StatusNotification = 'faultline/status';
export interface StatusParams {
  state: 'starting' | 'analyzing' | 'idle' | 'disabled' | 'error';
  /** Unsuppressed findings currently published, over all files. */
  findings: number;
  /** Files analysed so far in the current workspace scan, and how many it has. */
  progress?: { done: number; total: number };
  /** A one-line explanation when `state` is `error` or `disabled`. */
  message?: string;
}

/** The code action kind of "Fix all Faultline problems in this file" (`editor.codeActionsOnSave`). */
export const FixAllKind = 'source.fixAll.faultline';

/** Settings the extension contributes under `faultline.*` (read with `workspace/configuration`). */
export interface FaultlineSettings {
  enable: boolean;
  /** Severity per rule id; `faultline.config.json` wins over these for the project. */
  rules: Record<string, 'off' | 'info' | 'warning' | 'warn' | 'error'>;
  defaultTimeoutMs: number;
  /** Let fix-all on save apply fixes that change behaviour (adding a timeout). Off by default. */
  fixAllUnsafeOnSave: boolean;
  /** Run in restricted mode: analyse only, read no project configuration (untrusted workspace). */
  restricted: boolean;
}

export const DEFAULT_SETTINGS: FaultlineSettings = {
  enable: true,
  rules: {},
  defaultTimeoutMs: 10_000,
  fixAllUnsafeOnSave: false,
  restricted: false,
};
