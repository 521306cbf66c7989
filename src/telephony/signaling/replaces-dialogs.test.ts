import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock, silentLogger } from '../../shared/index.ts';
import type { Dialog, DialogSnapshot } from '../../sip/index.ts';
import type { Store } from '../../store/index.ts';
import { referTarget } from './refer-transfer.ts';
import { LegDialogIndex, parseReplaces, replacesOfReferTo } from './replaces-dialogs.ts';

describe('Replaces (RFC 3891 §6.1) in a Refer-To', () => {
  it('parses Call-ID, both tags and early-only, in any parameter order', () => {
    assert.deepEqual(parseReplaces('abc@host;to-tag=1;from-tag=2'), {
      callId: 'abc@host',
      toTag: '1',
      fromTag: '2',
      earlyOnly: false,
    });
    assert.deepEqual(parseReplaces(' abc ; from-tag=2 ; early-only ; TO-TAG=1 '), {
      callId: 'abc',
      toTag: '1',
      fromTag: '2',
      earlyOnly: true,
    });
  });

  it('refuses a value without a Call-ID or a tag, or too long', () => {
    for (const bad of ['', ';to-tag=1;from-tag=2', 'abc;to-tag=1', 'abc;from-tag=2', 'a b;to-tag=1;from-tag=2'])
      assert.equal(parseReplaces(bad), undefined, bad);
    assert.equal(parseReplaces(`${'x'.repeat(1100)};to-tag=1;from-tag=2`), undefined);
  });

  it('finds the escaped Replaces of a Refer-To URI, with or without angle brackets', () => {
    const escaped = 'abc%40host%3Bto-tag%3D1%3Bfrom-tag%3D2';
    const want = { callId: 'abc@host', toTag: '1', fromTag: '2', earlyOnly: false };
    assert.deepEqual(replacesOfReferTo(`<sip:1003@10.0.0.1?Replaces=${escaped}>`), want);
    assert.deepEqual(replacesOfReferTo(`sip:1003@10.0.0.1:5060?Replaces=${escaped}`), want);
    assert.deepEqual(replacesOfReferTo(`"C" <sip:1003@h?X=y&replaces=${escaped}&Z=1>`), want);
    assert.equal(replacesOfReferTo('<sip:1003@10.0.0.1>'), undefined);
    assert.equal(replacesOfReferTo('<sip:1003@h?Replaces=%E0%A4%A>'), 'malformed');
    assert.equal(replacesOfReferTo('<sip:1003@h?Replaces=only-a-call-id>'), 'malformed');
  });

  it('referTarget: a Replaces wins over the URI user; a malformed one is no target', () => {
    assert.deepEqual(referTarget('<sip:1003@h?Replaces=a%3Bto-tag%3D1%3Bfrom-tag%3D2>'), {
      replaces: { callId: 'a', toTag: '1', fromTag: '2', earlyOnly: false },
    });
    assert.equal(referTarget('<sip:1003@h?Replaces=a>'), undefined);
    assert.equal((referTarget('<sip:1003@h>') as { type: string }).type, 'extension');
  });
});

describe('LegDialogIndex', () => {
  const store = {
    calls: { saveDialog: async () => {}, removeDialog: async () => {} },
  } as unknown as Pick<Store, 'calls'>;
  const snapshot = (callId: string, localTag: string, remoteTag: string) =>
    ({ callId, localTag, remoteTag }) as unknown as DialogSnapshot;

  it('finds a confirmed leg dialog by either tag order, forgets it when it ends, and tells early ones', () => {
    const index = new LegDialogIndex({ store, clock: new FakeClock(), logger: silentLogger });
    const early = { state: 'early', id: 'e\nx\ny' } as unknown as Dialog;
    index.watch(() => [early]);
    const journal = index.forLeg('leg-1', () => 'call-1');
    journal.save(snapshot('c', 'local', 'remote'));
    const target = (toTag: string, fromTag: string, callId = 'c') => ({ callId, toTag, fromTag, earlyOnly: false });
    assert.deepEqual(index.match(target('local', 'remote')), { kind: 'leg', legId: 'leg-1' });
    assert.deepEqual(index.match(target('remote', 'local')), { kind: 'leg', legId: 'leg-1' });
    assert.deepEqual(index.match(target('local', 'other')), { kind: 'none' });
    assert.deepEqual(index.match(target('x', 'y', 'e')), { kind: 'early' });
    journal.remove();
    assert.deepEqual(index.match(target('local', 'remote')), { kind: 'none' });
  });
});
