import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { AppError } from '../../src/shared/index.ts';
import type { Dialog, IncomingInvite } from '../../src/sip/dialog/index.ts';
import { getCallId } from '../../src/sip/message/index.ts';
import { freeMediaPort, freePort, runSipp } from '../support/sipp.ts';
import { startTestUa } from '../support/sip-ua.ts';
import type { TestUa } from '../support/sip-ua.ts';

const scenario = (name: string): string => fileURLToPath(new URL(`../fixtures/sipp/${name}`, import.meta.url));
const answerSdp = (port: number): string =>
  `v=0\r\no=callbin 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio ${port} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n`;

/** What our UAS saw of one call, in order. */
interface CallRecord {
  events: string[];
  dialog?: Dialog;
}

/** Answer every INVITE (180 then 200), except user `ring`, which only rings (for CANCEL). */
function answerCalls(ua: TestUa, calls: Map<string, CallRecord>): void {
  ua.ua.on('invite', (incoming: IncomingInvite) => {
    const record: CallRecord = { events: ['invite'] };
    calls.set(getCallId(incoming.request), record);
    const early = incoming.progress(180);
    early.on('confirmed', () => record.events.push('confirmed'));
    if (incoming.request.uri.startsWith('sip:ring@')) {
      incoming.on('cancelled', () => record.events.push('cancelled'));
      return;
    }
    const dialog = incoming.accept({ body: answerSdp(40_000), contentType: 'application/sdp' });
    record.dialog = dialog;
    dialog.on('ack', () => record.events.push('ack'));
    dialog.on('reinvite', (r) => {
      record.events.push('reinvite');
      r.accept({ body: answerSdp(40_002), contentType: 'application/sdp' });
    });
    dialog.on('info', (req) => record.events.push(`info ${req.body.toString().split('\r\n')[0]}`));
    dialog.on('terminated', (info) => record.events.push(`terminated ${info.by} ${info.cause}`));
  });
}

for (const kind of ['udp', 'tcp'] as const) {
  describe(`SIP dialogs against sipp over ${kind.toUpperCase()}`, { timeout: 120_000 }, () => {
    let ua: TestUa;
    const calls = new Map<string, CallRecord>();

    before(async () => {
      ua = await startTestUa({ transport: kind });
      answerCalls(ua, calls);
    });
    after(async () => {
      await ua.close();
    });

    async function sippUac(file: string, extra: string[] = [], count = 1, target: TestUa = ua): Promise<void> {
      const args = [
        '-sf',
        scenario(file),
        `127.0.0.1:${target.port}`,
        '-i',
        '127.0.0.1',
        '-p',
        String(await freePort(kind)),
        '-mp',
        String(await freeMediaPort()),
      ];
      args.push(
        '-m',
        String(count),
        '-r',
        '50',
        '-l',
        String(count),
        '-nostdin',
        ...(kind === 'tcp' ? ['-t', 't1'] : []),
        ...extra,
      );
      const result = await runSipp(args, { timeoutMs: 60_000 });
      assert.equal(result.code, 0, `sipp failed:\n${result.stdout.slice(-2000)}\n${result.stderr}`);
    }

    it('sipp calls us: INVITE/180/200/ACK/BYE handled by our UAS', async () => {
      calls.clear();
      await sippUac('uac-invite-bye.xml');
      assert.deepEqual(
        [...calls.values()].map((c) => c.events),
        [['invite', 'confirmed', 'ack', 'terminated remote bye']],
      );
      assert.equal(ua.ua.dialogs.length, 0);
    });

    it('we call sipp (-sn uas): answered, ACKed, then our BYE', async () => {
      const port = await freePort(kind);
      const sipp = runSipp(
        [
          '-sn',
          'uas',
          '-i',
          '127.0.0.1',
          '-p',
          String(port),
          '-mp',
          String(await freeMediaPort()),
          '-m',
          '1',
          '-nostdin',
          ...(kind === 'tcp' ? ['-t', 't1'] : []),
        ],
        { timeoutMs: 30_000 },
      );
      const requestUri = `sip:service@127.0.0.1:${port}${kind === 'tcp' ? ';transport=tcp' : ''}`;
      const provisional: number[] = [];
      const { dialog, response } = await inviteWithRetry(ua, requestUri, provisional);
      assert.equal(response.status, 200);
      assert.ok(provisional.includes(180));
      assert.equal(dialog.state, 'confirmed');
      const bye = await dialog.bye();
      assert.equal(bye?.status, 200);
      const result = await sipp;
      assert.equal(result.code, 0, `sipp failed:\n${result.stdout.slice(-2000)}\n${result.stderr}`);
    });

    it('CANCEL before the answer: 487, and the dialog is never confirmed', async () => {
      calls.clear();
      await sippUac('uac-cancel.xml', ['-s', 'ring']);
      assert.deepEqual(
        [...calls.values()].map((c) => c.events),
        [['invite', 'cancelled']],
      );
      assert.equal(ua.ua.dialogs.length, 0);
    });

    it('re-INVITE and INFO inside a dialog from sipp', async () => {
      calls.clear();
      await sippUac('dialog-uac-reinvite-info.xml');
      assert.deepEqual(
        [...calls.values()].map((c) => c.events),
        [['invite', 'confirmed', 'ack', 'reinvite', 'ack', 'info Signal=5', 'terminated remote bye']],
      );
    });

    it('OPTIONS is answered 200', async () => {
      await sippUac('uac-options.xml');
    });

    it('an unknown method is answered 501', async () => {
      await sippUac('dialog-uac-unknown-method.xml');
    });

    if (kind === 'udp') {
      it('a lost ACK: the 200 is retransmitted until the retransmitted ACK arrives', async () => {
        // sipp loses its re-sent ACKs at the same rate, so a short T1/T2 gives each call ~10 chances
        // before the BYE (2 s later) and stays under the 64*T1 give-up.
        const fast = await startTestUa({ transport: 'udp', timers: { t1Ms: 50, t2Ms: 200 } });
        const lossy = new Map<string, CallRecord>();
        answerCalls(fast, lossy);
        try {
          const count = 10;
          await sippUac('dialog-uac-lost-ack.xml', [], count, fast);
          const records = [...lossy.values()];
          assert.equal(records.length, count);
          for (const r of records)
            assert.deepEqual(
              r.events,
              ['invite', 'confirmed', 'ack', 'terminated remote bye'],
              'every call got its ACK before the BYE',
            );
          // Without loss a call costs 3 sends (180, 200, 200 to BYE); 10 ACKs all surviving 50 % loss is a 1-in-1024 event.
          assert.ok(fast.transport.stats().sent > 3 * count, '200 OKs were retransmitted');
        } finally {
          await fast.close();
        }
      });
    }
  });
}

/** Place a call, retrying while the freshly started sipp is not listening yet (TCP refuses the connect). */
async function inviteWithRetry(
  ua: TestUa,
  requestUri: string,
  provisional: number[],
): ReturnType<typeof ua.ua.invite>['answer'] {
  for (let attempt = 0; ; attempt++) {
    const outgoing = ua.ua.invite({
      to: `<${requestUri}>`,
      from: `sip:callbin@127.0.0.1:${ua.port}`,
      body: answerSdp(40_004),
      contentType: 'application/sdp',
    });
    outgoing.on('provisional', (res) => provisional.push(res.status));
    try {
      return await outgoing.answer;
    } catch (err) {
      if (!(err instanceof AppError && err.code === 'TRANSPORT_ERROR') || attempt >= 20) throw err;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
