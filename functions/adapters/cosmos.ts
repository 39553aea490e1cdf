/**
 * Conversation store on Cosmos DB: one item per conversation (id = callChainId, partition key /tenantId), legs merged
 * with create-or-conflict and ETag-conditional replace. Never a blind upsert. Cosmos is an index rebuildable from the
 * `call.json` blobs.
 */
import type { Container, CosmosClient } from '@azure/cosmos';
import { conversationIdOf, mergeLeg, type ConversationDocument, type LegRecord } from '../domain/call-document.js';
import { canonicalJson } from '../domain/dedup-id.js';

export type StoreOutcome = 'created' | 'updated' | 'unchanged';

const MAX_ATTEMPTS = 8;

function statusOf(err: unknown): number | undefined {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'number' ? code : undefined;
}

function stripSystem(resource: Record<string, unknown>): ConversationDocument | null {
  if (resource.docType !== 'conversation' || !Array.isArray(resource.legs)) return null;
  const { _rid: _a, _self: _b, _etag: _c, _attachments: _d, _ts: _e, ...rest } = resource;
  return rest as unknown as ConversationDocument;
}

export class ConversationStore {
  private container: Promise<Container> | null = null;

  constructor(
    private readonly client: CosmosClient,
    private readonly databaseId: string,
    private readonly containerId: string,
  ) {}

  private ready(): Promise<Container> {
    this.container ??= (async () => {
      const { database } = await this.client.databases.createIfNotExists({ id: this.databaseId });
      const { container } = await database.containers.createIfNotExists({ id: this.containerId, partitionKey: { paths: ['/tenantId'] } });
      return container;
    })().catch((err: unknown) => {
      this.container = null;
      throw err;
    });
    return this.container;
  }

  async get(tenantId: string, conversationId: string): Promise<ConversationDocument | null> {
    const container = await this.ready();
    const { resource, statusCode } = await container.item(conversationId, tenantId).read<Record<string, unknown>>();
    if (statusCode === 404 || !resource) return null;
    return stripSystem(resource);
  }

  /** Adds or replaces the leg in its conversation. Idempotent: a repeated call with the same leg is `unchanged`. */
  async putLeg(leg: LegRecord): Promise<{ outcome: StoreOutcome; document: ConversationDocument }> {
    const container = await this.ready();
    const id = conversationIdOf(leg);
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
      const read = await container.item(id, leg.tenantId).read<Record<string, unknown>>();
      if (read.statusCode === 404 || !read.resource) {
        const doc = mergeLeg(null, leg);
        try {
          await container.items.create(doc);
          return { outcome: 'created', document: doc };
        } catch (err) {
          if (statusOf(err) === 409) continue;
          throw err;
        }
      }
      const existing = stripSystem(read.resource);
      if (!existing) throw new Error(`item ${id} in ${this.containerId} is not a conversation document`);
      const merged = mergeLeg(existing, leg);
      if (canonicalJson(merged) === canonicalJson(existing)) return { outcome: 'unchanged', document: existing };
      const etag = read.resource._etag;
      if (typeof etag !== 'string') throw new Error(`item ${id} has no _etag`);
      try {
        await container.item(id, leg.tenantId).replace(merged, { accessCondition: { type: 'IfMatch', condition: etag } });
        return { outcome: 'updated', document: merged };
      } catch (err) {
        if (statusOf(err) === 412) continue;
        throw err;
      }
    }
    throw new Error(`conversation ${id}: too many concurrent updates`);
  }
}
