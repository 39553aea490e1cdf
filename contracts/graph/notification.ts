/** commsNotifications envelope and commsNotification. */
import { z } from 'zod';
import { caseInsensitiveEnum } from './lenient.js';

export const CHANGE_TYPES = ['created', 'updated', 'deleted'] as const;
export type ChangeType = (typeof CHANGE_TYPES)[number];

/** `/communications/calls/{id}[/…]` or the legacy `/app/calls/{id}[/…]`. */
export const CALL_RESOURCE_PATTERN = /^\/?(?:communications|app)\/calls\/([A-Za-z0-9][A-Za-z0-9._:-]{0,255})(\/.*)?$/i;

const resourceDataItem = z.looseObject({ '@odata.type': z.string().optional() });

export const commsNotificationSchema = z
  .looseObject({
    '@odata.type': z.string().optional(),
    changeType: caseInsensitiveEnum(CHANGE_TYPES),
    resourceUrl: z.string().optional(),
    resource: z.string().optional(),
    resourceData: z.union([z.array(resourceDataItem), resourceDataItem]).nullish(),
  })
  .superRefine((n, ctx) => {
    const url = n.resourceUrl ?? n.resource;
    if (url === undefined) {
      ctx.addIssue({ code: 'custom', message: 'notification has neither resourceUrl nor resource', path: ['resourceUrl'] });
    } else if (!CALL_RESOURCE_PATTERN.test(url)) {
      ctx.addIssue({ code: 'custom', message: `resourceUrl "${url.slice(0, 120)}" is not a call resource`, path: ['resourceUrl'] });
    }
  });
export type CommsNotification = z.infer<typeof commsNotificationSchema>;
export type CommsNotificationInput = z.input<typeof commsNotificationSchema>;

export const commsNotificationsSchema = z.looseObject({
  '@odata.type': z.string().optional(),
  value: z.array(commsNotificationSchema).min(1, 'value must hold at least one notification').max(100),
});
export type CommsNotifications = z.infer<typeof commsNotificationsSchema>;
export type CommsNotificationsInput = z.input<typeof commsNotificationsSchema>;

export interface CallResourceRef {
  callId: string;
  /** The rest of the path after the call id, e.g. "/participants", "/operations/{opId}", or "" for the call itself. */
  subPath: string;
}

/** Splits a call resource URL into the call id and the sub-resource path. */
export function parseCallResource(url: string): CallResourceRef | null {
  const m = CALL_RESOURCE_PATTERN.exec(url);
  if (!m?.[1]) return null;
  return { callId: m[1], subPath: m[2] ?? '' };
}
