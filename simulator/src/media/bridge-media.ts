// MediaHooks backed by the bridge protocol: decodes the worker's local media config after answer, builds the audio
// plan, and paces 20 ms frames (real time or as fast as credit allows) into a BridgeSession per call leg. The sessions
// to one worker share one link (one TCP connection, one socket write per turn) unless `transport: 'dedicated'`.
import { decodeLocalMediaConfig, parseBridgeAddress, AudioFlags, NO_SOURCE_ID, FRAME_DURATION_100NS } from '../../../contracts/bridge/index.js';
import type { Conversation, Leg, SimParticipant } from '../teams/model.js';
import type { MediaHooks, MediaSummary } from '../teams/media-hooks.js';
import type { Logger } from '../log.js';
import { BridgeSession, DEFAULT_BRIDGE_OPTIONS, type BridgeSessionOptions } from './bridge-session.js';
import { BridgeLinkPool } from './bridge-link-pool.js';
import { AudioPlan, defaultPlan, planFromScript } from './audio-plan.js';
import { FRAME_MS, energy, mixFrame, FRAME_SAMPLES } from './pcm.js';

const MAX_UNMIXED = 4;
const FAST_WINDOW_FRAMES = 400;
const FINISH_TIMEOUT_MS = 5000;

interface Active {
  conversation: Conversation;
  leg: Leg;
  mode: 'mixed' | 'unmixed';
  pacing: 'realtime' | 'fast';
  session?: BridgeSession;
  plan?: AudioPlan;
  startReal: number;
  tsBase: bigint;
  next: number;
  maxFrames: number;
  bridge?: string;
  sessionId?: string;
  error?: string;
}

export interface BridgeMediaOptions {
  tickMs?: number;
  /** Session options; `bridge.transport` picks shared links (default) or a dedicated connection per leg. */
  bridge?: Partial<BridgeSessionOptions>;
}

