// Process entry: cosmosdb-server over HTTPS. Env: TLS_CERT_FILE, TLS_KEY_FILE, COSMOS_PORT (0 = free), COSMOS_HOST.
// Prints `READY cosmos <url>` when listening; exits cleanly on SIGTERM/SIGINT.
import { listenCosmos } from './cosmos-listen.js';

function required(name: string): string {
  const value = process.env[name];
  if (!value) {
    process.stderr.write(`cosmos-server: ${name} is required\n`);
    process.exit(2);
  }
  return value;
}

const port = Number(process.env.COSMOS_PORT ?? '0');
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  process.stderr.write(`cosmos-server: COSMOS_PORT must be a port number, got ${process.env.COSMOS_PORT}\n`);
  process.exit(2);
}

const cosmos = await listenCosmos({
  certFile: required('TLS_CERT_FILE'),
  keyFile: required('TLS_KEY_FILE'),
  port,
  host: process.env.COSMOS_HOST ?? '127.0.0.1',
});
process.stdout.write(`READY cosmos ${cosmos.url}\n`);

let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  void cosmos.close().then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
