/** identitySet / communicationsIdentitySet and Teams MRIs (`8:orgid:<objectId>`, `4:+<E.164>`). */
import { z } from 'zod';

export const identitySchema = z.looseObject({
  '@odata.type': z.string().optional(),
  id: z.string().optional(),
  displayName: z.string().nullish(),
  tenantId: z.string().nullish(),
  identityProvider: z.string().nullish(),
});
export type Identity = z.infer<typeof identitySchema>;

export const identitySetSchema = z.looseObject({
  '@odata.type': z.string().optional(),
  user: identitySchema.nullish(),
  phone: identitySchema.nullish(),
  application: identitySchema.nullish(),
  applicationInstance: identitySchema.nullish(),
  device: identitySchema.nullish(),
  guest: identitySchema.nullish(),
  encrypted: identitySchema.nullish(),
});
export type IdentitySet = z.infer<typeof identitySetSchema>;

export type ParsedMri =
  | { kind: 'teamsUser'; objectId: string }
  | { kind: 'pstn'; phoneNumber: string }
  | { kind: 'other'; raw: string };

const E164 = /^\+[1-9]\d{1,14}$/;

/** Parses a Teams MRI: `8:orgid:<objectId>` is an Entra user, `4:+<E.164>` a PSTN party. */
export function parseMri(mri: string): ParsedMri {
  const orgid = /^8:orgid:([0-9a-fA-F-]{36})$/.exec(mri);
  if (orgid?.[1]) return { kind: 'teamsUser', objectId: orgid[1].toLowerCase() };
  const pstn = /^4:(\+\d+)$/.exec(mri);
  if (pstn?.[1] && E164.test(pstn[1])) return { kind: 'pstn', phoneNumber: pstn[1] };
  return { kind: 'other', raw: mri };
}

/** Builds the MRI for a Teams user or a PSTN number (used by the simulator and tests). */
export function toMri(party: { objectId: string } | { phoneNumber: string }): string {
  return 'objectId' in party ? `8:orgid:${party.objectId}` : `4:${party.phoneNumber}`;
}

export function isE164(value: string): boolean {
  return E164.test(value);
}

/** A flat view of an identity set: who is it (user object id, phone number, application instance). */
export interface PartyIdentity {
  userId?: string;
  phoneNumber?: string;
  applicationInstanceId?: string;
  displayName?: string;
  tenantId?: string;
}

export function flattenIdentitySet(set: IdentitySet | null | undefined): PartyIdentity {
  if (!set) return {};
  const out: PartyIdentity = {};
  if (set.user?.id) out.userId = set.user.id.toLowerCase();
  if (set.phone?.id) out.phoneNumber = set.phone.id;
  if (set.applicationInstance?.id) out.applicationInstanceId = set.applicationInstance.id.toLowerCase();
  const name = set.user?.displayName ?? set.phone?.displayName ?? set.applicationInstance?.displayName;
  if (name) out.displayName = name;
  const tid = set.user?.tenantId ?? set.applicationInstance?.tenantId;
  if (tid) out.tenantId = tid.toLowerCase();
  return out;
}
