import { readFile } from 'node:fs/promises';
import type { Server } from 'node:https';
import cosmosdbServer from '@vercel/cosmosdb-server';

export interface CosmosListenOptions {
  readonly certFile: string;
  readonly keyFile: string;
  /** 0 = any free port. */
  readonly port: number;
  readonly host: string;
}

export interface ListeningCosmos {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Starts `@vercel/cosmosdb-server` over HTTPS with our certificate (in-memory, keep-alive connections). */
export async function listenCosmos(options: CosmosListenOptions): Promise<ListeningCosmos> {
  const [cert, key] = await Promise.all([readFile(options.certFile), readFile(options.keyFile)]);
  // CommonJS module: its default export is the module object; `createHttpsServer` lives on it.
  const server: Server = cosmosdbServer.createHttpsServer({ cert, key, keepAlive: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port;
  return {
    url: `https://${options.host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
