import type { Clock, Logger } from '../shared/index.ts';
import { setVariable, snapshot } from './activeflow.ts';
import type { Activeflow } from './activeflow.ts';
import type { ActionContext, LoopCounter } from './actions/action-definition.ts';
import type { DigitBuffer } from './digit-buffer.ts';
import type { FlowAction } from './flow-action.ts';
import type { FlowPorts } from './ports.ts';

/** What one running activeflow lends its actions; the runner owns every member. */
export interface ActionScope {
  readonly activeflow: Activeflow;
  readonly callId: string | undefined;
  readonly ports: FlowPorts;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly digits: DigitBuffer;
  readonly loops: LoopCounter;
  parseActions(raw: unknown, field: string): FlowAction[];
  background(what: string, work: (signal: AbortSignal) => Promise<void>): void;
}

/** A loop counter over a map owned by the activeflow. */
export function loopCounter(counts: Map<string, number>): LoopCounter {
  return {
    take(actionId, max) {
      const taken = counts.get(actionId) ?? 0;
      if (max === undefined || taken < max) {
        counts.set(actionId, taken + 1);
        return true;
      }
      // Falling through resets the count, so a loop nested in another one runs fully each time round.
      counts.delete(actionId);
      return false;
    },
  };
}

/** The narrow context one action executes with. */
export function actionContext(scope: ActionScope, actionId: string): ActionContext {
  const { activeflow, ports } = scope;
  return {
    activeflowId: activeflow.id,
    customerId: activeflow.customer_id,
    actionId,
    callId: scope.callId,
    clock: scope.clock,
    logger: scope.logger,
    calls: ports.calls,
    conferences: ports.conferences,
    http: ports.http,
    flows: ports.flows,
    variables: {
      get: (name) => (Object.hasOwn(activeflow.variables, name) ? (activeflow.variables[name] ?? '') : ''),
      set: (name, value) => setVariable(activeflow, name, value),
    },
    digits: scope.digits,
    loops: scope.loops,
    parseActions: (raw, field) => scope.parseActions(raw, field),
    snapshot: () => snapshot(activeflow),
    background: (what, work) => scope.background(what, work),
  };
}
