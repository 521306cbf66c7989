import type { CallService, GroupcallService, TransferService } from '../calls/index.ts';
import type { ConferenceService } from '../conferences/index.ts';
import type { FlowEngine } from '../flows/index.ts';
import type { RecordingService } from '../recordings/index.ts';
import type { Store } from '../store/index.ts';

/** What a survivor uses to reconcile a dead node (docs/cluster.md "Node health"); main.ts builds it. */
export interface DeadNodeSteps {
  calls: Pick<CallService, 'reconcile'>;
  flows: Pick<FlowEngine, 'reconcile'>;
  conferences: Pick<ConferenceService, 'reconcile'>;
  recordings: Pick<RecordingService, 'endOrphaned'>;
  /** Its groupcalls left `progressing` end (`groupcall_hangup`) once its calls are reconciled. */
  groupcalls?: Pick<GroupcallService, 'reconcile'>;
  /** Its transfers left running end `failed` (`end_reason` `restart`, docs/calls.md "Transfer"). */
  transfers?: Pick<TransferService, 'reconcile'>;
  deliveries: Pick<Store['deliveries'], 'releaseLeasesTakenBy'>;
  /**
   * BYE the far ends of the node's stored dialogs (RFC 3261 §15.1.1); resolves once every BYE was
   * answered or timed out, so it is not waited for.
   */
  byeDialogs(nodeId: string): Promise<number>;
}

/** What the reconciliation of one dead node did. */
export interface DeadNodeReport {
  calls: number;
  flows: number;
  rooms: number;
  recordings: number;
  groupcalls: number;
  transfers: number;
  /** Webhook deliveries it had leased, queued again for the survivors' workers. */
  deliveries: number;
  /** Steps that failed (logged each); the others ran. */
  failed: string[];
}

/**
 * Reconciles dead node `nodeId`, last alive at `lastAliveMs` (its last heartbeat), in the order of a
 * start-up reconciliation: its activeflows end, its calls hang up (`reconcile`, at its last beat),
 * its groupcalls and transfers end, and the calls' far ends get a BYE (not waited for), its conference rooms end, its unfinished recordings
 * end with what is known (their files stay on its disk), and its delivery leases taken up to
 * `leasesUpToMs` are freed so its queued events leave now, not when the lease ends.
 */
export async function reconcileDeadNode(
  steps: DeadNodeSteps,
  o: { nodeId: string; lastAliveMs: number; leasesUpToMs: number; onError(step: string, err: unknown): void },
): Promise<DeadNodeReport> {
  const report: DeadNodeReport = {
    calls: 0,
    flows: 0,
    rooms: 0,
    recordings: 0,
    groupcalls: 0,
    transfers: 0,
    deliveries: 0,
    failed: [],
  };
  const { nodeId, lastAliveMs } = o;
  const step = async (name: string, run: () => Promise<void>): Promise<void> => {
    try {
      await run();
    } catch (err) {
      report.failed.push(name);
      o.onError(name, err);
    }
  };
  await step('activeflows', async () => {
    report.flows = (await steps.flows.reconcile({ nodeId })).length;
  });
  await step('calls', async () => {
    report.calls = (await steps.calls.reconcile({ nodeId, lastAliveMs })).length;
  });
  await step('groupcalls', async () => {
    report.groupcalls = (await steps.groupcalls?.reconcile({ nodeId }))?.length ?? 0;
  });
  await step('transfers', async () => {
    report.transfers = (await steps.transfers?.reconcile({ nodeId, lastAliveMs }))?.length ?? 0;
  });
  void steps.byeDialogs(nodeId).catch((err: unknown) => o.onError('dialogs', err));
  await step('conferences', async () => {
    report.rooms = (await steps.conferences.reconcile({ nodeId, atMs: lastAliveMs })).length;
  });
  await step('recordings', async () => {
    report.recordings = (await steps.recordings.endOrphaned({ nodeId, lastAliveMs })).length;
  });
  await step('deliveries', async () => {
    report.deliveries = await steps.deliveries.releaseLeasesTakenBy(new Date(o.leasesUpToMs).toISOString());
  });
  return report;
}
