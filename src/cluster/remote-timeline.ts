/**
 * Timeline reads in a cluster (docs/cluster.md "Any node serves the whole API", docs/timeline.md
 * "Reading a timeline"): each node keeps the entries it records in a buffer for up to its flush
 * interval, so before a read the node that got the request asks the node that runs the subject to
 * write its buffer, on `callbin.node.<node>.timeline`, and waits for the reply for a short time.
 * The request and the reply are empty: they carry no customer, no id and no entry, so the subject
 * serves no data and a stranger on the bus learns nothing from it. A node that does not answer in
 * time (a dead node's buffer is gone with it) is not waited for: the read serves what is stored.
 */
import { BusError, nodeSubjectToken } from '../bus/index.ts';
import type { Bus } from '../bus/index.ts';
import type { Logger } from '../shared/index.ts';
import type { OwnerLookup } from './command-sender.ts';

/** How long a read waits for the subject's node to write its buffer. */
export const TIMELINE_FLUSH_TIMEOUT_MS = 2_000;

/** The reply of a node that wrote its buffer. */
const FLUSHED = 'flushed';

/** A node's timeline flush requests: `callbin.node.<node>.timeline`. */
export function nodeTimelineSubject(nodeId: string): string {
  return `callbin.node.${nodeSubjectToken(nodeId)}.timeline`;
}

/** A recorder that can write what it holds (the process's timeline recorder). */
export interface LocalTimeline {
  flush(): Promise<void>;
}

/** The call, activeflow or conference whose timeline is read (`TimelineSubject` of the API). */
export interface ClusterTimelineSubject {
  kind: 'call' | 'activeflow' | 'conference';
  id: string;
}

export interface ClusterTimelineDeps {
  /** This node's id. */
  nodeId: string;
  bus: Bus;
  /** This node's recorder. */
  local: LocalTimeline;
  /** The node of a call (its row's `node_id`). */
  calls: OwnerLookup;
  /** The node that runs an activeflow. */
  activeflows: OwnerLookup;
  /** The node that holds a conference's room. */
  conferences: OwnerLookup;
  logger: Logger;
  /** The reply deadline (default {@link TIMELINE_FLUSH_TIMEOUT_MS}). */
  timeoutMs?: number;
}

/** `TimelineApiDeps` of `api/routes/timeline-deps.ts` in a cluster. */
export class ClusterTimeline {
  readonly #d: ClusterTimelineDeps;
  readonly #logger: Logger;

  constructor(deps: ClusterTimelineDeps) {
    this.#d = deps;
    this.#logger = deps.logger.child({ module: 'cluster-timeline' });
  }

  /**
   * Writes this node's buffer and, when another node runs `subject`, asks that node to write its
   * own; resolves once both are written, or once that node failed to answer in time. This node's
   * buffer is written in every case: it may hold entries of the subject too (a webhook attempt
   * of this node's delivery worker).
   */
  async flush(subject?: ClusterTimelineSubject): Promise<void> {
    const owner = subject === undefined ? undefined : await this.#ownerOf(subject);
    const remote = owner !== undefined && owner !== '' && owner !== this.#d.nodeId;
    await Promise.all([this.#d.local.flush(), remote ? this.#ask(owner) : undefined]);
  }

  #ownerOf(subject: ClusterTimelineSubject): Promise<string | undefined> {
    const lookup =
      subject.kind === 'call'
        ? this.#d.calls
        : subject.kind === 'activeflow'
          ? this.#d.activeflows
          : this.#d.conferences;
    return lookup.ownerOf(subject.id);
  }

  async #ask(node: string): Promise<void> {
    const timeoutMs = this.#d.timeoutMs ?? TIMELINE_FLUSH_TIMEOUT_MS;
    try {
      const reply = await this.#d.bus.request(nodeTimelineSubject(node), '', timeoutMs);
      if (reply !== FLUSHED) this.#logger.warn({ node }, 'timeline flush: the node could not write its entries');
    } catch (err) {
      if (!(err instanceof BusError)) throw err;
      // A silent or dead node: the read serves what the store holds (docs/timeline.md "Reading a timeline").
      this.#logger.debug({ node, code: err.code }, 'timeline flush: no answer');
    }
  }
}

/**
 * Serves this node's flush requests: writes the recorder's buffer, then replies. A request's body is
 * ignored. Returns the function that stops serving.
 */
export function serveTimelineFlush(bus: Bus, nodeId: string, local: LocalTimeline, logger: Logger): () => void {
  return bus.serve(nodeTimelineSubject(nodeId), async () => {
    try {
      await local.flush();
      return FLUSHED;
    } catch (err) {
      logger.error({ err }, 'timeline flush for another node failed');
      return 'failed';
    }
  });
}
