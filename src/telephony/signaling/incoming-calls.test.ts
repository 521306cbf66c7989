import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Address } from '../../calls/index.ts';
import { FakeClock, NIL_UUID } from '../../shared/index.ts';
import { DigestChallenger, DigestGuard, SipHeaders, digestAuthorization, digestHa1s } from '../../sip/index.ts';
import type { SipRequest, UserAgent } from '../../sip/index.ts';
import type { Store } from '../../store/index.ts';
import { CallMedia } from '../media/call-media.ts';
import { IncomingCalls, calledUser, callerAddress, dialledNumber } from './incoming-calls.ts';
import type { ExtensionAccount, ExtensionDialPlan } from './incoming-calls.ts';

const PROVIDER_IP = '192.0.2.10';
const account: ExtensionAccount = {
  extensionId: 'e1',
  customerId: 'cust',
  username: 'u-1001',
  extension: '1001',
  ha1: digestHa1s('u-1001', 'sip.callbin.test', 'secret'),
  realm: 'sip.callbin.test',
};

function invite(uri: string, headers: [string, string][] = []): SipRequest {
  return {
    kind: 'request',
    method: 'INVITE',
    uri,
    body: Buffer.alloc(0),
    headers: SipHeaders.from([['From', '"Bob" <sip:u-1001@sip.callbin.test>;tag=1'], ['To', `<${uri}>`], ...headers]),
  };
}

function incomingCalls(dialPlan?: ExtensionDialPlan): { calls: IncomingCalls; challenger: DigestChallenger } {
  const challenger = new DigestChallenger({ secret: Buffer.from('k'), clock: new FakeClock() });
  const store = {
    numbers: {
      findByNumber: async (n: string) =>
        n === '+15550003000'
          ? { customer_id: 'cust', call_flow_id: 'flow-1', name: 'main' }
          : n === '+15550003001'
            ? { customer_id: 'cust', call_flow_id: NIL_UUID, name: '' }
            : undefined,
    },
    extensions: { findByExtension: async (_c: string, ext: string) => (ext === '1002' ? { id: 'e2' } : undefined) },
  } as unknown as Pick<Store, 'numbers' | 'extensions'>;
  const calls = new IncomingCalls({
    ua: {} as UserAgent,
    store,
    digest: new DigestGuard({ challenger, clock: new FakeClock() }),
    media: new CallMedia(),
    providers: { isProvider: async (address) => address === PROVIDER_IP },
    accounts: {
      realmFor: () => 'sip.callbin.test',
      findAccount: async (q) => (q.username === 'u-1001' ? account : undefined),
    },
    calls: { acceptIncoming: async () => assert.fail('not in these tests') },
    endpointOptions: {} as never,
    ...(dialPlan ? { dialPlan } : {}),
  });
  return { calls, challenger };
}

describe('IncomingCalls: verification', () => {
  it('a provider address is trusted; a scanner is 403 even from there; a phone number from anywhere else is 403', async () => {
    const { calls } = incomingCalls();
    assert.deepEqual(await calls.verify(invite('sip:+15550003000@callbin'), { address: PROVIDER_IP }), {
      kind: 'provider',
    });
    assert.deepEqual(
      await calls.verify(invite('sip:+15550003000@callbin', [['User-Agent', 'friendly-scanner']]), {
        address: PROVIDER_IP,
      }),
      { kind: 'refuse', status: 403, reason: 'Forbidden' },
    );
    const stranger = invite('sip:+15550003000@callbin');
    stranger.headers.set('From', '<sip:+15550001111@198.51.100.1>;tag=2');
    assert.equal((await calls.verify(stranger, { address: '198.51.100.1' })).kind, 'refuse');
  });

  it('an unknown user is challenged exactly like a known one (no account enumeration)', async () => {
    const { calls } = incomingCalls();
    const stranger = invite('sip:+15550003000@callbin');
    stranger.headers.set('From', '<sip:nobody@198.51.100.1>;tag=2');
    assert.deepEqual(
      await calls.verify(stranger, { address: '198.51.100.1' }),
      await calls.verify(invite('sip:+15550003000@callbin'), { address: '198.51.100.1' }),
    );
  });

  it('an extension is challenged, then accepted with the right password and refused with a wrong one', async () => {
    const { calls, challenger } = incomingCalls();
    const first = await calls.verify(invite('sip:+15550009999@callbin'), { address: '198.51.100.7' });
    assert.deepEqual(first, { kind: 'challenge', realm: 'sip.callbin.test', stale: false });
    const [challenge] = challenger.challenge('sip.callbin.test', { source: '198.51.100.7' });
    const signed = (password: string): SipRequest =>
      invite('sip:+15550009999@callbin', [
        [
          'Proxy-Authorization',
          digestAuthorization({
            challenge: challenge!,
            method: 'INVITE',
            uri: 'sip:+15550009999@callbin',
            username: 'u-1001',
            password,
          }),
        ],
      ]);
    assert.deepEqual(await calls.verify(signed('secret'), { address: '198.51.100.7' }), { kind: 'extension', account });
    assert.equal((await calls.verify(signed('guess'), { address: '198.51.100.7' })).kind, 'refuse');
  });
});

