import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { CALL_STATUS_TRANSITIONS, OUTGOING_ONLY_STATUSES } from './call-status.ts';
import { HANGUP_RULES } from './hangup-reasons.ts';

// docs/call-lifecycle.md must draw exactly the status machine and list exactly the hangup rules the
// code holds: a change to either side without the other fails here.
const DOC = readFileSync(new URL('../../docs/call-lifecycle.md', import.meta.url), 'utf8');
const START = '[*]';
const OUTGOING_ONLY_LABEL = 'outgoing only';

interface DiagramEdge {
  from: string;
  to: string;
  label: string;
}

function mermaidEdges(doc: string): DiagramEdge[] {
  const block = /```mermaid\n([\s\S]*?)```/.exec(doc)?.[1];
  assert.ok(block, 'docs/call-lifecycle.md has a mermaid block');
  const lines = block
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  assert.equal(lines[0], 'stateDiagram-v2');
  return lines.slice(1).map((line) => {
    const m = /^(\S+)\s*-->\s*(\S+)(?:\s*:\s*(.*))?$/.exec(line);
    assert.ok(m, `not a transition line: ${line}`);
    return { from: m[1] ?? '', to: m[2] ?? '', label: (m[3] ?? '').trim() };
  });
}

/** The rows of the table under `heading`: one array of trimmed cells per row, header and rule left out. */
function tableRows(doc: string, heading: string): string[][] {
  const section = doc.split(/^## /m).find((s) => s.startsWith(`${heading}\n`));
  assert.ok(section, `docs/call-lifecycle.md has a "${heading}" section`);
  const rows = section
    .split('\n')
    .filter((l) => l.startsWith('|'))
    .map((l) =>
      l
        .slice(1, -1)
        .split('|')
        .map((c) => c.trim()),
    );
  return rows.slice(2);
}

const key = (from: string, to: string): string => `${from} -> ${to}`;

describe('docs/call-lifecycle.md', () => {
  const edges = mermaidEdges(DOC);
  const moves = edges.filter((e) => e.from !== START && e.to !== START);

  it('draws every transition of CALL_STATUS_TRANSITIONS and no other', () => {
    const drawn = moves.map((e) => key(e.from, e.to)).sort();
    const table = Object.entries(CALL_STATUS_TRANSITIONS)
      .flatMap(([from, tos]) => tos.map((to) => key(from, to)))
      .sort();
    assert.deepEqual(drawn, table);
    assert.equal(new Set(drawn).size, drawn.length, 'no transition is drawn twice');
  });

  it('labels exactly the moves into outgoing-only statuses', () => {
    const labelled = moves
      .filter((e) => e.label === OUTGOING_ONLY_LABEL)
      .map((e) => key(e.from, e.to))
      .sort();
    const expected = moves
      .filter((e) => OUTGOING_ONLY_STATUSES.some((s) => s === e.to))
      .map((e) => key(e.from, e.to))
      .sort();
    assert.deepEqual(labelled, expected);
    assert.ok(labelled.length > 0);
  });

  it('marks as final exactly the statuses with no way out', () => {
    const finals = edges
      .filter((e) => e.to === START)
      .map((e) => e.from)
      .sort();
    const table = Object.entries(CALL_STATUS_TRANSITIONS)
      .filter(([, tos]) => tos.length === 0)
      .map(([s]) => s)
      .sort();
    assert.deepEqual(finals, table);
  });

  it('lists every rule of HANGUP_RULES as the code has it', () => {
    const listed = tableRows(DOC, 'Hangup rules').map(
      ([cause = '', from = '', by = '', reason = '', failover = '']) => ({
        cause: cause.replace(/`/g, ''),
        from: from.split(',').map((s) => s.trim()),
        hangup_by: by,
        hangup_reason: reason,
        failover: failover === 'yes',
      }),
    );
    const code = Object.entries(HANGUP_RULES).map(([cause, r]) => ({
      cause,
      from: [...r.from],
      hangup_by: r.hangup_by,
      hangup_reason: r.hangup_reason,
      failover: r.failover,
    }));
    assert.deepEqual(listed, code);
  });
});
