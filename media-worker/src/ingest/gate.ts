// The recording gate: no media byte (nor data derived from it) may be persisted before the session's recording
// grant arrives (Graph's updateRecordingStatus(recording) succeeded). Until then frames stay in memory.
export type GateState = 'pending' | 'granted' | 'revoked';

export class RecordingGate {
  private waiters: Array<(s: GateState) => void> = [];

  constructor(private current: GateState = 'pending') {}

  get state(): GateState {
    return this.current;
  }

  grant(): void {
    if (this.current !== 'pending') return;
    this.settle('granted');
  }

  /** Revocation is final: once revoked (or closed without a grant), the session persists nothing more. */
  revoke(): void {
    if (this.current === 'revoked') return;
    this.settle('revoked');
  }

  /** Resolves as soon as the gate is no longer pending. */
  wait(): Promise<GateState> {
    if (this.current !== 'pending') return Promise.resolve(this.current);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private settle(s: GateState): void {
    this.current = s;
    const w = this.waiters;
    this.waiters = [];
    for (const resolve of w) resolve(s);
  }
}
