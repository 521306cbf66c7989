import type { TransportProtocol } from '../transport/index.ts';
import type { DialogInit } from './dialog-types.ts';

/**
 * The RFC 3261 §12 state of a confirmed dialog as plain data, to be stored and used after the
 * Dialog object is gone (a restarted process ending the calls a crashed one left up): what
 * §12.2.1.1 builds a request from, and where §12.2.1.1 / RFC 3263 sent the last one.
 */
export interface DialogSnapshot extends Omit<DialogInit, 'state' | 'flow' | 'routeSet'> {
  routeSet: string[];
  /** Where in-dialog requests go; a stream connection does not survive the process, so none is kept. */
  destination: { transport: TransportProtocol; host: string; port: number };
}

const TRANSPORTS: ReadonlySet<string> = new Set<TransportProtocol>(['UDP', 'TCP', 'TLS', 'WS', 'WSS']);

const isText = (v: unknown): v is string => typeof v === 'string';
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < 2 ** 31;

/** A stored snapshot checked field by field; undefined when it is not one (a corrupt or foreign row). */
export function parseDialogSnapshot(value: unknown): DialogSnapshot | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  const dest = v.destination as Record<string, unknown> | undefined;
  if (v.role !== 'uac' && v.role !== 'uas') return undefined;
  if (![v.callId, v.localTag, v.remoteTag, v.localUri, v.remoteUri, v.remoteTarget].every(isText)) return undefined;
  if (!isCount(v.localSeq) || (v.remoteSeq !== undefined && !isCount(v.remoteSeq)) || typeof v.secure !== 'boolean')
    return undefined;
  if (!Array.isArray(v.routeSet) || !v.routeSet.every(isText)) return undefined;
  if (
    typeof dest !== 'object' ||
    dest === null ||
    !isText(dest.transport) ||
    !TRANSPORTS.has(dest.transport) ||
    !isText(dest.host)
  )
    return undefined;
  if (!isCount(dest.port) || dest.port === 0 || dest.port > 65_535) return undefined;
  return {
    role: v.role,
    callId: v.callId as string,
    localTag: v.localTag as string,
    remoteTag: v.remoteTag as string,
    localUri: v.localUri as string,
    remoteUri: v.remoteUri as string,
    localSeq: v.localSeq,
    ...(v.remoteSeq === undefined ? {} : { remoteSeq: v.remoteSeq as number }),
    remoteTarget: v.remoteTarget as string,
    routeSet: [...(v.routeSet as string[])],
    secure: v.secure,
    destination: { transport: dest.transport as TransportProtocol, host: dest.host, port: dest.port },
  };
}

/** The DialogInit of a confirmed dialog rebuilt from its snapshot (no connection to reuse). */
export function initFromSnapshot(s: DialogSnapshot): DialogInit {
  return {
    role: s.role,
    state: 'confirmed',
    callId: s.callId,
    localTag: s.localTag,
    remoteTag: s.remoteTag,
    localUri: s.localUri,
    remoteUri: s.remoteUri,
    localSeq: s.localSeq,
    ...(s.remoteSeq === undefined ? {} : { remoteSeq: s.remoteSeq }),
    remoteTarget: s.remoteTarget,
    routeSet: s.routeSet,
    secure: s.secure,
  };
}
