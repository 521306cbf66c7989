import type { Clock, Logger } from '../../shared/index.ts';
import type { DialogSnapshot, UserAgent } from '../../sip/index.ts';
import { parseDialogSnapshot } from '../../sip/index.ts';
import type { Store } from '../../store/index.ts';

/** What one call leg's confirmed dialog writes down (see {@link DialogJournal}). */
export interface LegJournal {
  /** The dialog was confirmed or changed (CSeq, target refresh, route set): keep this state. */
  save(snapshot: DialogSnapshot): void;
  /** The dialog ended: forget it. */
  remove(): void;
}

/**
 * Keeps the state of every confirmed dialog of a call in the store (`call_dialogs`), so that a
 * process restarted after a crash can BYE the far ends of the calls it reconciles
 * (docs/architecture.md "Calls"; RFC 3261 §15.1.1). Writes of one leg run one after another, in order;
 * a failed write is logged and the next one carries the whole state again.
 */
export class DialogJournal {
  readonly #store: Pick<Store, 'calls'>;
  readonly #clock: Clock;
  readonly #logger: Logger;
  /** The tail of each leg's writes; an entry lives while its leg has writes pending. */
  readonly #tails = new Map<string, Promise<void>>();

  constructor(o: { store: Pick<Store, 'calls'>; clock: Clock; logger: Logger }) {
    this.#store = o.store;
    this.#clock = o.clock;
    this.#logger = o.logger;
  }

  /** The journal of leg `legId`; `callId` is read at each write (an incoming call gets its id after the leg). */
  forLeg(legId: string, callId: () => string): LegJournal {
    return {
      save: (snapshot) =>
        this.#enqueue(legId, callId, () =>
          this.#store.calls.saveDialog(
            { leg_id: legId, call_id: callId(), dialog: snapshot },
            new Date(this.#clock.now()).toISOString(),
          ),
        ),
      remove: () => this.#enqueue(legId, callId, () => this.#store.calls.removeDialog(legId)),
    };
  }

  /** Resolves once every write queued so far is done. */
  async whenIdle(): Promise<void> {
    while (this.#tails.size > 0) await Promise.allSettled([...this.#tails.values()]);
  }

  #enqueue(legId: string, callId: () => string, write: () => Promise<void>): void {
    const tail = (this.#tails.get(legId) ?? Promise.resolve())
      .then(write)
      .catch((err: unknown) => this.#logger.warn({ err, call_id: callId(), leg_id: legId }, 'dialog state not stored'));
    this.#tails.set(legId, tail);
    void tail.finally(() => {
      if (this.#tails.get(legId) === tail) this.#tails.delete(legId);
    });
  }
}

/**
 * Crash recovery: every dialog state left in the store belongs to a process that is gone (the calls
 * it served were reconciled to hangup just before). With `nodeId`, only the dialogs that node
 * stored: this node's previous incarnation at start-up, or a dead node (docs/cluster.md "Node
 * health"). Each far end gets a BYE built from the stored state, all in parallel; the returned
 * promise settles once every BYE was answered or timed out — callers need not wait for it. Rows are
 * removed once their BYE was sent.
 */
export async function byeLeftoverDialogs(o: {
  store: Pick<Store, 'calls'>;
  ua: Pick<UserAgent, 'sendByeFromState'>;
  logger: Logger;
  nodeId?: string | undefined;
}): Promise<number> {
  const rows = await o.store.calls.listDialogs(o.nodeId === undefined ? {} : { nodeId: o.nodeId });
  await Promise.allSettled(
    rows.map(async (row) => {
      const snapshot = parseDialogSnapshot(row.dialog);
      try {
        if (!snapshot) {
          o.logger.warn({ leg_id: row.leg_id, call_id: row.call_id }, 'stored dialog state unusable: no BYE sent');
          return;
        }
        const res = await o.ua.sendByeFromState(snapshot);
        o.logger.info(
          { call_id: row.call_id, sip_call_id: snapshot.callId, status: res?.status ?? 0 },
          'BYE sent for a call a previous process left up',
        );
      } catch (err) {
        o.logger.warn({ err, call_id: row.call_id }, 'BYE for a leftover dialog not sent');
      } finally {
        await o.store.calls
          .removeDialog(row.leg_id)
          .catch((err: unknown) => o.logger.warn({ err }, 'leftover dialog state not removed'));
      }
    }),
  );
  return rows.length;
}
