import assert from 'node:assert/strict';
import { writeFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { repairWav } from '../media/index.ts';
import { FakeClock, NIL_UUID, newId, silentLogger } from '../shared/index.ts';
import {
  LocalRecordingStorage,
  RecordingService,
  runOnEndFlows,
  type CaptureResult,
  type OnEndFlowStarter,
  type Recording,
  type RecordingEvent,
  type RecordingSource,
  type RecordingStorePort,
} from './index.ts';

/** Rows in memory. */
class MemoryStore implements RecordingStorePort {
  readonly rows = new Map<string, Recording>();
  async save(recording: Recording, _events: readonly RecordingEvent[]): Promise<void> {
    this.rows.set(recording.id, recording);
  }
  async get(id: string): Promise<Recording | undefined> {
    return this.rows.get(id);
  }
  async listUnfinished(): Promise<Recording[]> {
    return [...this.rows.values()].filter((r) => r.status !== 'ended');
  }
  async delete(id: string): Promise<Recording | undefined> {
    return this.rows.get(id);
  }
}

/** A source writing two small files. */
const source: RecordingSource = {
  layout: 'split',
  async start(basePath: string): Promise<{ stop(): Promise<CaptureResult> }> {
    await writeFile(`${basePath}_in.wav`, 'in');
    await writeFile(`${basePath}_out.wav`, 'out');
    return { stop: async () => ({ reason: 'manual', durationSec: 1 }) };
  },
};

/** Records every start request; fails when told to. */
class FakeStarter implements OnEndFlowStarter {
  readonly started: { customer_id: string; flow_id: string; variables: Record<string, string> }[] = [];
  fail = false;
  async startForApi(request: {
    customer_id: string;
    flow_id: string;
    variables: Record<string, string>;
  }): Promise<unknown> {
    this.started.push(request);
    if (this.fail) throw new Error('FLOW_NOT_FOUND');
    return {};
  }
}

async function setup(t: { after(fn: () => Promise<void>): void }) {
  const dir = await mkdtemp(join(tmpdir(), 'callbin-onend-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const service = new RecordingService({
    store: new MemoryStore(),
    storage: new LocalRecordingStorage({ dir, repairWav }),
    clock: new FakeClock(0),
  });
  const starter = new FakeStarter();
  runOnEndFlows(service, starter, silentLogger);
  return { service, starter };
}

test('on_end_flow_id: the flow starts with the recording ids when the recording ends', async (t) => {
  const { service, starter } = await setup(t);
  const customerId = newId();
  const callId = newId();
  const flowId = newId();
  const started = await service.startRecording({
    reference_type: 'call',
    reference_id: callId,
    customer_id: customerId,
    source,
    on_end_flow_id: flowId,
  });
  assert.deepEqual(starter.started, [], 'nothing runs while recording');
  await service.stopRecording(started.id);
  assert.deepEqual(starter.started, [
    {
      customer_id: customerId,
      flow_id: flowId,
      variables: { recording_id: started.id, recording_reference_id: callId },
    },
  ]);
});

test('on_end_flow_id: none (nil UUID) starts nothing, and a flow that fails to start is ignored', async (t) => {
  const { service, starter } = await setup(t);
  const none = await service.startRecording({
    reference_type: 'call',
    reference_id: newId(),
    customer_id: newId(),
    source,
  });
  assert.equal(none.on_end_flow_id, NIL_UUID);
  await service.stopRecording(none.id);
  assert.deepEqual(starter.started, []);
  starter.fail = true;
  const failing = await service.startRecording({
    reference_type: 'call',
    reference_id: newId(),
    customer_id: newId(),
    source,
    on_end_flow_id: newId(),
  });
  const ended = await service.stopRecording(failing.id);
  assert.equal(ended?.status, 'ended');
  assert.equal(starter.started.length, 1);
});
