// Places a scenario script on a timeline and yields, per 20 ms frame, which speakers sound and their samples.
import type { AudioSegment } from '../teams/scenario.js';
import { FRAME_SAMPLES, energy, msToSamples, tone } from './pcm.js';
import { segmentAudio } from './audio-sources.js';

export interface Clip {
  speaker: string;
  start: number;
  samples: Int16Array;
}

export interface FrameVoice {
  speaker: string;
  samples: Int16Array;
  offset: number;
}

const SPEAKING_THRESHOLD = 150;

export class AudioPlan {
  constructor(
    readonly clips: Clip[],
    /** Length of one pass in samples. */
    readonly lengthSamples: number,
    /** Repeat the pass (default tone pattern) or fall silent after it (scripts). */
    readonly loop: boolean,
  ) {}

  /** Voices heard in frame `index`, with those below the speaking threshold left out. */
  voicesAt(index: number): FrameVoice[] {
    let pos = index * FRAME_SAMPLES;
    if (this.loop && this.lengthSamples > 0) pos %= this.lengthSamples;
    const out: FrameVoice[] = [];
    for (const c of this.clips) {
      const offset = pos - c.start;
      if (offset < 0 || offset >= c.samples.length) continue;
      if (energy(c.samples, offset, FRAME_SAMPLES) < SPEAKING_THRESHOLD) continue;
      out.push({ speaker: c.speaker, samples: c.samples, offset });
    }
    return out;
  }
}

/** Segments play one after another; `silenceMs` is a pause. */
export async function planFromScript(script: AudioSegment[]): Promise<AudioPlan> {
  const clips: Clip[] = [];
  let cursor = 0;
  for (const seg of script) {
    const samples = await segmentAudio(seg);
    if ('speaker' in seg) clips.push({ speaker: seg.speaker, start: cursor, samples });
    cursor += samples.length;
  }
  return new AudioPlan(clips, cursor, false);
}

/** Without a script: each speaker in turn plays a 1 s tone of its own pitch, 200 ms apart, looping. */
export function defaultPlan(speakers: string[]): AudioPlan {
  const clips: Clip[] = [];
  let cursor = 0;
  speakers.forEach((speaker, i) => {
    const samples = tone(330 + 110 * i, 1000);
    clips.push({ speaker, start: cursor, samples });
    cursor += samples.length + msToSamples(200);
  });
  return new AudioPlan(clips, cursor, true);
}
