import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validateFlowActions } from '../flow-action-validator.ts';
import { act, aid } from '../testing/action-ids.ts';
import { FlowGraph, readLintList } from './flow-graph.ts';
import { lintFlow } from './lint-flow.ts';
import type { LintWarning } from './lint-types.ts';
import { LintWork } from './lint-work.ts';
import { LOOP_GUARD_STEPS_PER_ELEMENT } from './loop-guard.ts';

/** Nodes and jumps of a list's graph. */
function graphSize(actions: unknown[]): number {
  const graph = new FlowGraph(readLintList(actions, 'actions'));
  return graph.actions.length + graph.jumps;
}

/** Steps per node and jump the graph checks other than the loop-count check may take. */
const LINEAR = 32;
/** The loop-count check's budget per node and jump, plus the linear checks. */
const WITH_GUARD = LOOP_GUARD_STEPS_PER_ELEMENT + LINEAR;
/** Steps per character of the flow's JSON that reading its options' strings may take. */
const PER_CHAR = 4;

/** The most work a flow may cost: its graph (at `perElement` steps a node and jump) and its text. */
function bound(actions: unknown[], perElement: number): number {
  return perElement * graphSize(actions) + PER_CHAR * JSON.stringify(actions).length;
}

/** Lints and answers the warnings with the steps of work counted. */
async function lintCounted(actions: unknown[]): Promise<{ warnings: LintWarning[]; steps: number }> {
  const work = new LintWork();
  const warnings = await lintFlow(actions, { work });
  return { warnings, steps: work.steps };
}

const codes = (warnings: readonly LintWarning[]) => warnings.map((w) => w.code);

/** 1,000 actions, each after the first a goto back to it: 998 loops, each inside the next. */
function gotoLattice(): unknown[] {
  const flow = [act(0, 'answer')];
  for (let i = 1; i < 999; i++) flow.push(act(i, 'goto', { target_id: aid(0), loop_count: 1000 }));
  return validateFlowActions([...flow, act(999, 'hangup')]);
}

