// What the call engine needs from the media side (the simulated Windows media bridge).
import type { Conversation, Leg } from './model.js';

export interface StreamTruth {
  streamId: string;
  sourceId?: string;
  frames: number;
  bytes: number;
  /** SHA-256 (hex) of the concatenated PCM payloads as sent, in sequence order. */
  sha256: string;
  firstTimestamp?: string;
  lastTimestamp?: string;
  /** Frames Teams produced for the stream (seq 1..n), whether or not they reached a worker. */
  generatedFrames?: number;
  /** SHA-256 of every produced payload in seq order: equals the stored stream's when nothing was lost. */
  generatedSha256?: string;
}

export interface MediaSummary {
  bridge?: string;
  sessionId?: string;
  mode: 'mixed' | 'unmixed';
  streams: StreamTruth[];
  connects: number;
  replayedFrames: number;
  ackedFrames: number;
  /** Welcomes on a worker other than the first (the session moved after its worker was lost). */
  moves?: Array<{ address: string; welcomedAt: string }>;
  error?: string;
}

export interface MediaHooks {
  /** Starts streaming for an established leg (decodes leg.mediaConfigBlob). */
  start(conversation: Conversation, leg: Leg, onLost: (reason: string) => void): void;
  /** Stops streaming and reports what was sent. */
  stop(legId: string): Promise<MediaSummary | undefined>;
  /** Drops the bridge connection without replay (worker killed). */
  drop(legId: string): void;
  /** Pacing figures for capacity measurements. */
  stats?(): MediaStats;
}

export interface MediaStats {
  activeSessions: number;
  framesGenerated: number;
  /** Worst lateness of real-time frame generation since the last stats() call (ms). */
  maxLagMs: number;
  /** Frames waiting to be sent across sessions (credit or connection). */
  unsentFrames: number;
}

export const noMedia: MediaHooks = {
  start: () => undefined,
  stop: () => Promise.resolve(undefined),
  drop: () => undefined,
};
