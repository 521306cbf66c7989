import type { Call, CallService, TransferEvent } from '../../calls/index.ts';
import { hasCode } from '../../shared/index.ts';
import type { ErrorCode, Logger } from '../../shared/index.ts';
import type { IncomingRefer } from '../../sip/index.ts';
import type { ReplacesMatch, ReplacesTarget } from './replaces-dialogs.ts';

/** Finds the call leg a Replaces names (LegDialogIndex). */
export interface ReplacesDialogs {
  match(target: ReplacesTarget): ReplacesMatch;
}

/** RFC 3891 §3: no dialog matches (unknown, ended, another customer's: they are not told apart). */
const NOT_FOUND = 'SIP/2.0 481 Replaced Dialog Not Found';

/** The sipfrag (RFC 3515 §2.4.5) that reports why a transfer by Replaces could not start. */
function refusalSipfrag(err: unknown): string {
  const sipfrags: [ErrorCode, string][] = [
    ['CALL_NOT_FOUND', NOT_FOUND],
    // RFC 3891 §3: a dialog that ended meanwhile is declined.
    ['CALL_ALREADY_HANGUP', 'SIP/2.0 603 Replaced Dialog Ended'],
    ['CALL_STATE_INVALID', 'SIP/2.0 481 Replaced Dialog Not Confirmed'],
    ['TRANSFER_IN_PROGRESS', 'SIP/2.0 491 Transfer In Progress'],
    ['TRANSFER_NOT_SUPPORTED', 'SIP/2.0 403 Calls Not Transferable'],
  ];
  return sipfrags.find(([code]) => hasCode(err, code))?.[1] ?? 'SIP/2.0 500 Transfer Failed';
}

/**
 * A REFER with Replaces on a call's dialog (RFC 5589 §7, docs/calls.md "Transfer"): accepted 202,
 * then the dialog the Replaces names is looked up among this process's call legs — it must be a
 * confirmed dialog of a live call of the same customer (an unknown dialog, another customer's or
 * an ended one: 481; an early one: 481, RFC 3891 §3; `early-only` naming a confirmed dialog: 486) —
 * and TransferService.replace joins the two far ends. The outcome is the NOTIFY sipfrag: `200 OK`
 * once `transfer_completed` is committed (before A's calls get their BYE), or the failure.
 */
export async function takeReplacesRefer(
  o: { calls: CallService; dialogs: ReplacesDialogs | undefined; logger: Logger },
  call: Call,
  refer: IncomingRefer,
  target: ReplacesTarget,
): Promise<void> {
  refer.accept();
  const tell = (sipfrag: string): void => {
    // A phone that hung up meanwhile cannot take the NOTIFY; nothing is left to tell it.
    refer.notify(sipfrag).catch((err: unknown) => o.logger.debug({ err }, 'refer NOTIFY not delivered'));
  };
  const found = o.dialogs?.match(target) ?? { kind: 'none' };
  if (found.kind === 'early') return tell('SIP/2.0 481 Replaced Dialog Not Confirmed');
  const replaced =
    found.kind === 'leg' ? o.calls.listLive().find((c) => o.calls.legId(c.id) === found.legId) : undefined;
  if (!replaced || replaced.customer_id !== call.customer_id) {
    o.logger.info({ call_id: call.id, replaces_call_id: target.callId }, 'REFER with Replaces: no such dialog');
    return tell(NOT_FOUND);
  }
  if (target.earlyOnly) return tell('SIP/2.0 486 Busy Here');
  const ours = (e: TransferEvent): boolean =>
    e.transfer.transferer_call_id === call.id && e.transfer.replaced_call_id === replaced.id;
  const off = o.calls.transfers.onEvent((e) => {
    if (!ours(e)) return;
    if (e.type === 'transfer_completed') tell('SIP/2.0 200 OK');
    if (e.type === 'transfer_failed') tell('SIP/2.0 500 Transfer Failed');
  });
  try {
    await o.calls.transfers.replace({
      customer_id: call.customer_id,
      transferer_call_id: call.id,
      replaced_call_id: replaced.id,
    });
  } catch (err) {
    o.logger.info({ err, call_id: call.id }, 'REFER with Replaces refused');
    tell(refusalSipfrag(err));
  } finally {
    off();
  }
}