describe('IncomingCalls: routing', () => {
  it('numbers: found with a flow, unknown 404, without a flow 480; the + is optional', async () => {
    const { calls } = incomingCalls();
    const provider = { kind: 'provider' } as const;
    const found = await calls.route(invite('sip:15550003000@callbin'), provider);
    assert.deepEqual(found, {
      kind: 'call',
      customerId: 'cust',
      flow: { flow_id: 'flow-1' },
      destination: { type: 'tel', target: '+15550003000', target_name: 'main', name: '', detail: '' },
    });
    assert.deepEqual(await calls.route(invite('sip:+15550000000@callbin'), provider), {
      kind: 'refuse',
      status: 404,
      reason: 'Not Found',
    });
    assert.equal((await calls.route(invite('sip:+15550003001@callbin'), provider)).kind === 'refuse' ? 480 : 0, 480);
  });

  it('extension dialling: +E164 and known extensions go to the dial plan (default: connect); conferences are 501 until they exist', async () => {
    const asked: Address[] = [];
    const { calls } = incomingCalls({
      flowFor: async (_c, _caller, destination) => (asked.push(destination), { flow_id: 'connect-flow' }),
    });
    const ext = { kind: 'extension', account } as const;
    assert.equal((await calls.route(invite('sip:+442071234567@callbin'), ext)).kind, 'call');
    assert.equal((await calls.route(invite('sip:1002@callbin'), ext)).kind, 'call');
    assert.deepEqual(
      asked.map((a) => [a.type, a.target]),
      [
        ['tel', '+442071234567'],
        ['extension', '1002'],
      ],
    );
    assert.deepEqual(await calls.route(invite('sip:1003@callbin'), ext), {
      kind: 'refuse',
      status: 404,
      reason: 'Not Found',
    });
    assert.equal((await calls.route(invite('sip:conference%3Aabc@callbin'), ext)).kind === 'refuse' ? 501 : 0, 501);
    // A number of the extension's own customer runs that number's flow, not the dial plan.
    assert.deepEqual(await calls.route(invite('sip:+15550003000@callbin'), ext), {
      kind: 'call',
      customerId: 'cust',
      flow: { flow_id: 'flow-1' },
      destination: { type: 'tel', target: '+15550003000', target_name: 'main', name: '', detail: '' },
    });
    assert.equal(asked.length, 2, 'the dial plan was not asked for an own number');
    // Another customer's number, or an own number without a flow, goes through the dial plan.
    const other = { kind: 'extension', account: { ...account, customerId: 'other' } } as const;
    const routedOut = await calls.route(invite('sip:+15550003000@callbin'), other);
    assert.equal(
      routedOut.kind === 'call' && 'flow_id' in routedOut.flow ? routedOut.flow.flow_id : '',
      'connect-flow',
    );
    await calls.route(invite('sip:+15550003001@callbin'), ext);
    assert.deepEqual(
      asked.slice(2).map((a) => a.target),
      ['+15550003000', '+15550003001'],
    );
    // Without a dial plan the caller is connected to what it dialled (an inline connect action).
    const { calls: noPlan } = incomingCalls();
    const routed = await noPlan.route(invite('sip:+442071234567@callbin'), ext);
    assert.equal(routed.kind, 'call');
    assert.deepEqual(
      routed.kind === 'call' && 'actions' in routed.flow ? (routed.flow.actions[0] as { type: string }).type : '',
      'connect',
    );
  });

  it('parses the caller and the called user', () => {
    assert.equal(dialledNumber('15550003000'), '+15550003000');
    assert.equal(dialledNumber('alice'), undefined);
    assert.deepEqual(callerAddress(invite('sip:x@h', [])), {
      type: 'sip',
      target: 'u-1001@sip.callbin.test',
      target_name: 'Bob',
      name: '',
      detail: '',
    });
    const noUser = invite('sip:callbin.test');
    noUser.headers.set('To', '<sip:+15550003000@callbin.test>');
    assert.equal(calledUser(noUser), '+15550003000');
  });
});
