import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { MediaDtmfEvent } from '../../src/endpoint/media-endpoint.ts';
import { startBaresipPhone, startMediaUa, type BaresipPhone, type MediaUa } from '../support/media-call.ts';
import { freeMediaPort, freePort, runSipp } from '../support/sipp.ts';

const SCENARIO = fileURLToPath(new URL('../fixtures/sipp/media-dtmf-2833.xml', import.meta.url));

describe('DTMF with real peers', () => {
  let ua: MediaUa;
  let phone: BaresipPhone | undefined;

  before(async () => {
    ua = await startMediaUa();
  });

  after(async () => {
    await ua.close();
    await phone?.stop();
    assert.equal(ua.allocator.inUse, 0);
  });

  it('sipp plays RFC 4733 digits 1, 2, # and the endpoint reports exactly those, in order', async () => {
    const digits: MediaDtmfEvent[] = [];
    const answered = ua.nextIncoming().then((call) => {
      call.endpoint.on('dtmf', (e) => digits.push(e));
      return call;
    });
    const sipp = runSipp(
      [
        '-sf',
        SCENARIO,
        `127.0.0.1:${ua.testUa.port}`,
        '-i',
        '127.0.0.1',
        '-p',
        String(await freePort('udp')),
        '-mp',
        String(await freeMediaPort()),
        '-m',
        '1',
        '-nostdin',
      ],
      { timeoutMs: 20_000 },
    );
    const result = await sipp;
    const call = await answered;
    await call.ended;
    assert.equal(result.code, 0, `sipp failed:\n${result.stdout}\n${result.stderr}`);
    assert.deepEqual(
      digits.map((d) => d.digit),
      ['1', '2', '#'],
    );
    assert.ok(digits.every((d) => d.via === 'rfc4733' && d.durationMs > 0));
  });

  it('callbin sends 1 2 # to baresip, which reports CALL_DTMF_START for each, in order', async () => {
    phone = await startBaresipPhone();
    const call = await ua.call(phone.uri);
    await phone.baresip.waitForEvent((e) => e.type === 'CALL_ESTABLISHED');
    await call.endpoint.sendDigits('12#');
    const starts = (): string[] =>
      phone!.baresip.events.filter((e) => e.type === 'CALL_DTMF_START').map((e) => String(e.param));
    await phone.baresip.waitForEvent(() => starts().length >= 3, 5_000);
    await call.hangup();
    assert.deepEqual(starts(), ['1', '2', '#']);
  });
});
