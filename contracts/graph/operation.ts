/** commsOperation and updateRecordingStatusOperation. */
import { z } from 'zod';
import { lenientEnum } from './lenient.js';
import { resultInfoSchema } from './result-info.js';

export const OPERATION_STATUSES = ['notStarted', 'running', 'completed', 'failed'] as const;

export const commsOperationSchema = z.looseObject({
  '@odata.type': z.string().optional(),
  id: z.string().nullish(),
  clientContext: z.string().nullish(),
  status: lenientEnum(OPERATION_STATUSES).nullish(),
  resultInfo: resultInfoSchema.nullish(),
});
export type CommsOperation = z.infer<typeof commsOperationSchema>;

/** `updateRecordingStatusOperation`: same shape; only `completed` counts as success. */
export const updateRecordingStatusOperationSchema = commsOperationSchema;
export type UpdateRecordingStatusOperation = CommsOperation;

export function isOperationSuccess(op: Pick<CommsOperation, 'status'>): boolean {
  return op.status === 'completed';
}
export function isOperationPending(op: Pick<CommsOperation, 'status'>): boolean {
  return op.status === null || op.status === undefined || op.status === 'notStarted' || op.status === 'running';
}
