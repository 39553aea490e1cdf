// Fixtures shared by the handover tests that run real worker processes: a stallable TCP proxy in front of Azurite
// (worker A's Blob path made "slow") and a stand-in for the functions app's media-events endpoint.
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { MediaEventSchema, type MediaEvent } from '../../../contracts/worker-api/index.js';

/** A TCP proxy to Azurite that can be stalled: nothing moves either way until released (Blob "slow" for worker A). */
export class StallableProxy {
  private server: Server | undefined;
  private readonly pairs = new Set<[Socket, Socket]>();
  stalled = false;
  constructor(private readonly target: { host: string; port: number }) {}

  async listen(): Promise<number> {
    this.server = createServer((client) => {
      const upstream = connect(this.target);
      const pair: [Socket, Socket] = [client, upstream];
      this.pairs.add(pair);
      client.pipe(upstream);
      upstream.pipe(client);
      if (this.stalled) this.pause(pair);
      const drop = (): void => {
        this.pairs.delete(pair);
        client.destroy();
        upstream.destroy();
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
    });
    await new Promise<void>((r) => this.server?.listen(0, '127.0.0.1', () => r()));
    const addr = this.server.address();
    return typeof addr === 'object' && addr ? addr.port : 0;
  }

  private pause([a, b]: [Socket, Socket]): void {
    a.unpipe(b);
    b.unpipe(a);
    a.pause();
    b.pause();
  }

  stall(): void {
    this.stalled = true;
    for (const p of this.pairs) this.pause(p);
  }

  close(): void {
    for (const [a, b] of this.pairs) {
      a.destroy();
      b.destroy();
    }
    this.server?.close();
  }
}

/** Plays the functions app's media-events endpoint: collects what the workers post. */
export async function eventSink(): Promise<{ url: string; events: MediaEvent[]; server: HttpServer }> {
  const events: MediaEvent[] = [];
  const server = createHttpServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const parsed = MediaEventSchema.safeParse(JSON.parse(body));
      if (parsed.success) events.push(parsed.data);
      res.writeHead(parsed.success ? 202 : 400).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const addr = server.address();
  return { url: `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/api`, events, server };
}
