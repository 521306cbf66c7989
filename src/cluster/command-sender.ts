/**
 * How a node sends a command to the node that owns a live call, transfer, activeflow or conference
 * room (docs/cluster.md "Any node serves the whole API"), with a deadline: an owner that does not
 * answer is 503 `NODE_UNAVAILABLE`, never a hang.
 */
import { BusError, nodeCommandSubject } from '../bus/index.ts';
import type { Bus } from '../bus/index.ts';
import { AppError, UnavailableError } from '../shared/index.ts';
import { COMMAND_TIMEOUT_MS, errorFromWire } from './command-wire.ts';
import type { CommandReply, CommandRequest } from './command-wire.ts';

/**
 * Where a row's owner node is read: `ownerOf` of the store's repositories (docs/cluster.md "What is
 * shared and what is per node").
 */
export interface OwnerLookup {
  ownerOf(id: string): Promise<string | undefined>;
}

/** How this node reaches the other nodes. */
export interface CommandLink {
  /** This node's id (`CALLBIN_NODE_ID`). */
  nodeId: string;
  bus: Bus;
  /** The reply deadline (default {@link COMMAND_TIMEOUT_MS}). */
  timeoutMs?: number;
}

/** Sends commands to an owner node and turns its reply (or its silence) into a result or an AppError. */
export class CommandSender {
  readonly #link: CommandLink;

  constructor(link: CommandLink) {
    this.#link = link;
  }

  /** True when `owner` is another node: the command must go there. */
  isRemote(owner: string | undefined): owner is string {
    return owner !== undefined && owner !== '' && owner !== this.#link.nodeId;
  }

  async send(owner: string, request: CommandRequest, what: string): Promise<unknown> {
    const timeoutMs = this.#link.timeoutMs ?? COMMAND_TIMEOUT_MS;
    let text: string;
    try {
      text = await this.#link.bus.request(nodeCommandSubject(owner), JSON.stringify(request), timeoutMs);
    } catch (err) {
      if (!(err instanceof BusError)) throw err;
      const why =
        err.code === 'TIMEOUT' ? `no answer within ${timeoutMs} ms` : err.code.toLowerCase().replace('_', ' ');
      throw new UnavailableError('NODE_UNAVAILABLE', `node ${owner}, which holds ${what}, does not answer (${why})`, {
        cause: err,
      });
    }
    let reply: CommandReply;
    try {
      reply = JSON.parse(text) as CommandReply;
    } catch (err) {
      throw new AppError('INTERNAL', `node ${owner} answered ${request.op} of ${what} with no JSON`, { cause: err });
    }
    if (reply?.ok === true) return reply.result;
    if (reply?.ok === false) throw errorFromWire(reply.error);
    throw new AppError('INTERNAL', `node ${owner} answered ${request.op} of ${what} with no reply object`);
  }
}
