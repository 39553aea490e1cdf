// Finds a call's manifest blob from its call id: Cosmos recordings item, then blob index tag, then a prefix scan.
import type { RecordingsStore } from '../metadata/recordings-store.js';
import type { ObjectStore } from '../storage/object-store.js';

export interface TagSearchable {
  findByTag(key: string, value: string): AsyncIterable<string>;
}

function hasTagSearch(store: ObjectStore): store is ObjectStore & TagSearchable {
  return typeof (store as Partial<TagSearchable>).findByTag === 'function';
}

export async function locateManifest(callId: string, deps: { store: ObjectStore; recordings?: RecordingsStore }): Promise<string | undefined> {
  if (deps.recordings) {
    const item = await deps.recordings.findByCallId(callId).catch(() => undefined);
    if (item) return item.manifestBlob;
  }
  const suffix = `/${callId}/manifest.json`;
  if (hasTagSearch(deps.store)) {
    try {
      for await (const name of deps.store.findByTag('callid', callId)) if (name.endsWith(suffix)) return name;
    } catch {
      // tag search unavailable: fall back to a scan
    }
  }
  for await (const item of deps.store.list('')) if (item.name.endsWith(suffix)) return item.name;
  return undefined;
}
