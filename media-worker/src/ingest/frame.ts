// Gaps in a stream: what was missing or odd, and why (recorded in the chunk's chain record and the manifest).
export type GapReason = 'missingSeq' | 'timestampJump' | 'bridgeDisconnected' | 'workerRestart' | 'notGranted';

export interface GapRecord {
  fromSeq: number;
  toSeq: number;
  reason: GapReason;
}
