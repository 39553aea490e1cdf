// The storage seam: write-once objects with small metadata. Implemented by Azure Blob and by local files.

export type PutOutcome = 'created' | 'existed';

export interface PutOptions {
  metadata?: Record<string, string>;
  tags?: Record<string, string>;
  contentType?: string;
  abortSignal?: AbortSignal;
}

export interface StoredObjectInfo {
  name: string;
  metadata: Record<string, string>;
}

export interface ObjectStore {
  readonly kind: string;
  /**
   * Creates `name` only if absent (conditional create). If it exists with the same bytes the put is a no-op
   * ('existed'); if it exists with other bytes, throws ConflictError.
   */
  putIfAbsent(name: string, data: Buffer, options?: PutOptions): Promise<PutOutcome>;
  get(name: string, options?: { abortSignal?: AbortSignal }): Promise<{ data: Buffer; metadata: Record<string, string> } | undefined>;
  list(prefix: string): AsyncIterable<StoredObjectInfo>;
  /** Overwrites (test helpers and tamper simulation only; the worker never calls it). */
  overwriteForTest?(name: string, data: Buffer): Promise<void>;
}

export class ConflictError extends Error {
  constructor(readonly objectName: string) {
    super(`object ${objectName} already exists with different content`);
    this.name = 'ConflictError';
  }
}
