// The bridge side of a shared link (protocol version 2, PROTOCOL.md "Shared links"): one TCP connection carrying many
// sessions on channels. Routes WELCOME/CREDIT/ERROR/GOODBYE by channel and ACK by stream index to the session that
// owns them; answers PING; a closed link closes every channel on it. Reference for the C# bridge and used by tests.
import { connect, type Socket } from 'node:net';
import { FrameDecoder, encodeMessage, onChannel, type BridgeMessage, type ErrorMessage } from '../../../contracts/bridge/index.js';

export interface LinkChannelHandlers {
  onMessage(m: BridgeMessage): void;
  /** The link closed (every channel on it is gone). */
  onClosed(): void;
}

export class LinkChannel {
  private readonly indexes = new Map<string, number>();
  private open = true;

  constructor(
    readonly channel: number,
    private readonly link: ReferenceBridgeLink,
    readonly handlers: LinkChannelHandlers,
  ) {}

  /** The link-wide stream index of `streamId` on this channel (allocated once per channel). */
  streamIndex(streamId: string): number {
    let index = this.indexes.get(streamId);
    if (index === undefined) {
      index = this.link.allocateIndex(this);
      this.indexes.set(streamId, index);
    }
    return index;
  }

  write(m: BridgeMessage): void {
    if (!this.open) return;
    this.link.write(onChannel(m, this.channel));
  }

  /** The worker closed this channel (fatal ERROR, GOODBYE callEnded/migrating): free its number and indexes. */
  closed(): void {
    this.detach();
  }

  /** Forget the channel locally (a new HELLO for the session goes on a new channel). */
  detach(): void {
    if (!this.open) return;
    this.open = false;
    this.link.release(this, [...this.indexes.values()]);
  }
}

export class ReferenceBridgeLink {
  private socket: Socket | undefined;
  private connecting: Promise<Socket> | undefined;
  private decoder = new FrameDecoder();
  private readonly channels = new Map<number, LinkChannel>();
  private readonly byIndex = new Map<number, LinkChannel>();
  private nextChannel = 0;
  private nextIndex = 0;
  /** Link-level errors the worker sent (plain ERROR). */
  readonly errors: ErrorMessage[] = [];
  /** TCP connections this link has opened (1 unless it was lost and reopened). */
  connections = 0;

  constructor(private readonly address: { host: string; port: number }) {}

  /** Opens a channel (connecting the link first if needed). */
  async open(handlers: LinkChannelHandlers): Promise<LinkChannel> {
    await this.ensureConnected();
    const channel = new LinkChannel(this.allocate(this.channels, () => this.nextChannel++), this, handlers);
    this.channels.set(channel.channel, channel);
    return channel;
  }

  allocateIndex(owner: LinkChannel): number {
    const index = this.allocate(this.byIndex, () => this.nextIndex++);
    this.byIndex.set(index, owner);
    return index;
  }

  release(channel: LinkChannel, indexes: number[]): void {
    if (this.channels.get(channel.channel) === channel) this.channels.delete(channel.channel);
    for (const i of indexes) if (this.byIndex.get(i) === channel) this.byIndex.delete(i);
  }

  write(m: BridgeMessage): void {
    if (this.socket && !this.socket.destroyed) this.socket.write(encodeMessage(m));
  }

  /** Drops the TCP connection (simulates a network failure): every channel is closed. */
  destroy(): void {
    this.socket?.destroy();
  }

  private allocate(used: Map<number, unknown>, next: () => number): number {
    for (let tries = 0; tries <= 0xffff; tries++) {
      const n = next() & 0xffff;
      if (!used.has(n)) return n;
    }
    throw new Error('no free channel or stream index on this link');
  }

  private async ensureConnected(): Promise<void> {
    if (this.socket && !this.socket.destroyed) return;
    this.connecting ??= new Promise<Socket>((resolve, reject) => {
      const socket = connect(this.address);
      socket.setNoDelay(true);
      socket.once('connect', () => resolve(socket));
      socket.once('error', reject);
    }).finally(() => {
      this.connecting = undefined;
    });
    const socket = await this.connecting;
    if (this.socket === socket) return;
    this.socket = socket;
    this.connections++;
    this.decoder = new FrameDecoder();
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => {
      for (const m of this.decoder.push(chunk)) this.route(m);
    });
    socket.on('close', () => this.closed(socket));
  }

  private route(m: BridgeMessage): void {
    if (m.type === 'ping') return this.write({ type: 'pong', nonce: m.nonce });
    if (m.type === 'ack') return this.byIndex.get(m.streamIndex)?.handlers.onMessage(m);
    const channel = 'channel' in m ? m.channel : undefined;
    if (channel !== undefined) return this.channels.get(channel)?.handlers.onMessage(m);
    if (m.type === 'error') {
      this.errors.push(m);
      if (m.fatal) this.socket?.end();
    }
  }

  private closed(socket: Socket): void {
    if (this.socket !== socket) return;
    this.socket = undefined;
    const channels = [...this.channels.values()];
    this.channels.clear();
    this.byIndex.clear();
    for (const c of channels) {
      c.detach();
      c.handlers.onClosed();
    }
  }
}
