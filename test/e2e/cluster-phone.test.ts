import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startBaresip, type Baresip } from '../support/baresip.ts';
import { expectStatus, startCluster, type ClusterNode, type TestCluster } from '../support/cluster.ts';
import { writeWav8k } from '../support/media-call.ts';

const EXTENSION = '2001';
const PASSWORD = 'Pass-2001-secret';

/** The SIP requests among the datagrams a phone received, as text. */
async function receivedRequests(phone: Baresip, method: string): Promise<string[]> {
  return (await phone.received())
    .map((d) => Buffer.from(d).toString('latin1'))
    .filter((text) => text.startsWith(`${method} `));
}

/** The value of the first header `name` of a SIP message's text (long form only). */
function header(text: string, name: string): string | undefined {
  const line = text.split('\r\n').find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
  return line?.slice(name.length + 1).trim();
}

/** Polls `probe` every 100 ms until it returns a value; rejects after `timeoutMs`. */
async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// A phone registered through the Kamailio edge (its REGISTER reaches one node, with a Path naming
// the edge, RFC 3327) is called from every node through the edge (deploy/kamailio/README.md,
// docs/cluster.md "The SIP edge"): not at its Contact directly.
describe('a phone registered through the edge, called from every node', { timeout: 180_000 }, () => {
  let cluster: TestCluster;
  let phone: Baresip;
  let dir = '';

  before(async () => {
    // baresip answers only once its audio source starts: an 8 kHz WAV (its ausine needs 48 kHz).
    dir = await mkdtemp(join(tmpdir(), 'callbin-cluster-phone-'));
    const wav = join(dir, 'tone.wav');
    await writeWav8k(
      wav,
      Int16Array.from({ length: 8000 * 120 }, (_, i) => Math.round(4000 * Math.sin(i / 3))),
    );
    cluster = await startCluster({ nodes: 2, edge: true });
    const [a] = cluster.nodes;
    assert.ok(a && cluster.edge);
    const ext = expectStatus(
      await a.api('POST', '/v1.0/extensions', { extension: EXTENSION, password: PASSWORD }),
      200,
    );
    const edge = `${cluster.edge.host}:${cluster.edge.port}`;
    phone = await startBaresip({
      accounts: [
        `<sip:${ext.username}@${edge}>;auth_pass=${PASSWORD};regint=60;answermode=auto;audio_source=aufile,${wav}`,
      ],
      modules: ['aufile.so', 'menu.so'],
      traceReceived: true,
    });
    await phone.waitForOutput(/200 OK \(\) \[1 binding\]/);
  });
  after(async () => {
    await phone?.stop();
    await cluster?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('the binding keeps the Path of the edge', async () => {
    const edge = cluster.edge!;
    const rows = await cluster.sql<{ contact: string; path: string; source: string }>(
      'select contact, path, source from registrations',
    );
    assert.equal(rows.length, 1, JSON.stringify(rows));
    const path = JSON.parse(rows[0]!.path) as string[];
    assert.equal(path.length, 1, `one Path value: ${rows[0]!.path}`);
    assert.match(path[0]!, new RegExp(`^<sip:${edge.host.replaceAll('.', '\\.')}:${edge.port};lr`));
    assert.equal(rows[0]!.contact.includes(`:${phone.sipPort}`), true, 'the contact is the phone');
  });

  for (const index of [0, 1]) {
    it(`node ${index === 0 ? 'A' : 'B'} calls the extension: the INVITE reaches the phone through the edge`, async () => {
      const node = cluster.nodes[index] as ClusterNode;
      const edge = cluster.edge!;
      const before = (await receivedRequests(phone, 'INVITE')).length;
      const created = expectStatus(
        await node.api('POST', '/v1.0/calls', {
          source: { type: 'tel', target: '+15550017000' },
          destinations: [{ type: 'extension', target: EXTENSION }],
          actions: [{ type: 'sleep', option: { duration: 60_000 } }],
        }),
        200,
      );
      const id = created.calls[0].id as string;
      const call = await waitFor(
        async () => {
          const c = expectStatus(await node.api('GET', `/v1.0/calls/${id}`), 200);
          return c.status === 'progressing' ? c : undefined;
        },
        15_000,
        `call ${id} progressing`,
      );
      assert.equal(call.destination.target, EXTENSION);
      const owner = await cluster.sql<{ node_id: string }>('select node_id from calls where id = $1', [id]);
      assert.equal(owner[0]?.node_id, node.nodeId, 'the call is owned by the node that created it');

      // The INVITE the phone got came through the edge: the edge's Via on top, the node's below,
      // and the edge in Record-Route. Dialled at its Contact directly it would carry the node's Via only.
      const invites = await waitFor(
        async () => {
          const all = await receivedRequests(phone, 'INVITE');
          return all.length > before ? all : undefined;
        },
        5_000,
        'the INVITE in the phone trace',
      );
      const invite = invites[before]!;
      const edgeAddress = `${edge.host}:${edge.port}`;
      assert.ok(header(invite, 'Via')?.includes(edgeAddress), `top Via is the edge's:\n${invite}`);
      assert.ok(invite.includes(`:${node.sipPort};`), `the node's Via follows:\n${invite}`);
      assert.ok(header(invite, 'Record-Route')?.includes(edgeAddress), `the edge record-routes:\n${invite}`);
      assert.equal(header(invite, 'Route'), undefined, `the edge took its own Route off:\n${invite}`);

      // Hung up through the API: the BYE follows the dialog's route set, through the edge too.
      expectStatus(await node.api('POST', `/v1.0/calls/${id}/hangup`, {}), 200);
      const ended = await waitFor(
        async () => {
          const c = expectStatus(await node.api('GET', `/v1.0/calls/${id}`), 200);
          return c.status === 'hangup' ? c : undefined;
        },
        15_000,
        `call ${id} hung up`,
      );
      assert.equal(ended.hangup_by, 'local');
      const bye = await waitFor(
        async () => (await receivedRequests(phone, 'BYE')).find((b) => b.includes(header(invite, 'Call-ID') ?? '-')),
        5_000,
        'the BYE at the phone',
      );
      assert.ok(header(bye, 'Via')?.includes(edgeAddress), `the BYE came through the edge:\n${bye}`);
    });
  }
});
