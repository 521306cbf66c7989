import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RtpProbe } from '../support/calls-harness.ts';
import type { SippProcess } from '../support/calls-harness.ts';
import {
  SilentPeer,
  createNumberWithFlow,
  createProvider,
  expectStatus,
  startSippCaller,
  startTestCallbin,
  waitForListedCall,
} from '../support/callbin.ts';
import type { TestCallbin } from '../support/callbin.ts';

const NUMBER = '+15550004800';
const RFC3339_MS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

async function eventually<T>(read: () => Promise<T | undefined>, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('confbridge_join e2e: a sipp caller joins a conference from its flow', { timeout: 120_000 }, () => {
  let cb: TestCallbin;
  let peer: SilentPeer;
  let probe: RtpProbe;
  const sipps: SippProcess[] = [];

  before(async () => {
    cb = await startTestCallbin();
    peer = await SilentPeer.open();
    await createProvider(cb, peer.port);
    probe = await RtpProbe.open();
  });
  after(async () => {
    await Promise.all(sipps.map((s) => s.stop()));
    await probe.close();
    await peer.close();
    await cb.close();
  });

  it('flows are checked when saved: a confbridge_id that is no UUID, and a type callbin has no service for', async () => {
    const bad = await cb.api('POST', '/v1.0/flows', {
      name: 'bad bridge',
      actions: [{ type: 'confbridge_join', option: { confbridge_id: 'room-1' } }],
    });
    assert.equal(bad.status, 400);
    assert.deepEqual(
      bad.body.error.details.map((d: { field: string; reason: string }) => [d.field, d.reason]),
      [['actions[0].option.confbridge_id', 'INVALID_ACTION']],
    );
    const transcribe = await cb.api('POST', '/v1.0/flows', {
      name: 'transcribe',
      actions: [{ type: 'answer' }, { type: 'transcribe_start', option: { language: 'en-US' } }],
    });
    assert.equal(transcribe.status, 400);
    const [issue] = transcribe.body.error.details;
    assert.equal(issue.field, 'actions[1].type');
    assert.equal(issue.reason, 'ACTION_NOT_SUPPORTED');
    assert.equal(issue.message, 'transcribe_start needs a transcription service, which callbin does not have');
  });

  it('the call records, joins the conference as its activeflow, and moves on when the conference ends', async () => {
    const conference = expectStatus(await cb.api('POST', '/v1.0/conferences', { type: 'conference' }), 200);
    await createNumberWithFlow(cb, NUMBER, [
      { type: 'answer' },
      { type: 'recording_start', option: { format: 'wav' } },
      { type: 'confbridge_join', option: { confbridge_id: conference.id } },
      { type: 'hangup' },
    ]);
    const caller = await startSippCaller(cb, 'flows-caller-wait-bye.xml', NUMBER, {
      keys: { rtp_port: String(probe.port) },
    });
    sipps.push(caller);
    const call = await waitForListedCall(cb, (c) => c.direction === 'incoming' && c.status === 'progressing');
    const joined = await eventually(async () => {
      const list = expectStatus(
        await cb.api('GET', `/v1.0/conferencecalls?conference_id=${conference.id}&status=joined`),
        200,
      ).result;
      return list.length === 1 ? list[0] : undefined;
    }, 'the caller to join the conference');
    const activeflowId = expectStatus(await cb.api('GET', `/v1.0/calls/${call.id}`), 200).activeflow_id as string;
    assert.equal(joined.reference_id, call.id);
    assert.equal(joined.activeflow_id, activeflowId, 'the conferencecall shows the activeflow that made it');
    assert.deepEqual(expectStatus(await cb.api('GET', `/v1.0/conferencecalls/${joined.id}`), 200), joined);

    const af = expectStatus(await cb.api('GET', `/v1.0/activeflows/${activeflowId}`), 200);
    assert.equal(af.current_action.type, 'confbridge_join');
    assert.match(af.current_action.tm_execute, RFC3339_MS, 'when confbridge_join started');
    const executed = af.executed_actions.find((x: { type: string }) => x.type === 'confbridge_join');
    assert.equal(af.current_action.tm_execute, executed.tm_execute);

    const recordings = expectStatus(await cb.api('GET', `/v1.0/recordings?reference_id=${call.id}`), 200).result;
    assert.equal(recordings.length, 1);
    assert.equal(recordings[0].activeflow_id, activeflowId, 'the recording shows the activeflow that started it');

    // The conference ends: the call leaves, its flow continues with the hangup, and the caller gets a BYE.
    expectStatus(await cb.api('DELETE', `/v1.0/conferences/${conference.id}`), 200);
    assert.equal((await caller.exited).code, 0, 'the caller got our BYE after leaving the conference');
    const ended = await eventually(async () => {
      const now = expectStatus(await cb.api('GET', `/v1.0/activeflows/${activeflowId}`), 200);
      return now.status === 'ended' ? now : undefined;
    }, 'the activeflow to end');
    assert.equal(ended.current_action.tm_execute, null);
    assert.deepEqual(
      ended.executed_actions.map((x: { type: string }) => x.type),
      ['answer', 'recording_start', 'confbridge_join', 'hangup'],
    );
    const left = expectStatus(await cb.api('GET', `/v1.0/conferencecalls/${joined.id}`), 200);
    assert.equal(left.status, 'leaved');
    assert.equal(left.activeflow_id, activeflowId);
  });
});
