// A bounded single-consumer async queue: producers `tryPush` (false when full: the caller applies backpressure),
// the consumer iterates with `for await`. Close is idempotent; iteration ends after the queued items are drained.

export class BoundedQueue<T> implements AsyncIterable<T> {
  /** Taken slots before `head` are cleared (a taken item is never kept alive by the queue). */
  private items: Array<T | undefined> = [];
  private head = 0;
  private waiter: ((r: IteratorResult<T>) => void) | undefined;
  private closed = false;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('capacity must be a positive integer');
  }

  get size(): number {
    return this.items.length - this.head;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Adds an item; false if the queue is full or closed (never grows past capacity). */
  tryPush(item: T): boolean {
    if (this.closed || this.size >= this.capacity) return false;
    const w = this.waiter;
    if (w) {
      this.waiter = undefined;
      w({ value: item, done: false });
      return true;
    }
    this.items.push(item);
    return true;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    const w = this.waiter;
    if (w && this.size === 0) {
      this.waiter = undefined;
      w({ value: undefined, done: true });
    }
  }

  /** Removes and returns everything queued (used when a stream is discarded). */
  drain(): T[] {
    const out = this.items.slice(this.head) as T[];
    this.items = [];
    this.head = 0;
    return out;
  }

  /** Takes the next item without waiting (undefined if empty): lets a consumer drain a batch synchronously. */
  tryShift(): T | undefined {
    return this.shift();
  }

  private shift(): T | undefined {
    if (this.size === 0) return undefined;
    const item = this.items[this.head] as T;
    this.items[this.head] = undefined;
    this.head++;
    if (this.head === this.items.length) {
      // Empty (the usual case: the consumer keeps up): start over instead of growing the array.
      this.items.length = 0;
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  next(): Promise<IteratorResult<T>> {
    if (this.size > 0) return Promise.resolve({ value: this.shift() as T, done: false });
    if (this.closed) return Promise.resolve({ value: undefined, done: true });
    if (this.waiter) return Promise.reject(new Error('BoundedQueue supports one consumer'));
    return new Promise((resolve) => {
      this.waiter = resolve;
    });
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return { next: () => this.next() };
  }
}
