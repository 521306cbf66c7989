/** The part of a WebSocket the outbound queue uses. */
export interface OutboundSocket {
  /** Bytes handed to the socket and not yet written to the network. */
  readonly bufferedAmount: number;
  send(data: string): void;
}

interface Pending {
  text: string;
  /** Media may be dropped under back-pressure; every other message is kept. */
  droppable: boolean;
}

/**
 * Outbound back-pressure of a media stream: messages go straight to the socket while its buffer is
 * at most `highWaterBytes`; beyond that at most `maxPending` wait here, and when one more arrives the
 * oldest media message among them is dropped (and counted). Control messages (start, stop, mark,
 * dtmf) are never dropped: when the list is full of them, {@link OutboundQueue.send} reports that the
 * bound cannot be kept and the caller ends the stream.
 */
export class OutboundQueue {
  readonly #socket: OutboundSocket;
  readonly #highWaterBytes: number;
  readonly #maxPending: number;
  #pending: Pending[] = [];
  #sent = 0;
  #dropped = 0;

  constructor(socket: OutboundSocket, highWaterBytes: number, maxPending: number) {
    this.#socket = socket;
    this.#highWaterBytes = highWaterBytes;
    this.#maxPending = Math.max(1, maxPending);
  }

  /** Messages handed to the socket. */
  get sent(): number {
    return this.#sent;
  }

  /** Media messages dropped under back-pressure. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Messages waiting for the socket to drain. */
  get pending(): number {
    return this.#pending.length;
  }

  /**
   * Sends `text` now, or queues it behind those waiting; false when the queue is full and holds no
   * media message to drop (the message is kept, one over the bound, so nothing is lost before the end).
   */
  send(text: string, droppable: boolean): boolean {
    this.flush();
    if (this.#pending.length === 0 && this.#socket.bufferedAmount <= this.#highWaterBytes) {
      this.#socket.send(text);
      this.#sent++;
      return true;
    }
    this.#pending.push({ text, droppable });
    if (this.#pending.length <= this.#maxPending) return true;
    const oldestMedia = this.#pending.findIndex((p) => p.droppable);
    if (oldestMedia < 0) return false;
    this.#pending.splice(oldestMedia, 1);
    this.#dropped++;
    return true;
  }

  /** Hands `text` to the socket at once, past the bound (the one `stop` at the end). */
  sendNow(text: string): void {
    this.#socket.send(text);
    this.#sent++;
  }

  /** Hands waiting messages to the socket while its buffer is at most the high-water mark. */
  flush(): void {
    let n = 0;
    while (n < this.#pending.length && this.#socket.bufferedAmount <= this.#highWaterBytes) {
      this.#socket.send(this.#pending[n]!.text);
      this.#sent++;
      n++;
    }
    if (n > 0) this.#pending.splice(0, n);
  }

  /** Forgets every waiting message (at the end of the stream). */
  clear(): void {
    this.#pending = [];
  }
}
