// Local sign-in users for the compliance UI/API (grant_type=password). Override with SIM_USERS_JSON.
import { z } from 'zod';

export const devUserSchema = z.object({
  username: z.string().min(1),
  password: z.string().min(1),
  oid: z.string().min(1),
  name: z.string().min(1),
  roles: z.array(z.string().min(1)),
});
export type DevUser = z.infer<typeof devUserSchema>;

export const DEFAULT_DEV_USERS: DevUser[] = [
  { username: 'admin@sim.local', password: 'admin', oid: '11111111-0000-4000-8000-00000000ad01', name: 'Sim Admin', roles: ['Compliance.Admin', 'Compliance.Reviewer', 'Compliance.Auditor'] },
  { username: 'reviewer@sim.local', password: 'reviewer', oid: '11111111-0000-4000-8000-00000000ad02', name: 'Sim Reviewer', roles: ['Compliance.Reviewer'] },
  { username: 'auditor@sim.local', password: 'auditor', oid: '11111111-0000-4000-8000-00000000ad03', name: 'Sim Auditor', roles: ['Compliance.Auditor'] },
  { username: 'nobody@sim.local', password: 'nobody', oid: '11111111-0000-4000-8000-00000000ad04', name: 'Sim Nobody', roles: [] },
];

export function loadDevUsers(json: string | undefined): DevUser[] {
  if (!json) return DEFAULT_DEV_USERS;
  return z.array(devUserSchema).parse(JSON.parse(json));
}
