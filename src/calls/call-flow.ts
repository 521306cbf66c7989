import { NIL_UUID } from '../shared/index.ts';
import { hangupLocally } from './call-ending.ts';
import type { LiveCall } from './live-call.ts';
import type { FlowSource } from './ports.ts';

/** Starts the call's activeflow once (at answer, at ringing with `early_execution`, at once for incoming calls). */
export function startFlow(live: LiveCall): void {
  const activeflowId = live.call.activeflow_id;
  if (live.state.flowStarted || activeflowId === NIL_UUID) return;
  live.state.flowStarted = true;
  // Not awaited: the flow's first actions call back into this call's queue, which this operation holds.
  live.rt.background(live.rt.flows.execute(activeflowId), `execute activeflow ${activeflowId}`);
}

/** The flow of the call ended by itself: callbin hangs the call up (seed: "End the Call"). */
export async function onFlowEnded(live: LiveCall, activeflowId: string): Promise<void> {
  if (live.call.status === 'hangup' || live.call.activeflow_id !== activeflowId) return;
  await hangupLocally(live);
}

/** Stops the running activeflow and gives the call a new one (`POST /calls/{id}/redirect`). */
export async function redirectFlow(live: LiveCall, source: FlowSource, variables: Record<string, string>): Promise<void> {
  live.requireLive();
  const { flows } = live.rt;
  await flows.validate(live.call.customer_id, source);
  const previous = live.call.activeflow_id;
  const wasStarted = live.state.flowStarted;
  if (previous !== NIL_UUID) await flows.stop(previous);
  const created = await flows.create({ customer_id: live.call.customer_id, call_id: live.id, source, variables });
  live.state.flowStarted = false;
  await live.update({ flow_id: created.flow_id, activeflow_id: created.activeflow_id });
  if (wasStarted || live.call.status === 'progressing') startFlow(live);
}
