// The checks of the crash-under-load scenario (docs/events.md "Webhook delivery": durable before
// told, at least once, in `seq` order per resource), as a pure function of what the store holds
// after the restart and what the webhook receiver got, in arrival order.

/** An event as the store holds it after the restart. */
export interface StoredEventView {
  event_id: string;
  resource_type: string;
  resource_id: string;
  seq: number;
  type: string;
  data: any;
}

/** A webhook request as the receiver recorded it, in arrival order. */
export interface ReceivedView {
  status: number;
  json: any;
}

/** What callers and API clients were told before the kill. */
export interface ToldView {
  /** `source.target_name` of every incoming call the caller saw answered (200 OK received). */
  answeredNames: ReadonlySet<string>;
  /** Ids of calls `POST /v1.0/calls` answered 2xx. */
  apiCallIds: ReadonlySet<string>;
}

/** The figures of one run and every violation found (empty = nothing lost, nothing out of order). */
export interface CrashCheck {
  calls: number;
  activeflows: number;
  /** Calls the restart ended (`hangup_by` local, `hangup_reason` failed). */
  endedByRestart: number;
  eventsStored: number;
  webhooksReceived: number;
  duplicates: number;
  lost: number;
  disorder: number;
  /** Calls a caller or the API was told about whose told state the store lacks. */
  toldNotStored: number;
  problems: string[];
  /** Observations that are not violations (an activeflow whose call the store lacks). */
  notes: string[];
}

const MAX_LISTED = 15;

/** Checks `received` against `stored` and `told`; see {@link CrashCheck}. */
export function checkCrashLoad(
  stored: readonly StoredEventView[],
  received: readonly ReceivedView[],
  told: ToldView,
): CrashCheck {
  const problems: string[] = [];
  const notes: string[] = [];
  const note = (() => {
    const counts = new Map<string, number>();
    return (kind: string, text: string) => {
      const n = (counts.get(kind) ?? 0) + 1;
      counts.set(kind, n);
      if (n <= MAX_LISTED) problems.push(text);
      else if (n === MAX_LISTED + 1) problems.push(`${kind}: more than ${MAX_LISTED}, the rest not listed`);
    };
  })();

  const byResource = new Map<string, StoredEventView[]>();
  const byEventId = new Map<string, StoredEventView>();
  for (const e of stored) {
    byEventId.set(e.event_id, e);
    const list = byResource.get(e.resource_id) ?? [];
    list.push(e);
    byResource.set(e.resource_id, list);
  }

  // The store itself: seq 1..n per resource; every call ended by a call_hangup, every activeflow ended.
  let calls = 0;
  let activeflows = 0;
  let endedByRestart = 0;
  for (const [id, events] of byResource) {
    events.sort((a, b) => a.seq - b.seq);
    const type = events[0]?.resource_type ?? '';
    const seqs = events.map((e) => e.seq);
    if (!seqs.every((s, i) => s === i + 1)) note('store gap', `store: ${type} ${id} seqs ${seqs.join(',')}`);
    const last = events.at(-1);
    if (type === 'call') {
      calls++;
      if (last?.type !== 'call_hangup') note('not ended', `store: call ${id} ends with ${last?.type}, not call_hangup`);
      else if (last.data?.hangup_by === 'local' && last.data?.hangup_reason === 'failed') endedByRestart++;
    } else if (type === 'activeflow') {
      activeflows++;
      if (last?.data?.status !== 'ended') note('not ended', `store: activeflow ${id} last event is not ended`);
      const ref = events[0]?.data?.reference_id;
      if (events[0]?.data?.reference_type === 'call' && !byResource.has(ref))
        notes.push(`activeflow ${id} of call ${ref}, not in the store: ${events.map((e) => e.type).join(' ')}`);
    }
  }

  // Delivery: every stored event received at least once, nothing received that the store lacks,
  // first arrivals in seq order per resource.
  const receivedCount = new Map<string, number>();
  const firstSeqMax = new Map<string, number>();
  const seenSeqs = new Map<string, Set<number>>();
  let disorder = 0;
  for (const r of received) {
    if (r.status < 200 || r.status >= 300) note('receiver', `receiver answered ${r.status}`);
    const eventId = r.json?.event_id;
    const resourceId = r.json?.data?.id;
    if (typeof eventId !== 'string' || typeof resourceId !== 'string') {
      note('malformed', 'a webhook without event_id or data.id');
      continue;
    }
    receivedCount.set(eventId, (receivedCount.get(eventId) ?? 0) + 1);
    const inStore = byEventId.get(eventId);
    if (!inStore) note('phantom', `delivered ${r.json.type} seq ${r.json.seq} of ${resourceId} is not in the store`);
    else if (inStore.seq !== r.json.seq || inStore.resource_id !== resourceId)
      note('mismatch', `delivered event ${eventId} differs from the stored one`);
    const seen = seenSeqs.get(resourceId) ?? new Set<number>();
    seenSeqs.set(resourceId, seen);
    const seq = Number(r.json.seq);
    if (seen.has(seq)) continue;
    seen.add(seq);
    const max = firstSeqMax.get(resourceId) ?? 0;
    if (seq < max) {
      disorder++;
      note('disorder', `${resourceId}: seq ${seq} first arrived after seq ${max}`);
    } else firstSeqMax.set(resourceId, seq);
  }
  let lost = 0;
  for (const e of stored) {
    if (receivedCount.has(e.event_id)) continue;
    lost++;
    note('lost', `never delivered: ${e.resource_type} ${e.resource_id} seq ${e.seq} ${e.type}`);
  }

  // What was told before the kill is in the store: answered calls reached progressing, API calls exist.
  const progressedNames = new Set<string>();
  const callsNamed = new Map<string, string[]>();
  for (const [id, events] of byResource) {
    const first = events[0];
    if (first?.resource_type !== 'call' || first.data?.direction !== 'incoming') continue;
    const name = String(first.data?.source?.target_name ?? '');
    if (events.some((e) => e.data?.status === 'progressing')) progressedNames.add(name);
    const trail = events.map((e) => `${e.type}${e.data?.status ? `(${e.data.status})` : ''}`).join(' ');
    callsNamed.set(name, [...(callsNamed.get(name) ?? []), `${id}: ${trail}`]);
  }
  let toldNotStored = 0;
  for (const name of told.answeredNames) {
    if (progressedNames.has(name)) continue;
    toldNotStored++;
    const seen = callsNamed.get(name)?.join('; ') ?? 'none';
    note('told', `caller ${name} got a 200 OK but no stored call of it progressed (stored calls: ${seen})`);
  }
  for (const id of told.apiCallIds) {
    if (byResource.get(id)?.[0]?.type === 'call_created') continue;
    toldNotStored++;
    note('told', `POST /calls answered call ${id}, not in the store`);
  }

  let total = 0;
  for (const n of receivedCount.values()) total += n;
  return {
    calls,
    activeflows,
    endedByRestart,
    eventsStored: stored.length,
    webhooksReceived: received.length,
    duplicates: total - receivedCount.size,
    lost,
    disorder,
    toldNotStored,
    problems,
    notes,
  };
}
