/** Claims of the bearer token Graph puts on calling callbacks (after signature verification). */
import { z } from 'zod';

export const GRAPH_CALLBACK_ISSUERS = ['https://graph.microsoft.com', 'https://api.botframework.com'] as const;

export const callbackTokenClaimsSchema = z.looseObject({
  iss: z.string(),
  aud: z.union([z.string(), z.array(z.string())]),
  tid: z.string().min(1, 'tid claim is required'),
  exp: z.number(),
  nbf: z.number().optional(),
  iat: z.number().optional(),
  appid: z.string().optional(),
});
export type CallbackTokenClaims = z.infer<typeof callbackTokenClaimsSchema>;
