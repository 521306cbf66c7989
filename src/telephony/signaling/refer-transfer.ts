import type { Address, CallService, TransferEvent } from '../../calls/index.ts';
import { E164_RE, EXTENSION_RE } from '../../calls/index.ts';
import { AppError, NotFoundError, ValidationError, silentLogger } from '../../shared/index.ts';
import type { Logger } from '../../shared/index.ts';
import type { IncomingRefer } from '../../sip/index.ts';
import { parseNameAddr } from '../../sip/index.ts';
import { replacesOfReferTo } from './replaces-dialogs.ts';
import type { ReplacesTarget } from './replaces-dialogs.ts';
import { takeReplacesRefer } from './replaces-transfer.ts';
import type { ReplacesDialogs } from './replaces-transfer.ts';

/** Where a call leg hands an in-dialog REFER it received (RFC 3515). */
export interface ReferSink {
  /** A REFER arrived on the dialog of media leg `legId`; the sink answers it. */
  referred(legId: string, refer: IncomingRefer): void;
}

/** What {@link PhoneReferTransfers} needs; `calls` is late-bound because legs exist before the service. */
export interface PhoneReferTransfersOptions {
  calls: () => CallService;
  /** Finds the call leg a REFER's Replaces names; without it every Replaces matches no dialog. */
  dialogs?: ReplacesDialogs;
  logger?: Logger;
}

/**
 * The referred target as an API address: `+E164` → tel, an extension name → extension; the dialog a
 * Replaces in the URI names (RFC 3891 §3: the end of an attended transfer); else undefined.
 */
export function referTarget(referTo: string): Address | { replaces: ReplacesTarget } | undefined {
  const replaces = replacesOfReferTo(referTo);
  if (replaces === 'malformed') return undefined;
  if (replaces) return { replaces };
  let uri: ReturnType<typeof parseNameAddr>['uri'];
  try {
    uri = parseNameAddr(referTo.trim()).uri;
  } catch {
    return undefined;
  }
  const user = decodeURIComponent(uri.user ?? '');
  const base = { target_name: '', name: '', detail: '' };
  if (E164_RE.test(user)) return { ...base, type: 'tel', target: user };
  if (EXTENSION_RE.test(user)) return { ...base, type: 'extension', target: user };
  return undefined;
}

/** The SIP status that refuses a REFER whose transfer could not start. */
function refusalStatus(err: unknown): number {
  if (err instanceof ValidationError) return 400;
  if (err instanceof NotFoundError) return 404;
  if (err instanceof AppError) return 403;
  return 500;
}

/** The NOTIFY sipfrag for a transfer event (RFC 3515 §2.4.5), or undefined when nothing is to be told. */
function sipfragOf(event: TransferEvent): string | undefined {
  switch (event.type) {
    case 'transfer_ringing':
      return 'SIP/2.0 180 Ringing';
    case 'transfer_completed':
      return 'SIP/2.0 200 OK';
    case 'transfer_failed':
      return 'SIP/2.0 480 Temporarily Unavailable';
    case 'transfer_canceled':
      return 'SIP/2.0 487 Request Terminated';
    default:
      return undefined;
  }
}

/**
 * Transfers asked by a phone (docs/calls.md "Transfer"): a REFER on the agent's dialog starts the
 * same blind transfer as `POST /transfers` (the REFER's call as transferer), is answered 202, and the
 * transfer's progress is reported in NOTIFYs until it completes or fails. A REFER whose Refer-To
 * carries Replaces finishes an attended transfer (RFC 5589 §7, `takeReplacesRefer`).
 */
export class PhoneReferTransfers implements ReferSink {
  readonly #o: PhoneReferTransfersOptions;
  readonly #logger: Logger;
  readonly #pending = new Set<Promise<void>>();

  constructor(options: PhoneReferTransfersOptions) {
    this.#o = options;
    this.#logger = (options.logger ?? silentLogger).child({ module: 'refer-transfer' });
  }

  referred(legId: string, refer: IncomingRefer): void {
    const work = this.#take(legId, refer).catch((err: unknown) => {
      this.#logger.error({ err }, 'REFER not handled');
      if (!refer.answered) refer.reject(500);
    });
    const tracked = work.finally(() => this.#pending.delete(tracked));
    this.#pending.add(tracked);
  }

  /** Resolves once every REFER received so far was answered. */
  async whenIdle(): Promise<void> {
    await Promise.allSettled([...this.#pending]);
  }

  async #take(legId: string, refer: IncomingRefer): Promise<void> {
    const calls = this.#o.calls();
    const call = calls.listLive().find((c) => calls.legId(c.id) === legId);
    if (!call) return refer.reject(481, 'Call Does Not Exist');
    const target = referTarget(refer.referTo);
    if (target === undefined) return refer.reject(400, 'Unsupported Refer-To');
    if ('replaces' in target)
      return takeReplacesRefer({ calls, dialogs: this.#o.dialogs, logger: this.#logger }, call, refer, target.replaces);
    let transferId: string;
    const events: TransferEvent[] = [];
    const off = calls.transfers.onEvent((e) => events.push(e));
    try {
      const transfer = await calls.transfers.create({
        customer_id: call.customer_id,
        type: 'blind',
        transferer_call_id: call.id,
        transferee: target,
      });
      transferId = transfer.id;
    } catch (err) {
      off();
      this.#logger.info({ err, call_id: call.id }, 'REFER refused');
      return refer.reject(refusalStatus(err));
    }
    off();
    refer.accept();
    this.#follow(transferId, refer, events);
  }

  /** Sends a NOTIFY for each step of the transfer, including those that happened before the 202. */
  #follow(transferId: string, refer: IncomingRefer, earlier: readonly TransferEvent[]): void {
    const calls = this.#o.calls();
    let off: (() => void) | undefined;
    const tell = (event: TransferEvent): void => {
      if (event.transfer.id !== transferId) return;
      const sipfrag = sipfragOf(event);
      if (sipfrag === undefined) return;
      if (!sipfrag.startsWith('SIP/2.0 1')) off?.();
      // A phone that hung up meanwhile cannot take the NOTIFY; nothing is left to tell it.
      refer.notify(sipfrag).catch((err: unknown) => this.#logger.debug({ err }, 'refer NOTIFY not delivered'));
    };
    off = calls.transfers.onEvent(tell);
    for (const event of earlier) tell(event);
  }
}
