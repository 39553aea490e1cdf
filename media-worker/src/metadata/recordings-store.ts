// Cosmos `recordings` items: one per call leg, written on seal with create-or-conflict; updates use ETag conditions.
// Never a blind upsert, never an item per chunk (the chunk list lives in the manifest).
import type { Container } from '@azure/cosmos';
import { z } from 'zod';

export const RecordingItemSchema = z.object({
  id: z.string(),
  type: z.literal('recording'),
  callId: z.string(),
  callChainId: z.string(),
  tenantId: z.string(),
  region: z.string(),
  sessionId: z.string(),
  workerId: z.string(),
  manifestBlob: z.string(),
  container: z.string(),
  streams: z.array(z.object({ streamId: z.string(), kind: z.string(), sourceId: z.number().nullable(), chunks: z.number(), frames: z.number(), bytes: z.number(), chainHead: z.string() })),
  chunkCount: z.number(),
  gapCount: z.number(),
  integrity: z.enum(['sealed', 'verified', 'failed']),
  integrityCheckedAt: z.string().nullable(),
  createdAt: z.string(),
  grantedAt: z.string().nullable(),
  sealedAt: z.string(),
});
export type RecordingItem = z.infer<typeof RecordingItemSchema>;

export type CreateOutcome = 'created' | 'existed';

export interface RecordingsStore {
  create(item: RecordingItem): Promise<CreateOutcome>;
  findByCallId(callId: string): Promise<RecordingItem | undefined>;
  setIntegrity(callId: string, tenantId: string, integrity: RecordingItem['integrity'], checkedAt: string): Promise<void>;
}

export class RecordingConflictError extends Error {
  constructor(callId: string) {
    super(`a different recordings item already exists for call ${callId}`);
    this.name = 'RecordingConflictError';
  }
}

function statusOf(err: unknown): number | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err) {
    const code = (err as { code: unknown }).code;
    return typeof code === 'number' ? code : undefined;
  }
  return undefined;
}

/** Container `recordings`, partition key `/tenantId`, id = callId. */
export class CosmosRecordingsStore implements RecordingsStore {
  constructor(private readonly container: Container) {}

  async create(item: RecordingItem): Promise<CreateOutcome> {
    try {
      await this.container.items.create(item);
      return 'created';
    } catch (err) {
      if (statusOf(err) !== 409) throw err;
      const { resource } = await this.container.item(item.id, item.tenantId).read<Record<string, unknown>>();
      const existing = RecordingItemSchema.safeParse(resource);
      if (
        existing.success &&
        existing.data.manifestBlob === item.manifestBlob &&
        JSON.stringify(existing.data.streams.map((s) => s.chainHead)) === JSON.stringify(item.streams.map((s) => s.chainHead))
      ) {
        return 'existed';
      }
      throw new RecordingConflictError(item.callId);
    }
  }

  async findByCallId(callId: string): Promise<RecordingItem | undefined> {
    const { resources } = await this.container.items
      .query<unknown>({ query: 'SELECT * FROM c WHERE c.callId = @callId AND c.type = "recording"', parameters: [{ name: '@callId', value: callId }] })
      .fetchAll();
    for (const r of resources) {
      const parsed = RecordingItemSchema.safeParse(r);
      if (parsed.success) return parsed.data;
    }
    return undefined;
  }

  async setIntegrity(callId: string, tenantId: string, integrity: RecordingItem['integrity'], checkedAt: string): Promise<void> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const { resource, etag } = await this.container.item(callId, tenantId).read<Record<string, unknown>>();
      const parsed = RecordingItemSchema.safeParse(resource);
      if (!parsed.success || !etag) throw new Error(`recordings item for ${callId} missing or malformed`);
      try {
        await this.container.item(callId, tenantId).replace({ ...parsed.data, integrity, integrityCheckedAt: checkedAt }, { accessCondition: { type: 'IfMatch', condition: etag } });
        return;
      } catch (err) {
        if (statusOf(err) !== 412) throw err;
      }
    }
    throw new Error(`could not update integrity of ${callId}: concurrent writers`);
  }
}
