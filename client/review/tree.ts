import * as vscode from 'vscode';
import { ReviewCommands, STATUS_LABELS, type ReviewGroup, type ReviewItem, type ReviewModel, type ReviewStatus } from '../../protocol/review.ts';

/** The explorer's Design Review view: the groups with their state, and their items. Clicking an item opens it in the panel. */

type TreeNode = { kind: 'group'; group: ReviewGroup } | { kind: 'item'; item: ReviewItem } | { kind: 'message'; text: string };

const ICONS: Record<ReviewStatus, [string, string | undefined]> = {
  met: ['pass', 'testing.iconPassed'],
  'not-met': ['error', 'testing.iconFailed'],
  'not-applicable': ['circle-slash', 'disabledForeground'],
  open: ['circle-large-outline', undefined],
};

function icon(status: ReviewStatus): vscode.ThemeIcon {
  const [id, color] = ICONS[status];
  return new vscode.ThemeIcon(id, color ? new vscode.ThemeColor(color) : undefined);
}

/** The status a group shows: not met if any item is, else open if any is, else met, else not applicable. */
function groupStatus(g: ReviewGroup): ReviewStatus {
  if (g.counts['not-met'] > 0) return 'not-met';
  if (g.counts.open > 0) return 'open';
  if (g.counts.met > 0) return 'met';
  return 'not-applicable';
}

export class ReviewTree implements vscode.TreeDataProvider<TreeNode> {
  private model: ReviewModel | undefined;
  private message = 'Open the Design Review to load the checklist.';
  private readonly changed = new vscode.EventEmitter<TreeNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;

  update(model: ReviewModel): void {
    this.model = model;
    this.changed.fire(undefined);
  }

  showMessage(text: string): void {
    this.model = undefined;
    this.message = text;
    this.changed.fire(undefined);
  }

  getChildren(node?: TreeNode): TreeNode[] {
    if (!node) {
      if (!this.model) return [{ kind: 'message', text: this.message }];
      return this.model.groups.map((group) => ({ kind: 'group', group }));
    }
    return node.kind === 'group' ? node.group.items.map((item) => ({ kind: 'item', item })) : [];
  }

  getTreeItem(node: TreeNode): vscode.TreeItem {
    if (node.kind === 'message') {
      const t = new vscode.TreeItem(node.text);
      t.command = { command: ReviewCommands.open, title: 'Open Design Review' };
      return t;
    }
    if (node.kind === 'group') {
      const g = node.group;
      const status = groupStatus(g);
      const t = new vscode.TreeItem(g.title, status === 'not-met' ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed);
      const parts = (['not-met', 'open', 'met', 'not-applicable'] as const).filter((s) => g.counts[s] > 0).map((s) => `${g.counts[s]} ${STATUS_LABELS[s].toLowerCase()}`);
      t.id = `group:${g.id}`;
      t.description = parts.join(' · ');
      t.iconPath = icon(status);
      t.tooltip = `${g.title}: ${parts.join(', ')}`;
      t.accessibilityInformation = { label: `${g.title}, ${parts.join(', ')}`, role: 'treeitem' };
      return t;
    }
    const i = node.item;
    const t = new vscode.TreeItem(i.question, vscode.TreeItemCollapsibleState.None);
    t.id = `item:${i.id}`;
    t.description = `${STATUS_LABELS[i.status]}${i.required ? ' · required' : ''}${i.failing ? ' · failing' : ''}`;
    t.iconPath = icon(i.status);
    t.tooltip = [i.question, i.evidence ? `From the code: ${i.evidence.summary}` : '', i.answer?.note ? `Note: ${i.answer.note}` : ''].filter(Boolean).join('\n');
    t.accessibilityInformation = { label: `${i.question}: ${STATUS_LABELS[i.status]}${i.required ? ', required' : ''}`, role: 'treeitem' };
    t.command = { command: ReviewCommands.openItem, title: 'Open in the Design Review', arguments: [i.id] };
    return t;
  }

  dispose(): void {
    this.changed.dispose();
  }
}
