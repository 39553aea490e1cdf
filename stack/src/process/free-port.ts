import { createServer } from 'node:net';

/** Loopback address every local part binds to. */
export const LOOPBACK = '127.0.0.1';

/** Resolves true when `port` can be bound on `host` right now. */
export function isPortFree(port: number, host: string = LOOPBACK): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => {
      server.close(() => resolve(true));
    });
  });
}

/** Asks the OS for a free port on `host`. */
export function findFreePort(host: string = LOOPBACK): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ port: 0, host, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('no port assigned'))));
    });
  });
}

/**
 * The preferred port when it is free, otherwise a free one from the OS.
 * `preferred` 0 or undefined means "any free port".
 */
export async function choosePort(preferred: number | undefined, host: string = LOOPBACK): Promise<number> {
  if (preferred !== undefined && preferred > 0 && (await isPortFree(preferred, host))) return preferred;
  return findFreePort(host);
}
