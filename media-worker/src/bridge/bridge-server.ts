// The bridge TCP listener.
import { createServer, type Server } from 'node:net';
import type { MediaEventSink } from '../events/media-event-poster.js';
import type { Logger } from '../log.js';
import type { SessionRegistry } from '../session/session-registry.js';
import { BridgeConnection, type BridgeConnectionOptions } from './bridge-connection.js';

export class BridgeServer {
  private readonly server: Server;
  private readonly connections = new Set<BridgeConnection>();

  constructor(registry: SessionRegistry, events: MediaEventSink, options: BridgeConnectionOptions, log: Logger) {
    this.server = createServer((socket) => {
      const c = new BridgeConnection(socket, registry, events, options, log.child({ remote: `${socket.remoteAddress}:${socket.remotePort}` }), (x) => this.connections.delete(x));
      this.connections.add(c);
    });
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        const addr = this.server.address();
        resolve(typeof addr === 'object' && addr ? addr.port : port);
      });
    });
  }

  async close(): Promise<void> {
    for (const c of this.connections) c.close();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
