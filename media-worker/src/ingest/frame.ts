// The unit of media inside the worker: one 20 ms PCM frame of one stream.
export interface Frame {
  seq: number;
  /** 100-ns units. */
  timestamp: bigint;
  flags: number;
  activeSpeakers: number[];
  payload: Buffer;
}

export type GapReason = 'missingSeq' | 'timestampJump' | 'bridgeDisconnected' | 'workerRestart' | 'notGranted';

export interface GapRecord {
  fromSeq: number;
  toSeq: number;
  reason: GapReason;
}
