/**
 * Recording policies: which region stores a tenant's/user's recordings, the retention class, and the resiliency
 * (fail-open: the call continues without recording; fail-closed: the call is ended when recording cannot happen).
 * Source: `POLICIES_JSON` or `POLICY_FILE` (same JSON), with a default.
 */
import { z } from 'zod';

export const RESILIENCY = ['failOpen', 'failClosed'] as const;
export type Resiliency = (typeof RESILIENCY)[number];

const overrideSchema = z.strictObject({
  region: z.string().min(1).max(32).regex(/^[a-z0-9-]+$/i).optional(),
  retentionClass: z.string().min(1).max(64).optional(),
  resiliency: z.enum(RESILIENCY).optional(),
  record: z.boolean().optional(),
});

const guid = z.string().regex(/^[0-9a-fA-F-]{36}$/, 'expected a GUID').transform((s) => s.toLowerCase());

export const policyFileSchema = z.strictObject({
  default: z.strictObject({
    region: z.string().min(1).max(32).regex(/^[a-z0-9-]+$/i),
    retentionClass: z.string().min(1).max(64),
    resiliency: z.enum(RESILIENCY),
    record: z.boolean().default(true),
  }),
  tenants: z
    .array(
      overrideSchema.extend({
        tenantId: guid,
        name: z.string().optional(),
        users: z.array(overrideSchema.extend({ userId: guid })).default([]),
      }),
    )
    .default([]),
});
export type PolicyFile = z.infer<typeof policyFileSchema>;

export const DEFAULT_POLICIES: PolicyFile = {
  default: { region: 'local', retentionClass: 'standard', resiliency: 'failOpen', record: true },
  tenants: [],
};

export interface ResolvedPolicy {
  /** Where the decision came from: `default`, `tenant:<id>` or `user:<tenant>/<user>`. */
  source: string;
  region: string;
  retentionClass: string;
  resiliency: Resiliency;
  record: boolean;
}

/** Parses a policy document; throws with a readable reason (used at start-up, so a bad file fails fast). */
export function parsePolicies(json: string): PolicyFile {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (err) {
    throw new Error(`policies are not valid JSON: ${(err as Error).message}`);
  }
  const parsed = policyFileSchema.safeParse(raw);
  if (!parsed.success) {
    throw new Error(`invalid policies: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  return parsed.data;
}

/** Most specific wins: user in tenant, then tenant, then default. */
export function resolvePolicy(policies: PolicyFile, tenantId: string, recordedUserId?: string | null): ResolvedPolicy {
  const d = policies.default;
  let out: ResolvedPolicy = { source: 'default', region: d.region, retentionClass: d.retentionClass, resiliency: d.resiliency, record: d.record };
  const tenant = policies.tenants.find((t) => t.tenantId === tenantId.toLowerCase());
  if (!tenant) return out;
  out = merge(out, tenant, `tenant:${tenant.tenantId}`);
  const uid = recordedUserId?.toLowerCase();
  const user = uid ? tenant.users.find((u) => u.userId === uid) : undefined;
  return user ? merge(out, user, `user:${tenant.tenantId}/${user.userId}`) : out;
}

function merge(base: ResolvedPolicy, o: z.infer<typeof overrideSchema>, source: string): ResolvedPolicy {
  return {
    source,
    region: o.region ?? base.region,
    retentionClass: o.retentionClass ?? base.retentionClass,
    resiliency: o.resiliency ?? base.resiliency,
    record: o.record ?? base.record,
  };
}
