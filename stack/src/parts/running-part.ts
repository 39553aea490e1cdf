import type { LogSink } from '../process/log-sink.js';

/** A started part of the local stack. */
export interface RunningPart {
  readonly name: string;
  /** Base URL clients use (for Azurite: the blob endpoint). */
  readonly url: string;
  /** What clients of this part need: connection strings, endpoints. */
  readonly env: Readonly<Record<string, string>>;
  /** The child's pid (undefined when the part runs in-process). */
  readonly pid: number | undefined;
  /** SIGTERM, then SIGKILL after a grace period. Idempotent. */
  stop(): Promise<void>;
  /** SIGKILL at once, for crash tests. Idempotent. */
  kill(): Promise<void>;
}

/** Options every part accepts. */
export interface PartOptions {
  /** Child output: `false` silences it, a function receives lines; default: prefixed console. */
  readonly log?: boolean | LogSink;
  /** How long to wait for the part to be ready. */
  readonly readyTimeoutMs?: number;
  /** PEM file trusted by the child (`NODE_EXTRA_CA_CERTS`). */
  readonly caFile?: string;
  /** Extra environment for the child. */
  readonly env?: Readonly<Record<string, string>>;
}
