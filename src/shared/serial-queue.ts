/** Runs async operations one at a time, in the order they were queued. */
export class SerialQueue {
  #tail: Promise<unknown> = Promise.resolve();
  #length = 0;

  /** Number of operations queued or running. */
  get length(): number {
    return this.#length;
  }

  /** Queue `op`; it starts when every earlier operation has settled. */
  run<T>(op: () => Promise<T> | T): Promise<T> {
    this.#length++;
    const result = this.#tail.then(op, op);
    // The chain must not reject, or later operations would be skipped.
    this.#tail = result.then(
      () => this.#length--,
      () => this.#length--,
    );
    return result;
  }
}
