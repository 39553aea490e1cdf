// A scalable simulated clock for long things (keepAlive, call length). The 5 s answer deadline does not use it.
export interface ClockTimer {
  cancel(): void;
}

interface Pending {
  dueSim: number;
  fn: () => void;
  done: boolean;
}

export class SimClock {
  private baseReal = Date.now();
  private baseSim = Date.now();
  private pending: Pending[] = [];
  private handle?: NodeJS.Timeout;

  constructor(private scale = 1) {}

  /** Simulated epoch ms. */
  now(): number {
    return this.baseSim + (Date.now() - this.baseReal) * this.scale;
  }

  getScale(): number {
    return this.scale;
  }

  /** Changes speed from now on; pending timers keep their simulated due times. */
  setScale(scale: number): void {
    if (!(scale > 0)) throw new Error('scale must be > 0');
    this.rebase();
    this.scale = scale;
    this.arm();
  }

  /** Jumps simulated time forward, firing what falls due. */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new Error('advance must be >= 0');
    this.rebase();
    this.baseSim += ms;
    this.arm();
  }

  setTimer(simDelayMs: number, fn: () => void): ClockTimer {
    const p: Pending = { dueSim: this.now() + Math.max(0, simDelayMs), fn, done: false };
    this.pending.push(p);
    this.arm();
    return { cancel: () => { p.done = true; this.pending = this.pending.filter((x) => x !== p); } };
  }

  stop(): void {
    if (this.handle) clearTimeout(this.handle);
    this.pending = [];
  }

  private rebase(): void {
    this.baseSim = this.now();
    this.baseReal = Date.now();
  }

  private arm(): void {
    if (this.handle) clearTimeout(this.handle);
    this.handle = undefined;
    if (this.pending.length === 0) return;
    const next = Math.min(...this.pending.map((p) => p.dueSim));
    const realDelay = Math.max(0, (next - this.now()) / this.scale);
    this.handle = setTimeout(() => this.fire(), Math.min(realDelay, 2_000_000_000));
    this.handle.unref();
  }

  private fire(): void {
    const now = this.now();
    const due = this.pending.filter((p) => p.dueSim <= now).sort((a, b) => a.dueSim - b.dueSim);
    this.pending = this.pending.filter((p) => p.dueSim > now);
    for (const p of due) {
      if (p.done) continue;
      p.done = true;
      try {
        p.fn();
      } catch {
        // timer callbacks handle their own errors
      }
    }
    this.arm();
  }
}