export function bridgeMedia(log: Logger, options: BridgeMediaOptions = {}): MediaHooks {
  const active = new Map<string, Active>();
  // This simulator's bridge process: its links to the workers (one per worker address when shared).
  const links = options.bridge?.linkPool ?? new BridgeLinkPool();
  let ticker: NodeJS.Timeout | undefined;
  let framesGenerated = 0;
  let maxLagMs = 0;

  const ensureTicker = (): void => {
    if (ticker || active.size === 0) return;
    ticker = setInterval(tick, options.tickMs ?? 10);
  };

  function tick(): void {
    if (active.size === 0 && ticker) {
      clearInterval(ticker);
      ticker = undefined;
      return;
    }
    const now = Date.now();
    for (const a of active.values()) {
      if (!a.session || !a.plan || a.session.isStopped()) continue;
      const due = a.pacing === 'realtime' ? Math.floor((now - a.startReal) / FRAME_MS) + 1 : a.next + Math.max(0, FAST_WINDOW_FRAMES - a.session.unsentFrames());
      const until = Math.min(due, a.maxFrames);
      if (a.pacing === 'realtime' && a.next < until) maxLagMs = Math.max(maxLagMs, now - (a.startReal + a.next * FRAME_MS));
      while (a.next < until) {
        generate(a, a.next++);
        framesGenerated++;
      }
    }
  }

  function speakerOf(c: Conversation, key: string): SimParticipant | undefined {
    return c.participants.find((p) => p.key === key);
  }

  function generate(a: Active, i: number): void {
    const session = a.session;
    const plan = a.plan;
    if (!session || !plan) return;
    const timestamp = a.tsBase + BigInt(i) * FRAME_DURATION_100NS;
    const voices = plan.voicesAt(i).filter((v) => {
      const p = speakerOf(a.conversation, v.speaker);
      return p !== undefined && p.inCall && !p.onHold;
    });
    if (a.mode === 'mixed') {
      const speakers = voices.map((v) => Number(speakerOf(a.conversation, v.speaker)?.sourceId ?? NO_SOURCE_ID));
      session.push('mixed', { timestamp, flags: voices.length === 0 ? AudioFlags.silence : 0, speakers, payload: mixFrame(voices) });
      return;
    }
    const top = voices
      .map((v) => ({ v, e: energy(v.samples, v.offset, FRAME_SAMPLES) }))
      .sort((x, y) => y.e - x.e)
      .slice(0, MAX_UNMIXED);
    for (const { v } of top) {
      const sourceId = Number(speakerOf(a.conversation, v.speaker)?.sourceId ?? NO_SOURCE_ID);
      const streamId = `unmixed-${sourceId}`;
      session.addStream(streamId, 'unmixed', sourceId);
      session.push(streamId, { timestamp, flags: 0, speakers: [sourceId], payload: mixFrame([v]) });
    }
  }

  async function prepare(a: Active, onLost: (reason: string) => void): Promise<void> {
    const s = a.conversation.scenario;
    const cfg = decodeLocalMediaConfig(a.leg.mediaConfigBlob ?? '');
    a.bridge = cfg.bridge;
    a.sessionId = cfg.sessionId;
    a.plan = s.media.script.length > 0 ? await planFromScript(s.media.script) : defaultPlan(a.conversation.participants.map((p) => p.key));
    if (!active.has(a.leg.id)) return;
    const alternates = (cfg.alternates ?? []).map(parseBridgeAddress);
    a.session = new BridgeSession({ host: cfg.host, port: cfg.port, sessionId: cfg.sessionId, token: cfg.token, callId: a.leg.id, alternates }, log, onLost, { ...DEFAULT_BRIDGE_OPTIONS, ...options.bridge, linkPool: links });
    if (a.mode === 'mixed') a.session.addStream('mixed', 'mixed', NO_SOURCE_ID);
    a.session.start();
    a.startReal = Date.now();
    a.tsBase = BigInt(Date.now()) * 10_000n;
    ensureTicker();
  }

  return {
    start(conversation, leg, onLost) {
      const s = conversation.scenario;
      const a: Active = {
        conversation, leg, mode: s.media.mode, pacing: s.media.pacing, startReal: Date.now(), tsBase: 0n, next: 0,
        // Real time: until the call ends (or maxAudioMs). Fast: the call's simulated length of audio, sent at once.
        maxFrames: Math.floor((s.media.maxAudioMs ?? (s.media.pacing === 'fast' ? s.durationMs : Number.MAX_SAFE_INTEGER)) / FRAME_MS),
      };
      active.set(leg.id, a);
      prepare(a, onLost).catch((err: unknown) => {
        a.error = err instanceof Error ? err.message : String(err);
        log.warn('media not started', { callId: leg.id, err: a.error });
      });
    },
    async stop(legId): Promise<MediaSummary | undefined> {
      const a = active.get(legId);
      if (!a) return undefined;
      active.delete(legId);
      if (a.session) await a.session.finish(FINISH_TIMEOUT_MS);
      const sum = a.session?.summary();
      return {
        ...(a.bridge ? { bridge: a.bridge } : {}),
        ...(a.sessionId ? { sessionId: a.sessionId } : {}),
        mode: a.mode,
        streams: sum?.streams ?? [],
        connects: a.session?.connects ?? 0,
        replayedFrames: a.session?.replayedFrames ?? 0,
        ackedFrames: a.session?.ackedFrames ?? 0,
        ...(a.session && a.session.links.length > 1 ? { moves: a.session.links.map((l) => ({ address: l.address, welcomedAt: new Date(l.welcomedAt).toISOString() })) } : {}),
        ...(a.error ?? a.session?.lastError ? { error: a.error ?? a.session?.lastError } : {}),
      };
    },
    stats() {
      const out = {
        activeSessions: active.size,
        framesGenerated,
        maxLagMs,
        unsentFrames: [...active.values()].reduce((n, a) => n + (a.session?.unsentFrames() ?? 0), 0),
        bridgeTransport: options.bridge?.transport ?? DEFAULT_BRIDGE_OPTIONS.transport,
        bridgeConnectionsOpened: links.connectionsOpened,
        bridge: links.writeStats(),
      };
      maxLagMs = 0;
      return out;
    },
    drop(legId) {
      active.get(legId)?.session?.kill('bridge connection dropped (worker killed)');
    },
  };
}
