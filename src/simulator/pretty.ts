import type { SimulationOutput } from './output.ts';

function seconds(ms: number): string {
  return `+${(ms / 1000).toFixed(3)}s`.padStart(10);
}

/** A simulation as a readable timeline (`callbin simulate --pretty`). */
export function formatTimeline(out: SimulationOutput): string {
  const lines: string[] = [];
  for (const step of out.steps) {
    const what = `${step.action_type} ${step.action_id}`;
    if (step.event === 'start') {
      lines.push(`${seconds(step.at_ms)}  ▶ ${what}`);
      continue;
    }
    const error = step.error ? ` ${step.error.code}: ${step.error.message}` : '';
    const digits = typeof step.detail?.digits === 'string' ? ` digits="${step.detail.digits}"` : '';
    lines.push(`${seconds(step.at_ms)}  ■ ${what} → ${step.result ?? ''}${digits}${error}`);
  }
  for (const r of out.requests)
    lines.push(`${seconds(r.at_ms)}  ${r.kind} ${r.method} ${r.url} → ${r.status} (${r.answered_by})`);
  lines.push(out.hangup ? `hangup: ${out.hangup.by} ${out.hangup.reason} at ${out.hangup.tm}` : 'hangup: none');
  if (out.stopped) lines.push(`stopped: ${out.stopped.reason} (${out.stopped.detail})`);
  lines.push(`virtual time: ${out.duration_ms} ms, ${out.events.length} events`);
  for (const e of out.expectations) lines.push(`${e.met ? 'met  ' : 'UNMET'}  ${e.expectation}: ${e.detail}`);
  return lines.join('\n');
}
