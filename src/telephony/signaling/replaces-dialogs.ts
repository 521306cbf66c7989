import type { Dialog } from '../../sip/index.ts';
import { dialogKey } from '../../sip/index.ts';
import { DialogJournal } from './dialog-journal.ts';
import type { LegJournal } from './dialog-journal.ts';

/** The dialog a Replaces header names (RFC 3891 §6.1): Call-ID, both tags, and the `early-only` flag. */
export interface ReplacesTarget {
  callId: string;
  toTag: string;
  fromTag: string;
  earlyOnly: boolean;
}

/** The longest Replaces value taken (Call-ID and tags are far shorter); longer is malformed. */
const MAX_REPLACES_LENGTH = 1024;

/**
 * The Replaces header value `callid;to-tag=a;from-tag=b[;early-only]` (RFC 3891 §6.1), or
 * undefined when it lacks the Call-ID or a tag, or is too long.
 */
export function parseReplaces(value: string): ReplacesTarget | undefined {
  if (value.length > MAX_REPLACES_LENGTH) return undefined;
  const [callId, ...params] = value.split(';').map((p) => p.trim());
  if (!callId || /\s/.test(callId)) return undefined;
  let toTag = '';
  let fromTag = '';
  let earlyOnly = false;
  for (const param of params) {
    const [name = '', tag = ''] = param.split('=', 2).map((p) => p.trim());
    if (name.toLowerCase() === 'to-tag') toTag = tag;
    else if (name.toLowerCase() === 'from-tag') fromTag = tag;
    else if (name.toLowerCase() === 'early-only') earlyOnly = true;
  }
  return toTag && fromTag ? { callId, toTag, fromTag, earlyOnly } : undefined;
}

/**
 * The Replaces a Refer-To carries as a URI header (RFC 3891 §3, RFC 5589 §7:
 * `<sip:c@host?Replaces=id%3Bto-tag%3Da%3Bfrom-tag%3Db>`, brackets or not): undefined when it carries
 * none, `'malformed'` when the value cannot be decoded or lacks a part.
 */
export function replacesOfReferTo(referTo: string): ReplacesTarget | 'malformed' | undefined {
  const m = /[?&]replaces=([^&>\s]*)/i.exec(referTo);
  if (!m) return undefined;
  let value: string;
  try {
    value = decodeURIComponent(m[1] ?? '');
  } catch {
    return 'malformed';
  }
  return parseReplaces(value) ?? 'malformed';
}

/** What a Replaces matches among this process's dialogs. */
export type ReplacesMatch =
  /** A confirmed dialog of a call leg. */
  | { kind: 'leg'; legId: string }
  /** A dialog still early (no 2xx yet): callbin does not replace those (RFC 3891 §3). */
  | { kind: 'early' }
  /** No dialog (unknown, ended, or not a call leg's). */
  | { kind: 'none' };

/**
 * The dialog journal (crash recovery) that also indexes each call leg's confirmed dialog by its id,
 * so a REFER's Replaces (docs/calls.md "Transfer") finds the call leg it names. Tags are matched in
 * either order: RFC 3891 §3 names them as the dialog's recipient sees it, and phones differ.
 */
export class LegDialogIndex extends DialogJournal {
  /** Dialog id (Call-ID, local tag, remote tag) → leg id. */
  readonly #legs = new Map<string, string>();
  /** Leg id → its dialog id. */
  readonly #keys = new Map<string, string>();
  #dialogs: () => readonly Dialog[] = () => [];

  /** Where early dialogs are looked for (the user agent's live dialogs). */
  watch(dialogs: () => readonly Dialog[]): void {
    this.#dialogs = dialogs;
  }

  override forLeg(legId: string, callId: () => string): LegJournal {
    const inner = super.forLeg(legId, callId);
    return {
      save: (snapshot) => {
        const key = dialogKey(snapshot.callId, snapshot.localTag, snapshot.remoteTag);
        this.#keys.set(legId, key);
        this.#legs.set(key, legId);
        inner.save(snapshot);
      },
      remove: () => {
        const key = this.#keys.get(legId);
        this.#keys.delete(legId);
        if (key !== undefined && this.#legs.get(key) === legId) this.#legs.delete(key);
        inner.remove();
      },
    };
  }

  /** The call leg whose confirmed dialog `target` names, or whether it names an early dialog or none. */
  match(target: ReplacesTarget): ReplacesMatch {
    const keys = [
      dialogKey(target.callId, target.toTag, target.fromTag),
      dialogKey(target.callId, target.fromTag, target.toTag),
    ];
    for (const key of keys) {
      const legId = this.#legs.get(key);
      if (legId !== undefined) return { kind: 'leg', legId };
    }
    const early = this.#dialogs().some((d) => d.state === 'early' && keys.includes(d.id));
    return early ? { kind: 'early' } : { kind: 'none' };
  }
}
