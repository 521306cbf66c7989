import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { getCSeq, getCallId, getTag } from '../message/index.ts';
import type { IncomingInvite } from './incoming-invite.ts';
import { parseDialogSnapshot } from './dialog-snapshot.ts';
import { createUaPair } from '../testing/ua-pair.ts';
import type { UaPair } from '../testing/ua-pair.ts';

const SDP = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n';
let pair: UaPair;

afterEach(async () => {
  await pair.close();
});

describe('dialog snapshots (crash recovery)', () => {
  it("a BYE built from stored state alone ends the far end's dialog: same Call-ID and tags, a CSeq above the last one sent", async () => {
    pair = createUaPair();
    let incoming: IncomingInvite | undefined;
    pair.bob.on('invite', (inv) => {
      incoming = inv;
      inv.accept({ body: SDP, contentType: 'application/sdp' });
    });
    const { dialog } = await pair.alice.invite({
      to: pair.bobUri,
      from: 'sip:alice@127.0.0.1',
      body: SDP,
      contentType: 'application/sdp',
    });
    await pair.settle();
    const bobDialog = incoming?.dialog;
    assert.ok(bobDialog);
    let changes = 0;
    dialog.on('changed', () => changes++);
    assert.equal((await dialog.options()).status, 200);
    assert.equal(changes, 1, 'a request sent in the dialog changes its local CSeq');
    // What the store keeps: JSON text, read back by a process that never saw the dialog.
    const stored = parseDialogSnapshot(JSON.parse(JSON.stringify(dialog.snapshot())));
    assert.ok(stored);
    assert.deepEqual(stored.destination, { transport: 'UDP', host: '127.0.0.1', port: 5062 });
    assert.equal(stored.localSeq, 2);

    const ended = new Promise((resolve) => bobDialog.on('terminated', resolve));
    const res = await pair.alice.sendByeFromState(stored);
    assert.equal(res?.status, 200);
    assert.deepEqual(await ended, { by: 'remote', cause: 'bye' });
    const bye = pair.network.requests('BYE')[0];
    assert.ok(bye?.kind === 'request');
    assert.equal(getCallId(bye), dialog.callId);
    assert.equal(getTag(bye.headers, 'from'), dialog.core.localTag);
    assert.equal(getTag(bye.headers, 'to'), dialog.core.remoteTag);
    assert.equal(getCSeq(bye).seq, 3);
    assert.equal(bye.uri, 'sip:bob@127.0.0.1:5062');
    dialog.terminate({ by: 'remote', cause: 'bye' });
  });

  it('a stored row that is no snapshot is refused, not sent', () => {
    pair = createUaPair();
    assert.equal(parseDialogSnapshot(null), undefined);
    assert.equal(parseDialogSnapshot({ role: 'uac', callId: 'x' }), undefined);
    const good = {
      role: 'uas',
      callId: 'c',
      localTag: 'l',
      remoteTag: 'r',
      localUri: '<sip:a@h>',
      remoteUri: '<sip:b@h>',
      localSeq: 0,
      remoteSeq: 1,
      remoteTarget: 'sip:b@127.0.0.1:5070',
      routeSet: [],
      secure: false,
      destination: { transport: 'UDP', host: '127.0.0.1', port: 5070 },
    };
    assert.ok(parseDialogSnapshot(good));
    assert.equal(parseDialogSnapshot({ ...good, destination: { ...good.destination, port: 0 } }), undefined);
    assert.equal(parseDialogSnapshot({ ...good, destination: { ...good.destination, transport: 'SCTP' } }), undefined);
    assert.equal(parseDialogSnapshot({ ...good, localSeq: -1 }), undefined);
  });
});
