// 16 kHz 16-bit little-endian mono PCM helpers: tones, mixing, 20 ms frames.
export const SAMPLE_RATE = 16_000;
export const FRAME_MS = 20;
export const FRAME_SAMPLES = 320;
export const FRAME_BYTES = 640;

export function msToSamples(ms: number): number {
  return Math.round((ms * SAMPLE_RATE) / 1000);
}

export function silence(ms: number): Int16Array {
  return new Int16Array(msToSamples(ms));
}

/** A sine tone with 10 ms fades, amplitude ~ -12 dBFS. */
export function tone(hz: number, ms: number, amplitude = 8000): Int16Array {
  const n = msToSamples(ms);
  const out = new Int16Array(n);
  const fade = msToSamples(10);
  for (let i = 0; i < n; i++) {
    const env = Math.min(1, i / fade, (n - 1 - i) / fade);
    out[i] = Math.round(amplitude * env * Math.sin((2 * Math.PI * hz * i) / SAMPLE_RATE));
  }
  return out;
}

export function fromLeBytes(buf: Buffer): Int16Array {
  const n = Math.floor(buf.length / 2);
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++) out[i] = buf.readInt16LE(i * 2);
  return out;
}

/** Mean absolute amplitude of a frame slice: > threshold counts as speaking. */
export function energy(samples: Int16Array, start: number, count: number): number {
  let sum = 0;
  const end = Math.min(samples.length, start + count);
  for (let i = start; i < end; i++) sum += Math.abs(samples[i] ?? 0);
  return end > start ? sum / (end - start) : 0;
}

/** Writes one 640-byte frame: the clamped sum of the given sample slices. */
export function mixFrame(tracks: { samples: Int16Array; offset: number }[]): Buffer {
  const out = Buffer.alloc(FRAME_BYTES);
  if (tracks.length === 0) return out;
  for (let i = 0; i < FRAME_SAMPLES; i++) {
    let s = 0;
    for (const t of tracks) s += t.samples[t.offset + i] ?? 0;
    out.writeInt16LE(s > 32767 ? 32767 : s < -32768 ? -32768 : s, i * 2);
  }
  return out;
}
