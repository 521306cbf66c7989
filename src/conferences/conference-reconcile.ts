import { NIL_UUID, type Logger } from '../shared/index.ts';
import { moveConference, moveConferencecall, snapshot } from './conference.ts';
import type { Conference } from './conference.ts';
import type { ConferenceCallsPort, ConferenceStorePort } from './ports.ts';

/**
 * Ends a stored conference whose room was on a node that is gone (docs/cluster.md "Node health"),
 * with the changes and events of a room closing (docs/media.md "Conferences"): `terminating`, every
 * member leaves (`conferencecall_leaved`, `conference_updated`), then `terminated`. Nothing is left
 * to mix: the media were on the dead node. Changes are stamped `nowIso`. Returns the ended conference.
 */
export async function endStoredConference(
  d: { store: ConferenceStorePort; calls: ConferenceCallsPort; logger: Logger },
  stored: Conference,
  nowIso: string,
): Promise<Conference> {
  const conference = snapshot(stored);
  const save = d.store.save.bind(d.store);
  if (conference.status === 'progressing') {
    moveConference(conference, 'terminating', nowIso);
    await save({ conference, events: [{ type: 'conference_updated', conference: snapshot(conference) }] });
  }
  for (const ccId of [...conference.conferencecall_ids]) {
    const cc = await d.store.getConferencecall(ccId);
    conference.conferencecall_ids = conference.conferencecall_ids.filter((id) => id !== ccId);
    conference.tm_update = nowIso;
    if (!cc || cc.status === 'leaved') {
      await save({ conference, events: [{ type: 'conference_updated', conference: snapshot(conference) }] });
      continue;
    }
    if (cc.status === 'joined') moveConferencecall(cc, 'leaving', nowIso);
    moveConferencecall(cc, 'leaved', nowIso);
    await save({
      conference,
      conferencecall: cc,
      events: [
        { type: 'conferencecall_leaved', conferencecall: snapshot(cc) },
        { type: 'conference_updated', conference: snapshot(conference) },
      ],
    });
    // A member's call on a live node is told it left; one of the dead node is hung up already.
    await d.calls
      .setConference(cc.reference_id, NIL_UUID)
      .catch((err: unknown) => d.logger.debug({ err }, 'call not told it left'));
  }
  moveConference(conference, 'terminated', nowIso);
  await save({ conference, events: [{ type: 'conference_updated', conference: snapshot(conference) }] });
  return snapshot(conference);
}
