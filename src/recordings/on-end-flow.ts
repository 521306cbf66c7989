import { NIL_UUID, type Logger } from '../shared/index.ts';
import type { RecordingEndReason, RecordingServiceEvents } from './recording-service.ts';

/** Starts a stored flow without a call (FlowEngine.startForApi); resolves once it was created. */
export interface OnEndFlowStarter {
  startForApi(request: { customer_id: string; flow_id: string; variables: Record<string, string> }): Promise<unknown>;
}

/** The ended event of a RecordingService, as the on-end flows subscribe to it. */
export interface RecordingEndSource {
  on(event: 'ended', listener: (...args: RecordingServiceEvents['ended']) => void): unknown;
}

/**
 * Runs a recording's `on_end_flow_id` (when not nil) as an API activeflow once the recording ends,
 * with the variables `recording_id` and `recording_reference_id`. A recording ended by its deletion
 * runs nothing; a flow that cannot start (missing, invalid) is logged and ignored.
 */
export function runOnEndFlows(recordings: RecordingEndSource, flows: OnEndFlowStarter, logger: Logger): void {
  recordings.on('ended', (recording, reason: RecordingEndReason) => {
    const flowId = recording.on_end_flow_id;
    if (flowId === '' || flowId === NIL_UUID || reason === 'deleted') return;
    const variables = { recording_id: recording.id, recording_reference_id: recording.reference_id };
    flows.startForApi({ customer_id: recording.customer_id, flow_id: flowId, variables }).catch((err: unknown) => {
      logger.warn({ err, recording_id: recording.id, flow_id: flowId }, 'recording on_end flow not started');
    });
  });
}
