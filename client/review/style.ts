/**
 * The panel's CSS: colours and fonts come from the editor's theme
 * (`--vscode-*` variables VS Code sets on the webview), with fallbacks so
 * that the page also reads outside VS Code (the screenshot test). Status is
 * never shown by colour alone: each badge has its word and its symbol.
 */
export const REVIEW_CSS = `
:root { color-scheme: light dark; }
body {
  margin: 0; padding: 0 20px 40px;
  font-family: var(--vscode-font-family, system-ui, sans-serif);
  font-size: var(--vscode-font-size, 13px);
  color: var(--vscode-foreground, #cccccc);
  background: var(--vscode-editor-background, #1e1e1e);
  line-height: 1.45;
}
header.toolbar {
  position: sticky; top: 0; z-index: 2; display: flex; flex-wrap: wrap; gap: 8px; align-items: center;
  padding: 10px 0; background: var(--vscode-editor-background, #1e1e1e);
  border-bottom: 1px solid var(--vscode-panel-border, rgba(128,128,128,0.35));
}
header.toolbar h1 { font-size: 1.3em; margin: 0 12px 0 0; font-weight: 600; }
.filters { display: flex; gap: 4px; flex-wrap: wrap; }
.spacer { flex: 1; }
button {
  font: inherit; color: var(--vscode-button-foreground, #fff); background: var(--vscode-button-background, #0e639c);
  border: 1px solid var(--vscode-button-border, transparent); border-radius: 2px; padding: 4px 11px; cursor: pointer;
}
button:hover { background: var(--vscode-button-hoverBackground, #1177bb); }
button.secondary, .filters button {
  color: var(--vscode-button-secondaryForeground, #cccccc); background: var(--vscode-button-secondaryBackground, #3a3d41);
}
button.secondary:hover, .filters button:hover { background: var(--vscode-button-secondaryHoverBackground, #45494e); }
.filters button[aria-pressed="true"] { color: var(--vscode-button-foreground, #fff); background: var(--vscode-button-background, #0e639c); }
button.link, button.place {
  background: none; border: none; padding: 0; color: var(--vscode-textLink-foreground, #3794ff); text-align: left; cursor: pointer;
}
button.link:hover, button.place:hover { color: var(--vscode-textLink-activeForeground, #3794ff); background: none; text-decoration: underline; }
:focus-visible, button:focus-visible, a:focus-visible, summary:focus-visible, [tabindex]:focus-visible {
  outline: 1px solid var(--vscode-focusBorder, #007fd4); outline-offset: 2px;
}
a { color: var(--vscode-textLink-foreground, #3794ff); }
code, .place-path {
  font-family: var(--vscode-editor-font-family, ui-monospace, monospace); font-size: 0.92em;
}
code { background: var(--vscode-textCodeBlock-background, rgba(128,128,128,0.15)); padding: 0 3px; border-radius: 3px; }
.muted { color: var(--vscode-descriptionForeground, #9d9d9d); }
.label { font-weight: 600; }
.overview { margin: 14px 0 6px; }
.totals { list-style: none; display: flex; flex-wrap: wrap; gap: 16px; padding: 0; margin: 0 0 4px; }
.total-count { font-weight: 600; font-size: 1.15em; margin-left: 4px; }
.file-line { margin: 2px 0; }
.group-nav { list-style: none; padding: 0; margin: 8px 0 4px; display: flex; flex-wrap: wrap; gap: 4px 16px; }
.banner { border-left: 3px solid; padding: 6px 12px; margin: 10px 0; background: var(--vscode-textBlockQuote-background, rgba(128,128,128,0.1)); }
.banner p { margin: 4px 0; }
.banner-error { border-color: var(--vscode-inputValidation-errorBorder, #be1100); }
.banner-warning { border-color: var(--vscode-editorWarning-foreground, #cca700); }
.group { margin-top: 22px; }
.group h2 { font-size: 1.15em; font-weight: 600; margin: 0 0 8px; padding-bottom: 4px; border-bottom: 1px solid var(--vscode-panel-border, rgba(128,128,128,0.35)); }
.group-counts { font-weight: normal; font-size: 0.85em; margin-left: 6px; }
.item {
  margin: 10px 0; padding: 8px 12px 10px; border-left: 3px solid var(--status-color);
  background: var(--vscode-editorWidget-background, rgba(128,128,128,0.06)); border-radius: 0 3px 3px 0;
}
.item[hidden] { display: none; }
.item-head { display: flex; flex-wrap: wrap; align-items: baseline; gap: 8px; }
.item h3 { font-size: 1em; font-weight: 600; margin: 0; flex: 1 1 320px; }
.item p { margin: 4px 0; }
.why { color: var(--vscode-descriptionForeground, #9d9d9d); }
.item-id { margin-left: 4px; }
.status-met { --status-color: var(--vscode-testing-iconPassed, #73c991); }
.status-not-met { --status-color: var(--vscode-testing-iconFailed, #f14c4c); }
.status-not-applicable { --status-color: var(--vscode-disabledForeground, #8b8b8b); }
.status-open { --status-color: var(--vscode-editorWarning-foreground, #cca700); }
.badge {
  display: inline-flex; align-items: center; gap: 4px; white-space: nowrap; font-size: 0.85em; font-weight: 600;
  padding: 1px 7px; border-radius: 9px; border: 1px solid var(--status-color); color: var(--vscode-foreground, #cccccc);
}
.badge-source { font-weight: normal; color: var(--vscode-descriptionForeground, #9d9d9d); }
.badge-icon::before { color: var(--status-color); font-weight: 700; }
.status-met .badge-icon::before, .status-met.badge .badge-icon::before { content: "✓"; }
.status-not-met .badge-icon::before, .status-not-met.badge .badge-icon::before { content: "✗"; }
.status-not-applicable .badge-icon::before, .status-not-applicable.badge .badge-icon::before { content: "–"; }
.status-open .badge-icon::before, .status-open.badge .badge-icon::before { content: "○"; }
.tag {
  font-size: 0.8em; padding: 0 6px; border-radius: 9px;
  color: var(--vscode-badge-foreground, #fff); background: var(--vscode-badge-background, #4d4d4d);
}
.tag-required { background: var(--vscode-activityBarBadge-background, #007acc); color: var(--vscode-activityBarBadge-foreground, #fff); }
.evidence { margin: 6px 0; }
details.fact { margin: 2px 0 2px 2px; }
details.fact summary { cursor: pointer; }
.count { color: var(--vscode-descriptionForeground, #9d9d9d); }
ul.places { list-style: none; margin: 2px 0 6px; padding-left: 18px; }
ul.places li { margin: 1px 0; }
.place-label { color: var(--vscode-foreground, #cccccc); }
.answer { margin: 6px 0; }
.note { white-space: pre-wrap; overflow-wrap: anywhere; }
.warning { color: var(--vscode-editorWarning-foreground, #cca700); }
.answer-button { margin-top: 4px; }
#notice:empty { display: none; }
#notice { margin: 8px 0; padding: 4px 10px; border-left: 3px solid var(--vscode-focusBorder, #007fd4); }
#notice.error { border-color: var(--vscode-inputValidation-errorBorder, #be1100); }
dialog {
  color: var(--vscode-foreground, #cccccc); background: var(--vscode-editorWidget-background, #252526);
  border: 1px solid var(--vscode-widget-border, var(--vscode-contrastBorder, #454545)); border-radius: 4px;
  width: min(560px, 92vw); padding: 14px 18px;
}
dialog::backdrop { background: rgba(0,0,0,0.45); }
dialog h2 { font-size: 1.1em; margin: 0 0 6px; }
fieldset { border: 1px solid var(--vscode-widget-border, rgba(128,128,128,0.35)); margin: 8px 0; padding: 6px 10px; }
fieldset label { margin-right: 14px; white-space: nowrap; }
dialog label.block { display: block; margin: 8px 0 2px; font-weight: 600; }
textarea, input[type="text"] {
  width: 100%; box-sizing: border-box; font: inherit;
  color: var(--vscode-input-foreground, #cccccc); background: var(--vscode-input-background, #3c3c3c);
  border: 1px solid var(--vscode-input-border, transparent); padding: 4px 6px;
}
.actions { display: flex; gap: 8px; margin-top: 12px; justify-content: flex-end; }
body.vscode-high-contrast .item, body.vscode-high-contrast .badge { border-color: var(--vscode-contrastBorder, #6fc3df); }
@media (forced-colors: active) {
  .item, .badge { border-color: CanvasText; }
  .badge-icon::before { color: CanvasText; }
}
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
`;
