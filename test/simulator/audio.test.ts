// Audio sources and the frame plan: WAV (resampled by sox), espeak-ng speech, tones, mixing and speaker detection.
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { speak, wavFile } from '../../simulator/src/media/audio-sources.js';
import { planFromScript, defaultPlan } from '../../simulator/src/media/audio-plan.js';
import { FRAME_BYTES, mixFrame, tone } from '../../simulator/src/media/pcm.js';

const run = promisify(execFile);

describe('audio sources', () => {
  it('a 44.1 kHz stereo WAV becomes 16 kHz mono PCM of the same length', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sim-wav-'));
    const file = join(dir, 'a.wav');
    await run('sox', ['-n', '-r', '44100', '-c', '2', file, 'synth', '0.5', 'sine', '300']);
    const pcm = await wavFile(file);
    expect(pcm.length).toBeGreaterThanOrEqual(7990);
    expect(pcm.length).toBeLessThanOrEqual(8010);
    expect(Math.max(...pcm.slice(0, 2000))).toBeGreaterThan(1000);
  });

  it('espeak-ng speech is non-silent 16 kHz audio, and the same text is synthesized once', async () => {
    const [a, b] = await Promise.all([speak('Sell two hundred.'), speak('Sell two hundred.')]);
    expect(a).toBe(b);
    expect(a.length).toBeGreaterThan(8000);
    expect(a.some((s) => Math.abs(s) > 2000)).toBe(true);
  });

  it('plan: segments play in turn; voices below the threshold are silent; mixing sums and clamps', async () => {
    const plan = await planFromScript([{ speaker: 'a', toneHz: 400, ms: 100 }, { silenceMs: 100 }, { speaker: 'b', toneHz: 600, ms: 100 }]);
    expect(plan.voicesAt(2).map((v) => v.speaker)).toEqual(['a']);
    expect(plan.voicesAt(7)).toEqual([]);
    expect(plan.voicesAt(12).map((v) => v.speaker)).toEqual(['b']);
    expect(plan.voicesAt(100)).toEqual([]);
    const loop = defaultPlan(['x', 'y']);
    expect(loop.voicesAt(10).map((v) => v.speaker)).toEqual(['x']);
    expect(loop.voicesAt(70).map((v) => v.speaker)).toEqual(['y']);
    expect(loop.voicesAt(130).map((v) => v.speaker)).toEqual(['x']);
    const loud = new Int16Array(320).fill(30000);
    const frame = mixFrame([{ samples: loud, offset: 0 }, { samples: loud, offset: 0 }]);
    expect(frame.length).toBe(FRAME_BYTES);
    expect(frame.readInt16LE(0)).toBe(32767);
    expect(tone(440, 20).length).toBe(320);
  });
});
