import { compareText } from '../stack/content-hash.js';
import type { StackSnapshot } from './snapshot.js';

export type ChangeKind = 'added' | 'removed' | 'changed';

export interface Change {
  readonly kind: ChangeKind;
  /** What changed, as a reviewer names it. */
  readonly subject: string;
  /** The detail: old → new values, panels affected, a warning. */
  readonly detail?: string;
}

export interface PlanSection {
  readonly title: string;
  readonly changes: readonly Change[];
  /** What `pulumi preview` will show for this section's changes. */
  readonly resources: string;
}

interface Keyed<T> {
  readonly key: string;
  readonly kind: ChangeKind;
  readonly before?: T;
  readonly after?: T;
}

/** Entries added, removed or changed between two maps, in key order. */
function keyed<T>(before: Readonly<Record<string, T>>, after: Readonly<Record<string, T>>, same: (a: T, b: T) => boolean): Keyed<T>[] {
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort(compareText);
  const entries: Keyed<T>[] = [];
  for (const key of keys) {
    const a = before[key];
    const b = after[key];
    if (a === undefined && b !== undefined) entries.push({ key, kind: 'added', after: b });
    else if (a !== undefined && b === undefined) entries.push({ key, kind: 'removed', before: a });
    else if (a !== undefined && b !== undefined && !same(a, b)) entries.push({ key, kind: 'changed', before: a, after: b });
  }
  return entries;
}

/** The human-level difference between two trees, section by section; empty sections are left out. */
export function diffSnapshots(before: StackSnapshot, after: StackSnapshot): PlanSection[] {
  const sections: PlanSection[] = [];
  const add = (title: string, resources: string, changes: Change[]) => {
    if (changes.length > 0) sections.push({ title, resources, changes });
  };

  add('Migrations', 'the migrate job is replaced and applies them', keyed(before.migrations, after.migrations, (a, b) => a === b).map((entry) => ({
    kind: entry.kind,
    subject: entry.key,
    ...(entry.kind === 'changed' ? { detail: 'an applied migration must not change: `piccha migrate` refuses it; add a new migration instead' } : {}),
    ...(entry.kind === 'removed' ? { detail: 'tables it created stay; drop them in a new migration if meant' } : {}),
  })));

  add('Dashboards', 'the Grafana container is replaced with the new provisioning files', keyed(before.dashboards, after.dashboards, (a, b) => JSON.stringify(a) === JSON.stringify(b)).map((entry) => {
    const title = (entry.after ?? entry.before)?.title ?? entry.key;
    if (entry.kind !== 'changed' || !entry.before || !entry.after) {
      const panels = Object.keys((entry.after ?? entry.before)?.panels ?? {}).length;
      return { kind: entry.kind, subject: `«${title}» (${entry.key})`, detail: `${panels} panel${panels === 1 ? '' : 's'}` };
    }
    const panels = keyed(entry.before.panels, entry.after.panels, (a, b) => a.hash === b.hash && a.title === b.title);
    const byKind = (kind: ChangeKind) => panels.filter((panel) => panel.kind === kind).map((panel) => `«${(panel.after ?? panel.before)?.title ?? panel.key}»`);
    const parts = [
      entry.before.title !== entry.after.title ? `title «${entry.before.title}» → «${entry.after.title}»` : '',
      byKind('added').length ? `panels added: ${byKind('added').join(', ')}` : '',
      byKind('changed').length ? `panels changed: ${byKind('changed').join(', ')}` : '',
      byKind('removed').length ? `panels removed: ${byKind('removed').join(', ')}` : '',
    ].filter((part) => part !== '');
    return { kind: 'changed' as const, subject: `«${title}» (${entry.key})`, detail: parts.join('; ') || 'layout only' };
  }));

  add('Alert rules', 'the Grafana container is replaced (or the alert evaluator, with Grafana alerting off)', keyed(before.alertRules, after.alertRules, (a, b) => a.hash === b.hash).map((entry) => {
    const rule = entry.after ?? entry.before;
    const subject = `«${rule?.title ?? entry.key}» (${entry.key})`;
    if (entry.kind !== 'changed' || !entry.before || !entry.after) return { kind: entry.kind, subject, detail: rule?.thresholds.length ? `threshold ${rule.thresholds.join('; ')}` : undefined };
    const parts = [
      entry.before.thresholds.join('; ') !== entry.after.thresholds.join('; ') ? `threshold ${entry.before.thresholds.join('; ') || 'none'} → ${entry.after.thresholds.join('; ') || 'none'}` : '',
      entry.before.for !== entry.after.for ? `pending period ${entry.before.for || 'none'} → ${entry.after.for || 'none'}` : '',
      entry.before.title !== entry.after.title ? `title «${entry.before.title}» → «${entry.after.title}»` : '',
    ].filter((part) => part !== '');
    return { kind: 'changed' as const, subject, detail: parts.join('; ') || 'query or labels' };
  }));

  add('Other provisioning files', 'the Grafana container is replaced', keyed(before.provisioningFiles, after.provisioningFiles, (a, b) => a === b).map((entry) => ({ kind: entry.kind, subject: entry.key })));

  add('Images', 'the containers of a bumped image are replaced (every job, for the pipeline base)', keyed(before.images, after.images, (a, b) => a === b).map((entry) => ({
    kind: entry.kind,
    subject: entry.key,
    detail: entry.kind === 'changed' ? `${entry.before ?? ''} → ${entry.after ?? ''}` : (entry.after ?? entry.before),
  })));

  add('Setting defaults (Pulumi.yaml)', 'stacks that do not set them change accordingly', keyed(before.settings, after.settings, (a, b) => a === b).map((entry) => ({
    kind: entry.kind,
    subject: entry.key,
    detail: entry.kind === 'changed' ? `${entry.before ?? ''} → ${entry.after ?? ''}` : (entry.after ?? entry.before),
  })));
  return sections;
}

const MARK: Record<ChangeKind, string> = { added: '+', removed: '-', changed: '~' };

/** The plan as text for a terminal or a pull-request comment (Markdown-friendly). */
export function formatPlan(sections: readonly PlanSection[], from: string, to: string): string {
  if (sections.length === 0) return `No stack changes from ${from} to ${to}.\n`;
  const lines = [`Stack changes from ${from} to ${to}:`, ''];
  for (const section of sections) {
    lines.push(section.title);
    for (const change of section.changes) lines.push(`  ${MARK[change.kind]} ${change.subject}${change.detail ? `: ${change.detail}` : ''}`);
    lines.push(`  preview: ${section.resources}`);
    lines.push('');
  }
  return `${lines.join('\n').trimEnd()}\n`;
}
