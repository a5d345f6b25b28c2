import type { Finding } from '../types.ts';
import type { MergedOutput, Probe, ProbeContext, ProbeOutput } from './evidence.ts';
import { count, fact, isSuppressed } from './util.ts';

/**
 * Evidence that is another rule's findings: retries without backoff,
 * retries without a bound. A finding proves the item is not met; no
 * finding proves nothing on its own (a retry written in a way the rule
 * does not know is not reported), so that case is left to the reviewer.
 */

export function findingsOutput(ctx: ProbeContext, ruleId: string, label: string): ProbeOutput {
  const findings = ctx.findings(ruleId);
  if (findings === undefined) {
    return { counts: { unavailable: 1 }, notes: [`The ${ruleId} rule is not available in this version of Faultline, so its findings are not counted.`] };
  }
  const active = findings.filter((f) => !isSuppressed(f));
  const accepted = findings.filter(isSuppressed);
  const place = (f: Finding) => ({ ...f.location, label: firstSentence(f.message) });
  return {
    counts: { findings: active.length, suppressed: accepted.length },
    facts: [...fact('findings', label, active.map(place)), ...fact('accepted', `${label}, accepted (suppressed)`, accepted.map(place))],
  };
}

/** The first sentence of a message, for a label. */
export function firstSentence(message: string): string {
  const m = /^(.+?[.:])(\s|$)/.exec(message);
  return (m ? m[1]! : message).replace(/[.:]$/, '');
}

function conclusion(ruleId: string, singular: string, plural: string) {
  return ({ counts }: MergedOutput) => {
    if (counts.unavailable && counts.findings === undefined) return { summary: `Not counted: the ${ruleId} rule is not available.` };
    const n = counts.findings ?? 0;
    const accepted = counts.suppressed ? ` (${counts.suppressed} more accepted with a suppression comment)` : '';
    if (n === 0) return { summary: `${ruleId} reports no ${plural}${accepted}.` };
    return {
      summary: `${ruleId} reports ${count(n, singular, plural)}${accepted}.`,
      automatic: { status: 'not-met' as const, reason: `${ruleId} reports ${count(n, 'finding')}.` },
    };
  };
}

const retryBackoff: Probe = {
  id: 'retry-backoff',
  collect: (ctx) => findingsOutput(ctx, 'retry-without-backoff', 'Retries without backoff'),
  conclude: conclusion('retry-without-backoff', 'retry without backoff', 'retries without backoff'),
};

const retryBounds: Probe = {
  id: 'retry-bounds',
  collect: (ctx) => findingsOutput(ctx, 'unbounded-retry', 'Retries without a bound'),
  conclude: conclusion('unbounded-retry', 'unbounded retry', 'unbounded retries'),
};

export const FINDING_PROBES: readonly Probe[] = [retryBackoff, retryBounds];
