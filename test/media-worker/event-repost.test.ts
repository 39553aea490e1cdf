// mediaFlowing and sessionAdopted are re-posted with the same eventId (the orchestration's dedup id) until the grant
// or revoke arrives, so one the orchestration lost at a continueAsNew comes again; bounded, and stopped by the answer.
// Real poster, real HTTP stand-in for the functions app's /media-events, real in-process worker.
import type { Server } from 'node:http';
import { afterAll, describe, expect, it } from 'vitest';
import type { MediaEvent } from '../../contracts/worker-api/index.js';
import { EventReposter } from '../../media-worker/src/events/event-reposter.js';
import { MediaEventPoster } from '../../media-worker/src/events/media-event-poster.js';
import { createLogger } from '../../media-worker/src/log.js';
import type { RunningWorker } from '../../media-worker/src/worker.js';
import { eventSink } from './helpers/handover-fixtures.js';
import { api, reserveAndConnect, sendFrames, startTestWorker, waitFor } from './helpers/worker-harness.js';

const servers: Server[] = [];
const workers: RunningWorker[] = [];
const log = createLogger({ test: 'event-repost' }, 'silent');

afterAll(async () => {
  for (const w of workers) await w.close();
  for (const s of servers) s.close();
});

async function sinkAndPoster(): Promise<{ events: MediaEvent[]; poster: MediaEventPoster }> {
  const sink = await eventSink();
  servers.push(sink.server);
  const poster = new MediaEventPoster({ baseUrl: sink.url, sharedKey: 'k', workerId: 'w-1', maxQueued: 100, maxAttempts: 3, initialBackoffMs: 50, requestTimeoutMs: 5000 }, log);
  return { events: sink.events, poster };
}

const flowing = (callId: string) => ({ type: 'mediaFlowing' as const, callId, sessionId: 's-1', streamId: 'mixed' });

describe('event re-posting', () => {
  it('re-posts with the same eventId and at, at most maxReposts times', async () => {
    const { events, poster } = await sinkAndPoster();
    const reposter = new EventReposter(poster, { intervalMs: 50, maxReposts: 3 }, log);
    reposter.start('mediaFlowing', flowing('call-bound'));
    await waitFor(() => events.length >= 4, 10_000, 'first post and 3 re-posts');
    expect(reposter.keys).toEqual([]);
    await new Promise((r) => setTimeout(r, 300));
    expect(events).toHaveLength(4);
    expect(new Set(events.map((e) => e.eventId)).size).toBe(1);
    expect(new Set(events.map((e) => e.at)).size).toBe(1);
    poster.stop();
  });

  it('stops when settled; starting a running key again does not post a second event id', async () => {
    const { events, poster } = await sinkAndPoster();
    const reposter = new EventReposter(poster, { intervalMs: 50, maxReposts: 1_000 }, log);
    reposter.start('mediaFlowing', flowing('call-settle'));
    reposter.start('mediaFlowing', flowing('call-settle'));
    await waitFor(() => events.length >= 3, 10_000, 'two re-posts');
    reposter.settle('mediaFlowing', 'granted');
    expect(reposter.keys).toEqual([]);
    await new Promise((r) => setTimeout(r, 200)); // a post already queued may still land
    const settled = events.length;
    await new Promise((r) => setTimeout(r, 300));
    expect(events.length).toBe(settled);
    expect(new Set(events.map((e) => e.eventId)).size).toBe(1);
    poster.stop();
  });

  it('a worker re-posts mediaFlowing (same eventId) until the grant arrives, then stops', async () => {
    const sink = await eventSink();
    servers.push(sink.server);
    const { worker } = await startTestWorker({ FUNCTIONS_BASE_URL: sink.url });
    workers.push(worker);
    const s = await reserveAndConnect(worker.controlUrl);
    s.client.startStream(0, 'mixed');
    await sendFrames(s.client, 'mixed', 1, 5);
    const flows = () => sink.events.filter((e) => e.type === 'mediaFlowing' && e.sessionId === s.sessionId);
    // The default interval is 5 s: the first re-post comes after it.
    await waitFor(() => flows().length >= 2, 20_000, 'mediaFlowing re-posted');
    expect(new Set(flows().map((e) => e.eventId)).size).toBe(1);
    const session = worker.registry.get(s.sessionId);
    expect(session?.reposts.keys).toEqual(['mediaFlowing']);
    expect((await api(worker.controlUrl, 'POST', `/sessions/${s.sessionId}/recording`, { status: 'granted' })).status).toBe(200);
    expect(session?.reposts.keys).toEqual([]);
    s.client.close();
  }, 60_000);
});
