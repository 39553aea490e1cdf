/** A min-heap of (dueMs, key): the engine's in-memory view of future inbox messages (durable timers). */
export interface DueEntry {
  dueMs: number;
  key: string;
}

export class TimerHeap {
  readonly #items: DueEntry[] = [];

  get size(): number {
    return this.#items.length;
  }

  push(entry: DueEntry): void {
    const a = this.#items;
    a.push(entry);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if ((a[p] as DueEntry).dueMs <= (a[i] as DueEntry).dueMs) break;
      [a[p], a[i]] = [a[i] as DueEntry, a[p] as DueEntry];
      i = p;
    }
  }

  peek(): DueEntry | undefined {
    return this.#items[0];
  }

  /** Removes and returns every entry due at or before `nowMs`. */
  popDue(nowMs: number): DueEntry[] {
    const out: DueEntry[] = [];
    while (this.#items.length > 0 && (this.#items[0] as DueEntry).dueMs <= nowMs) out.push(this.#pop());
    return out;
  }

  #pop(): DueEntry {
    const a = this.#items;
    const top = a[0] as DueEntry;
    const last = a.pop() as DueEntry;
    if (a.length > 0) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && (a[l] as DueEntry).dueMs < (a[m] as DueEntry).dueMs) m = l;
        if (r < a.length && (a[r] as DueEntry).dueMs < (a[m] as DueEntry).dueMs) m = r;
        if (m === i) break;
        [a[m], a[i]] = [a[i] as DueEntry, a[m] as DueEntry];
        i = m;
      }
    }
    return top;
  }
}
