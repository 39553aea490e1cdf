/** The host clock: real time, optionally running `scale` times faster from the moment it was created. */
import type { Clock } from '../runtime/extension.js';

export interface ScaledClock extends Clock {
  readonly scale: number;
  /** Real milliseconds to wait until the host clock reads `targetMs`. */
  realDelayUntil(targetMs: number): number;
}

export function createScaledClock(scale = 1, realNow: () => number = Date.now): ScaledClock {
  if (!Number.isFinite(scale) || scale <= 0) throw new Error(`The clock scale must be a positive number, got ${scale}`);
  const origin = realNow();
  const now = (): number => (scale === 1 ? realNow() : origin + Math.round((realNow() - origin) * scale));
  return {
    scale,
    now,
    realDelayUntil: (targetMs) => Math.max(0, Math.ceil((targetMs - now()) / scale)),
  };
}
