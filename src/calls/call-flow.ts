import { NIL_UUID } from '../shared/index.ts';
import { hangupLocally } from './call-ending.ts';
import type { LiveCall } from './live-call.ts';
import type { FlowSource } from './ports.ts';

/** The flow of the call ended by itself: callbin hangs the call up (docs/flows.md "Execution"). */
export async function onFlowEnded(live: LiveCall, activeflowId: string): Promise<void> {
  if (live.call.status === 'hangup' || live.call.activeflow_id !== activeflowId) return;
  await hangupLocally(live);
}

/** Stops the running activeflow and gives the call a new one (`POST /calls/{id}/redirect`). */
export async function redirectFlow(
  live: LiveCall,
  source: FlowSource,
  variables: Record<string, string>,
): Promise<void> {
  live.requireLive();
  const { flows } = live.rt;
  await flows.validate(live.call.customer_id, source);
  const previous = live.call.activeflow_id;
  if (previous !== NIL_UUID) await flows.stop(previous);
  const created = await flows.create({ customer_id: live.call.customer_id, call_id: live.id, source, variables });
  const wasStarted = live.replaceFlow();
  await live.update({ flow_id: created.flow_id, activeflow_id: created.activeflow_id });
  if (wasStarted || live.call.status === 'progressing') live.startFlow();
}