describe('the linter bounds its work by the flow size', () => {
  it('a goto lattice: the loop-count check stops at its budget with one LINT_BUDGET_EXCEEDED', async () => {
    const flow = gotoLattice();
    const { warnings, steps } = await lintCounted(flow);
    assert.ok(steps <= bound(flow, WITH_GUARD), `${steps} steps, bound ${bound(flow, WITH_GUARD)}`);
    assert.deepEqual(codes(warnings), ['LINT_BUDGET_EXCEEDED']);
    assert.equal(warnings[0]?.field, 'actions[0]');
    assert.match(warnings[0]?.message ?? '', /LOOP_EXCEEDS_GUARD/);
  });

  it('gotos jumping back half way: loops overlapping without nesting', async () => {
    const flow = [act(0, 'answer')];
    for (let i = 1; i < 999; i++) flow.push(act(i, 'goto', { target_id: aid(Math.floor(i / 2)), loop_count: 2 }));
    const valid = validateFlowActions([...flow, act(999, 'hangup')]);
    const { warnings, steps } = await lintCounted(valid);
    assert.ok(steps <= bound(valid, WITH_GUARD), `${steps} steps, bound ${bound(valid, WITH_GUARD)}`);
    assert.ok(codes(warnings).includes('LINT_BUDGET_EXCEEDED'));
  });

  it('999 digits_receive in one loop, none read: DIGITS_NOT_USED in linear work', async () => {
    const flow = [];
    for (let i = 0; i < 999; i++) flow.push(act(i, 'digits_receive', { length: 1 }));
    flow.push(act(999, 'goto', { target_id: aid(0), loop_count: 1 }));
    const valid = validateFlowActions(flow);
    const { warnings, steps } = await lintCounted(valid);
    assert.ok(steps <= bound(valid, LINEAR), `${steps} steps, bound ${bound(valid, LINEAR)}`);
    assert.equal(warnings.length, 100);
    assert.deepEqual(new Set(codes(warnings)), new Set(['DIGITS_NOT_USED']));
  });

  it('branches with many targets, digits and gotos mixed: linear checks stay linear', async () => {
    const flow = [act(0, 'answer')];
    for (let i = 1; i < 999; i++) {
      if (i % 3 === 0) flow.push(act(i, 'goto', { target_id: aid(i % 7), loop_count: 3 }));
      else if (i % 3 === 1) flow.push(act(i, 'digits_receive', { length: 1 }));
      else {
        const targets: Record<string, string> = {};
        for (let k = 0; k < 20; k++) targets[String(k)] = aid((i * 7 + k * 13) % 999);
        flow.push(act(i, 'branch', { variable: 'x', target_ids: targets, default_target_id: aid(i + 1) }));
      }
    }
    const valid = validateFlowActions([...flow, act(999, 'hangup')]);
    assert.ok(JSON.stringify(valid).length < 1024 * 1024, 'fits the API body limit');
    const { steps } = await lintCounted(valid);
    assert.ok(steps <= bound(valid, WITH_GUARD), `${steps} steps, bound ${bound(valid, WITH_GUARD)}`);
  });

  it('an inline list of 20,000 actions (as /flows/lint gets it, unvalidated) is walked without recursion', async () => {
    const list: Record<string, unknown>[] = Array.from({ length: 20_000 }, (_, i) => ({
      id: `a${i}`,
      type: 'talk',
      option: { text: 'x' },
    }));
    list.push({ id: 'last', type: 'goto', option: { target_id: 'a0', loop_count: 5 } });
    const call = act(0, 'call', { destinations: [{ type: 'tel', target: '+15550002000' }], actions: list });
    const { warnings, steps } = await lintCounted([call]);
    assert.ok(steps <= bound([call], WITH_GUARD) + bound(list, LINEAR), `${steps} steps`);
    assert.deepEqual(codes(warnings), ['LOOP_EXCEEDS_GUARD']);
  });

  it('texts built against a backtracking scan of ${…} and <…> are read once', async () => {
    const flow = [];
    let chars = 0;
    for (let i = 0; i < 10; i++) {
      const value = '${'.repeat(16_000);
      const text = `${'<'.repeat(5_000)}\${k${i}`;
      chars += value.length + text.length;
      flow.push(act(2 * i, 'variable_set', { key: `k${i}`, value }), act(2 * i + 1, 'talk', { text }));
    }
    const valid = validateFlowActions(flow);
    const { warnings, steps } = await lintCounted(valid);
    assert.ok(steps >= chars, 'the texts are scanned and counted');
    assert.ok(steps <= 8 * chars, `${steps} steps for ${chars} characters`);
    assert.deepEqual(warnings, []);
  });

  it('one action with 30,000 warnings: each is sorted into list order once', async () => {
    const destinations = Array.from({ length: 30_000 }, () => ({ type: 'extension', target: '200' }));
    const work = new LintWork();
    const warnings = await lintFlow([act(1, 'connect', { destinations })], { work, extensionExists: () => false });
    assert.equal(warnings.length, 100);
    const flow = [act(1, 'connect', { destinations })];
    assert.ok(work.steps <= bound(flow, LINEAR), `${work.steps} steps, bound ${bound(flow, LINEAR)}`);
  });

  it('extensions are looked up at most 100 times per lint, inline lists included', async () => {
    const flow = Array.from({ length: 20 }, (_, i) =>
      act(i, 'call', {
        destinations: [{ type: 'tel', target: '+15550002000' }],
        actions: [
          act(1000 + i, 'connect', {
            destinations: Array.from({ length: 100 }, (_, k) => ({ type: 'extension', target: `${i * 100 + k}` })),
          }),
        ],
      }),
    );
    const valid = validateFlowActions(flow);
    let lookups = 0;
    const warnings = await lintFlow(valid, {
      extensionExists: () => {
        lookups += 1;
        return true;
      },
    });
    assert.equal(lookups, 100, '2,000 distinct extensions in 20 inline lists, 100 looked up');
    assert.deepEqual(warnings, []);
  });
});
