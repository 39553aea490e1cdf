// The bridge's connections to the workers: one shared link per worker address that every session to that worker
// rides on (PROTOCOL.md "Shared links"), or a dedicated connection per session (version-1 style). A link that closed
// is forgotten; the next session to that worker opens a new one.
import { BridgeLink, DEFAULT_LINK_OPTIONS, type BridgeLinkOptions, type ChannelHandlers, type LinkChannel, type LinkMode } from './bridge-link.js';

export interface LinkAddress {
  host: string;
  port: number;
}

/** How long an address that did not speak shared links gets dedicated connections before shared links are tried again. */
export const NO_CHANNELS_RETRY_MS = 60_000;

export class BridgeLinkPool {
  private readonly shared = new Map<string, BridgeLink>();
  /** Addresses whose worker answered a shared link without channels (a version-1 style worker), until when. */
  private readonly dedicatedUntil = new Map<string, number>();
  private readonly live = new Set<BridgeLink>();
  /** TCP connections opened so far (shared and dedicated). */
  connectionsOpened = 0;

  constructor(private readonly o: BridgeLinkOptions = DEFAULT_LINK_OPTIONS) {}

  /** A channel for one session on the worker at `addr`: on its shared link (opened if none), or on a new dedicated connection. */
  attach(addr: LinkAddress, wanted: LinkMode, handlers: ChannelHandlers): LinkChannel {
    const key = `${addr.host}:${addr.port}`;
    const mode = wanted === 'shared' && (this.dedicatedUntil.get(key) ?? 0) > Date.now() ? 'dedicated' : wanted;
    let link = mode === 'shared' ? this.shared.get(key) : undefined;
    if (!link?.accepting) {
      link = new BridgeLink(addr.host, addr.port, mode, (gone) => this.forget(key, gone), this.o);
      this.connectionsOpened++;
      this.live.add(link);
      if (mode === 'shared') this.shared.set(key, link);
    }
    return link.attach(handlers);
  }

  /** Links open now. */
  get openLinks(): number {
    return this.live.size;
  }

  /** The shared link to an address, if one is open (for tests and stats). */
  linkTo(addr: LinkAddress): BridgeLink | undefined {
    return this.shared.get(`${addr.host}:${addr.port}`);
  }

  /** Socket writes and frames over every link still open (frames per write shows the coalescing). */
  writeStats(): { links: number; writes: number; frames: number } {
    let writes = 0;
    let frames = 0;
    for (const l of this.live) {
      writes += l.writes;
      frames += l.framesWritten;
    }
    return { links: this.live.size, writes, frames };
  }

  /** Cuts every link (their sessions see a disconnect). */
  close(): void {
    for (const l of [...this.live]) l.destroy('bridge pool closed');
  }

  /** Whether sessions to this address get dedicated connections now because its worker does not speak shared links. */
  fallsBackToDedicated(addr: LinkAddress): boolean {
    return (this.dedicatedUntil.get(`${addr.host}:${addr.port}`) ?? 0) > Date.now();
  }

  private forget(key: string, link: BridgeLink): void {
    if (link.noChannels) this.dedicatedUntil.set(key, Date.now() + NO_CHANNELS_RETRY_MS);
    if (this.shared.get(key) === link) this.shared.delete(key);
    if (link.state === 'closed') this.live.delete(link);
  }
}

let processPool: BridgeLinkPool | undefined;

/** The process-wide pool (one bridge process = one set of links), used when a session is not given one. */
export function defaultLinkPool(): BridgeLinkPool {
  processPool ??= new BridgeLinkPool();
  return processPool;
}
