/**
 * The message bus between the nodes of a cluster (docs/cluster.md "Bus"): request/reply with a
 * deadline and publish/subscribe, over NATS in a cluster and in-process on one node. A protocol
 * layer: it carries strings and knows nothing of calls.
 */
export interface Bus {
  /**
   * Send `data` to one server of `subject` and wait for its reply, at most `timeoutMs`. Rejects with
   * a {@link BusError}: `NO_RESPONDERS` at once when nobody serves the subject, `TIMEOUT` after the
   * deadline, `CLOSED` once the bus is closed.
   */
  request(subject: string, data: string, timeoutMs: number): Promise<string>;
  /**
   * Serve `subject` (wildcards as in NATS: `*` one token, `>` the rest): the handler's result is
   * the reply; a handler that throws replies nothing (the requester times out), so handlers encode
   * their own errors. With `queue`, each request reaches one server of that queue group.
   * Returns the function that stops serving.
   */
  serve(
    subject: string,
    handler: (data: string, subject: string) => Promise<string>,
    opts?: { queue?: string },
  ): () => void;
  /** Fire and forget to every subscriber of `subject`. */
  publish(subject: string, data: string): void;
  /** Receive what is published on `subject` (wildcards as in {@link serve}); returns unsubscribe. */
  subscribe(subject: string, handler: (data: string, subject: string) => void): () => void;
  /** Resolves once the subscriptions made and the messages published so far reached the server. */
  flush(): Promise<void>;
  /** Drain subscriptions and close; idempotent. */
  close(): Promise<void>;
}

/** Why a bus operation failed. */
export type BusErrorCode = 'NO_RESPONDERS' | 'TIMEOUT' | 'CLOSED' | 'UNREACHABLE';

/** A failed request or connection of the {@link Bus}. */
export class BusError extends Error {
  readonly code: BusErrorCode;
  constructor(code: BusErrorCode, message: string) {
    super(message);
    this.name = 'BusError';
    this.code = code;
  }
}
