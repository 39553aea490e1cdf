/**
 * The app thread: the local stand-in for the Node language worker, which the real Functions host runs as a process
 * of its own. It loads the app through the real @azure/functions library (AppRuntime) and runs the invocations the
 * host sends; the host keeps HTTP ingress, keys, timers and the Durable store, so their work does not queue the
 * app's handlers (a policy call's answer must not wait behind a replay's sqlite commit).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { AppRuntime } from './app-runtime.js';
import { type AppThreadData, type FromAppThread, serializeError, type ToAppThread } from './app-thread-protocol.js';
import { createJsonLogger } from './log.js';

const port = parentPort;
if (!port) throw new Error('app-thread-main runs only as a worker thread of the local host.');
const data = workerData as AppThreadData;
const send = (m: FromAppThread): void => port.postMessage(m);
const log = createJsonLogger({ level: data.logLevel, fields: { host: 'local-host', thread: 'app' } });

// Input bindings are resolved by the host's extensions before an invocation crosses (request.inputData).
const runtime = new AppRuntime(log, async (binding, fn) => {
  throw new Error(`Input binding "${binding.name}" of function "${fn.name}" was not resolved by the host.`);
});

port.on('message', (m: ToAppThread) => {
  if (m.kind === 'invoke') {
    runtime.invoke(m.functionName, m.request, m.options).then(
      (result) => send({ kind: 'done', id: m.id, result }),
      (err: unknown) => send({ kind: 'failed', id: m.id, error: serializeError(err) }),
    );
  } else {
    runtime.terminate().then(
      () => send({ kind: 'done', id: m.id }),
      (err: unknown) => send({ kind: 'failed', id: m.id, error: serializeError(err) }),
    );
  }
});

try {
  const loaded = await runtime.load(data.appDir);
  send({ kind: 'loaded', app: { entryFiles: loaded.entryFiles, capabilities: { ...loaded.capabilities }, functions: runtime.registry.infos() } });
} catch (err) {
  send({ kind: 'loadFailed', error: serializeError(err) });
}
