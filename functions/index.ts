/**
 * Entry point of the Functions app (`package.json` main → dist/functions/index.js): registers every function.
 * Routes:
 *   POST /api/calling/notifications                    Graph calling webhook (global)
 *   POST /api/calling/notifications/{workerId}/{callId} per-call callback URI given in `answer`
 *   POST /api/media-events                             media-worker events (x-worker-key)
 *   POST /api/ops/reindex                            rebuild the Cosmos index from Blob (admin key)
 * Orchestration `callLifecycle` (instance id = call id) and its activities.
 */
import { app } from '@azure/functions';
import * as df from 'durable-functions';
import { createFinalizeCall } from './activities/finalize-call.js';
import { createGetCall } from './activities/get-call.js';
import { createHangUpCall } from './activities/hang-up-call.js';
import { createKeepAliveCall } from './activities/keep-alive-call.js';
import { createReleaseSession } from './activities/release-session.js';
import { createSealRecording } from './activities/seal-recording.js';
import { createSendRoster } from './activities/send-roster.js';
import { createSetWorkerRecording } from './activities/set-worker-recording.js';
import { createUpdateRecordingStatus } from './activities/update-recording-status.js';
import { durableClientInput } from './adapters/durable-client.js';
import { appDeps, warmUp, type AppDeps } from './deps.js';
import { ACTIVITY } from './domain/activity-contracts.js';
import { CALL_ORCHESTRATOR } from './domain/signals.js';
import { postOpsReindex } from './http/ops-reindex.js';
import { postCallingNotifications } from './http/calling-notifications.js';
import { postMediaEvent } from './http/media-events.js';
import { callLifecycle } from './orchestrators/call-lifecycle.js';


app.http('callingNotifications', {
  route: 'calling/notifications',
  methods: ['POST'],
  authLevel: 'anonymous',
  extraInputs: [durableClientInput],
  handler: postCallingNotifications,
});

app.http('callingNotificationsPerCall', {
  route: 'calling/notifications/{workerId}/{callId}',
  methods: ['POST'],
  authLevel: 'anonymous',
  extraInputs: [durableClientInput],
  handler: postCallingNotifications,
});

app.http('mediaEvents', {
  route: 'media-events',
  methods: ['POST'],
  authLevel: 'anonymous',
  extraInputs: [durableClientInput],
  handler: postMediaEvent,
});

app.http('opsReindex', {
  route: 'ops/reindex',
  methods: ['POST'],
  authLevel: 'admin',
  handler: postOpsReindex,
});

df.app.orchestration(CALL_ORCHESTRATOR, callLifecycle);

/** Activities are built once from the process-wide dependencies, on first use. */
function lazy<I, O>(make: (deps: AppDeps) => (input: I) => Promise<O>): (input: unknown) => Promise<O> {
  let fn: ((input: I) => Promise<O>) | null = null;
  return (input: unknown) => {
    fn ??= make(appDeps());
    return fn(input as I);
  };
}

df.app.activity(ACTIVITY.updateRecordingStatus, { handler: lazy((d) => createUpdateRecordingStatus(d)) });
df.app.activity(ACTIVITY.setWorkerRecording, { handler: lazy((d) => createSetWorkerRecording(d)) });
df.app.activity(ACTIVITY.sendRoster, { handler: lazy((d) => createSendRoster(d)) });
df.app.activity(ACTIVITY.keepAlive, { handler: lazy((d) => createKeepAliveCall(d)) });
df.app.activity(ACTIVITY.getCall, { handler: lazy((d) => createGetCall(d)) });
df.app.activity(ACTIVITY.hangUp, { handler: lazy((d) => createHangUpCall(d)) });
df.app.activity(ACTIVITY.sealRecording, { handler: lazy((d) => createSealRecording({ workers: d.workers, sealTimeoutMs: 30_000 })) });
df.app.activity(ACTIVITY.finalizeCall, { handler: lazy((d) => createFinalizeCall(d)) });
df.app.activity(ACTIVITY.releaseSession, { handler: lazy((d) => createReleaseSession(d)) });

// Build the clients at load and warm the caches on the answer path (JWKS, worker load, Graph tokens).
try {
  void warmUp(appDeps());
} catch (err) {
  console.error(JSON.stringify({ level: 'error', msg: 'recorder app misconfigured; handlers will answer 503', error: (err as Error).message }));
}
