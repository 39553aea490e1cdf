// Ground truth per call leg: <dir>/<callId>.json with participants, timeline and per-stream hashes of what was sent.
import { mkdir, writeFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { Conversation, Leg } from '../teams/model.js';
import type { MediaSummary } from '../teams/media-hooks.js';

export function groundTruth(c: Conversation, leg: Leg, media: MediaSummary | undefined): Record<string, unknown> {
  return {
    callId: leg.id,
    callChainId: c.callChainId,
    tenantId: c.tenantId,
    scenario: c.scenario.name,
    recordedUser: leg.recordedKey,
    invitation: leg.invitation,
    outcome: leg.outcome ?? null,
    answerLatencyMs: leg.answerLatencyMs ?? null,
    resultInfo: leg.resultInfo ?? null,
    startedAt: c.startedAt,
    endedAt: c.endedAt ?? new Date().toISOString(),
    participants: c.participants.map((p) => ({
      key: p.key, participantId: p.participantId, sourceId: p.sourceId, kind: p.kind, displayName: p.displayName,
      objectId: p.objectId ?? null, phone: p.phone ?? null, recorded: p.recorded, metadata: p.metadata ?? null,
    })),
    users: [...c.users.values()],
    timeline: c.timeline,
    media: media ?? null,
    streams: media?.streams ?? [],
  };
}

export async function writeGroundTruthFile(dir: string, c: Conversation, leg: Leg, media: MediaSummary | undefined): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = join(dir, `${leg.id}.json`);
  const tmp = `${file}.tmp`;
  await writeFile(tmp, JSON.stringify(groundTruth(c, leg, media), null, 2));
  await rename(tmp, file);
  return file;
}
