// Declarative scenario files (simulator/scenarios/*.json): who is in the call, who is recorded, the policy, the script.
import { z } from 'zod';
import { faultsSchema } from '../notify/faults.js';

export const audioSegmentSchema = z.union([
  z.object({ speaker: z.string(), text: z.string().min(1), voice: z.string().optional() }),
  z.object({ speaker: z.string(), toneHz: z.number().min(20).max(7900), ms: z.number().int().min(20) }),
  z.object({ speaker: z.string(), wav: z.string().min(1) }),
  z.object({ silenceMs: z.number().int().min(0) }),
]);
export type AudioSegment = z.infer<typeof audioSegmentSchema>;

export const participantSpecSchema = z.object({
  key: z.string().min(1),
  kind: z.enum(['user', 'pstn', 'guest']).default('user'),
  displayName: z.string().optional(),
  /** Entra object id (user) or E.164 number with + (pstn); generated if absent. */
  userId: z.string().optional(),
  phone: z.string().regex(/^\+[1-9]\d{6,14}$/).optional(),
  recorded: z.boolean().default(false),
  /** Not in the call at start; enters only through a transfer (or is the onBehalfOf party). */
  absent: z.boolean().default(false),
  /** Joins at this simulated ms (meetings); 0 = at start. */
  joinAtMs: z.number().int().min(0).default(0),
  leaveAtMs: z.number().int().min(0).optional(),
  /** Roster metadata blob (custom business data). */
  metadata: z.string().optional(),
});
export type ParticipantSpec = z.infer<typeof participantSpecSchema>;

export const policySchema = z.object({
  name: z.string().default('TradersPolicy'),
  requiredBeforeCallEstablishment: z.boolean().default(true),
  requiredDuringCall: z.boolean().default(true),
  requiredBeforeMeetingJoin: z.boolean().default(true),
  requiredDuringMeeting: z.boolean().default(true),
  concurrentInvitationCount: z.union([z.literal(1), z.literal(2)]).default(1),
  /** A paired application invited in parallel (exclusive with concurrentInvitationCount 2). */
  pairedApplication: z.boolean().default(false),
});
export type PolicySpec = z.infer<typeof policySchema>;

export const eventSchema = z.object({
  atMs: z.number().int().min(0),
  type: z.enum(['join', 'leave', 'hold', 'resume', 'transfer', 'dropMedia', 'end']),
  participant: z.string().optional(),
  /** transfer target (participant key). */
  to: z.string().optional(),
});
export type ScenarioEvent = z.infer<typeof eventSchema>;

export const scenarioSchema = z.object({
  name: z.string().min(1),
  description: z.string().default(''),
  kind: z.enum(['p2p', 'group', 'meeting']),
  /** From the first recorded user's point of view. */
  direction: z.enum(['inbound', 'outbound']).default('inbound'),
  participants: z.array(participantSpecSchema).min(1),
  policy: policySchema.default(policySchema.parse({})),
  /** Simulated call length (ms) after the first invite is answered. */
  durationMs: z.number().int().min(0).default(10_000),
  events: z.array(eventSchema).default([]),
  media: z
    .object({
      enabled: z.boolean().default(true),
      mode: z.enum(['mixed', 'unmixed']).default('mixed'),
      pacing: z.enum(['realtime', 'fast']).default('realtime'),
      /** Stop streaming after this much audio (ms) even if the call goes on (long calls under an accelerated clock). */
      maxAudioMs: z.number().int().min(0).optional(),
      script: z.array(audioSegmentSchema).default([]),
    })
    .default({ enabled: true, mode: 'mixed', pacing: 'realtime', script: [] }),
  /** Short-lived extra invites for the same recorded user (Teams creates such legs, reference §2). */
  extraLegs: z.number().int().min(0).max(3).default(0),
  /** How the call ends for the recorder's legs. */
  endResult: z.object({ code: z.number().int(), subcode: z.number().int(), message: z.string() }).optional(),
  /** What the recorded users should end up with; the CLI checks it and prints PASS/FAIL. */
  expect: z
    .object({
      userCall: z.enum(['connected', 'blocked', 'ejected', 'ended']).optional(),
      recording: z.enum(['recording', 'notRecording', 'failed', 'none']).optional(),
    })
    .optional(),
  faults: faultsSchema.optional(),
  /** Delegate call: the participant (key) on whose behalf the recorded user takes the call (incomingContext.onBehalfOf). */
  onBehalfOf: z.string().optional(),
  /** Where incoming-call notifications go; defaults to RECORDER_NOTIFICATION_URL. */
  notificationUrl: z.url().optional(),
});
export type Scenario = z.infer<typeof scenarioSchema>;
export type ScenarioInput = z.input<typeof scenarioSchema>;

export function parseScenario(raw: unknown): Scenario {
  const s = scenarioSchema.parse(raw);
  const keys = new Set(s.participants.map((p) => p.key));
  if (keys.size !== s.participants.length) throw new Error('participant keys must be unique');
  if (!s.participants.some((p) => p.recorded)) throw new Error('at least one participant must be recorded');
  for (const e of s.events) {
    if (e.participant && !keys.has(e.participant)) throw new Error(`event refers to unknown participant ${e.participant}`);
    if (e.to && !keys.has(e.to)) throw new Error(`event refers to unknown participant ${e.to}`);
  }
  for (const seg of s.media.script) {
    if ('speaker' in seg && !keys.has(seg.speaker)) throw new Error(`script refers to unknown speaker ${seg.speaker}`);
  }
  if (s.kind === 'p2p' && s.participants.filter((p) => !p.absent).length !== 2) {
    throw new Error('a p2p call has two participants present (others must be absent: transfer targets, onBehalfOf)');
  }
  if (s.onBehalfOf && !keys.has(s.onBehalfOf)) throw new Error(`onBehalfOf refers to unknown participant ${s.onBehalfOf}`);
  return s;
}
