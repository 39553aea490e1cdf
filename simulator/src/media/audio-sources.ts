// Audio sources for a script: espeak-ng speech (resampled to 16 kHz by sox), tones, silence, WAV files.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fromLeBytes, silence, tone } from './pcm.js';
import type { AudioSegment } from '../teams/scenario.js';

const run = promisify(execFile);
const CACHE_DIR = join(tmpdir(), 'sim-speech-cache');

const inFlight = new Map<string, Promise<Int16Array>>();

/** Speech for `text` as 16 kHz PCM; cached on disk by voice and text, and shared by concurrent calls. */
export function speak(text: string, voice = 'en-us'): Promise<Int16Array> {
  const key = `${voice}\u0000${text}`;
  let p = inFlight.get(key);
  if (!p) {
    p = synthesize(text, voice);
    inFlight.set(key, p);
    // Keep a bounded number of decoded clips in memory.
    if (inFlight.size > 200) inFlight.delete(inFlight.keys().next().value ?? key);
    p.catch(() => inFlight.delete(key));
  }
  return p;
}

async function synthesize(text: string, voice: string): Promise<Int16Array> {
  await mkdir(CACHE_DIR, { recursive: true });
  const key = createHash('sha256').update(`${voice}\u0000${text}`).digest('hex').slice(0, 32);
  const raw = join(CACHE_DIR, `${key}.s16`);
  if (!existsSync(raw)) {
    const wav = join(CACHE_DIR, `${key}.${process.pid}.wav`);
    await run('espeak-ng', ['-v', voice, '-s', '160', '-w', wav, text], { timeout: 30_000 });
    const tmp = `${raw}.${process.pid}.tmp`;
    await run('sox', [wav, '-r', '16000', '-c', '1', '-b', '16', '-e', 'signed-integer', '-t', 'raw', '-L', tmp], { timeout: 30_000 });
    await rename(tmp, raw);
  }
  return fromLeBytes(await readFile(raw));
}

/** A WAV file as 16 kHz mono PCM (converted by sox when it is anything else). */
export async function wavFile(path: string): Promise<Int16Array> {
  const { stdout } = await run('sox', [path, '-r', '16000', '-c', '1', '-b', '16', '-e', 'signed-integer', '-t', 'raw', '-L', '-'], { encoding: 'buffer', maxBuffer: 512 * 1024 * 1024, timeout: 60_000 });
  return fromLeBytes(stdout);
}

export async function segmentAudio(seg: AudioSegment): Promise<Int16Array> {
  if ('silenceMs' in seg) return silence(seg.silenceMs);
  if ('text' in seg) return speak(seg.text, seg.voice);
  if ('toneHz' in seg) return tone(seg.toneHz, seg.ms);
  return wavFile(seg.wav);
}
