import { startSippCaller } from './callbin.ts';
import { CustomerServer, incomingCallTo, numberWithFlow, startFlowsCallbin } from './flows-peers.ts';
import type { FlowsCallbin } from './flows-peers.ts';
import { StreamBot, StreamCaller } from './stream-bot-process.ts';

/** How {@link StreamCalls.botCall} sets a call up. */
export interface BotCallOptions {
  /** Actions between `answer` and `external_media_start`. */
  before?: unknown[];
  /** Actions after `external_media_start` (default: a two-minute sleep). */
  next?: unknown[];
  /** The sipp caller's scenario (default `flows-caller-wait-bye.xml`: it waits for callbin's BYE). */
  scenario?: string;
  /** The path of the bot's URL (default `/bot`). */
  path?: string;
  /** The stream's URL instead of the bot's. */
  url?: string;
  /** A bot that accepts TCP but never answers the WebSocket upgrade. */
  noHandshake?: boolean;
  /** false: the flow starts no stream (a bot is still started). */
  bot?: boolean;
}

/**
 * callbin in this process with the default customer's webhooks going to a {@link CustomerServer} and a
 * provider on 127.0.0.1 (so that the sipp callers, from the same address, are a trusted source), and
 * calls from sipp into flows that stream to a bot process (docs/media-streams.md).
 */
export class StreamCalls {
  readonly #cleanups: (() => Promise<unknown>)[] = [];
  readonly #callIds: string[] = [];

  private constructor(
    readonly callbin: FlowsCallbin,
    readonly server: CustomerServer,
  ) {}

  /** Starts callbin and the customer's server, which answers `/hook` (the webhooks) and each of `paths`. */
  static async start(paths: readonly string[] = []): Promise<StreamCalls> {
    const callbin = await startFlowsCallbin();
    const server = await CustomerServer.start().catch(async (err: unknown) => {
      await callbin.close();
      throw err;
    });
    const calls = new StreamCalls(callbin, server);
    try {
      for (const path of ['/hook', ...paths]) server.on(path, {});
      const me = await callbin.api('PUT', '/customer', { webhook_uri: server.url('/hook'), webhook_method: 'POST' });
      if (me.status !== 200) throw new Error(`PUT /customer answered ${me.status}: ${JSON.stringify(me.body)}`);
      const provider = await callbin.api('POST', '/providers', { hostname: '127.0.0.1', port: 5999, transport: 'udp' });
      if (provider.status !== 200)
        throw new Error(`POST /providers answered ${provider.status}: ${JSON.stringify(provider.body)}`);
    } catch (err) {
      await calls.close();
      throw err;
    }
    return calls;
  }

  /** Runs `cleanup` when closing, before what was deferred earlier. */
  defer(cleanup: () => Promise<unknown>): void {
    this.#cleanups.push(cleanup);
  }

  /**
   * A call from sipp to `number`, whose RTP is a {@link StreamCaller} (sending silence already), into a
   * flow that answers, runs `before`, starts a stream with `stream`'s options to a new bot, then runs
   * `next`; resolves once the call is progressing.
   */
  async botCall(number: string, stream: Record<string, unknown>, options: BotCallOptions = {}) {
    const bot = await StreamBot.start({ noHandshake: options.noHandshake === true });
    this.defer(() => bot.stop());
    const url = options.url ?? bot.url(options.path);
    const ems = { type: 'external_media_start', option: { external_host: url, ...stream } };
    await numberWithFlow(this.callbin, number, [
      { type: 'answer' },
      ...(options.before ?? []),
      ...(options.bot === false ? [] : [ems]),
      ...(options.next ?? [{ type: 'sleep', option: { duration: 120_000 } }]),
    ]);
    const caller = await StreamCaller.open();
    this.defer(() => caller.close());
    caller.startSending();
    const sipp = await startSippCaller(this.callbin, options.scenario ?? 'flows-caller-wait-bye.xml', number, {
      keys: { rtp_port: String(caller.port) },
    });
    this.defer(() => sipp.stop());
    const call = await incomingCallTo(this.callbin, number, (c) => c.status === 'progressing', 20_000);
    this.#callIds.push(call.id);
    return { bot, caller, sipp, call, url };
  }

  /** The `external_media_*` webhooks of the call so far, parsed. */
  streamHooks(callId: string): any[] {
    return this.server
      .requestsTo('/hook')
      .map((r) => JSON.parse(r.body))
      .filter((e) => String(e.type).startsWith('external_media_') && e.data?.reference_id === callId);
  }

  /** Hangs up the calls, runs what was deferred (the last first), then stops the server and callbin. */
  async close(): Promise<void> {
    await Promise.all(
      this.#callIds.map((id) => this.callbin.api('POST', `/calls/${id}/hangup`).catch(() => undefined)),
    );
    for (const c of this.#cleanups.reverse()) await c().catch(() => undefined);
    await this.server.close();
    await this.callbin.close();
  }
}
