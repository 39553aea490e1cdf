// Switchable delivery faults and payload quirks, set globally (POST /_sim/faults) or per scenario.
import { z } from 'zod';

export const faultsSchema = z.object({
  /** Deliver every notification twice. */
  duplicate: z.boolean().optional(),
  /** Swap each pair of consecutive notifications of a leg. */
  reorder: z.boolean().optional(),
  /** Extra delay before each delivery (real ms). */
  delayMs: z.number().int().min(0).max(60_000).optional(),
  /** Never deliver the terminated/deleted notification. */
  dropTerminated: z.boolean().optional(),
  /** Bearer token quirks. */
  token: z.enum(['valid', 'expired', 'forged', 'wrongIssuer', 'wrongAudience', 'missing']).optional(),
  /** Serialize resultInfo code/subcode as numbers or strings (Graph examples use strings). */
  resultCodesAs: z.enum(['number', 'string']).optional(),
  /** Enum casing in payloads: Graph docs (camel), .NET SDK logs (pascal), or alternating. */
  enumCasing: z.enum(['camel', 'pascal', 'mixed']).optional(),
  /** Send `established` twice, the second time with more fields. */
  repeatEstablished: z.boolean().optional(),
  /** Answer updateRecordingStatus with an error (status update refused). */
  refuseStatusUpdate: z.boolean().optional(),
  /** updateRecordingStatus answers `running`; the outcome arrives later as operation notifications (updated, deleted). */
  asyncOperations: z.boolean().optional(),
  /**
   * With asyncOperations: the outcome notifications of a leg's first N updateRecordingStatus operations are lost (the
   * operation itself completes: the users see its status), as when a delivery fails for good.
   */
  loseOperationOutcomes: z.number().int().min(0).max(10).optional(),
  /** Use `https://graph.microsoft.com` instead of `https://api.botframework.com` as the token issuer. */
  graphIssuer: z.boolean().optional(),
});
export type Faults = z.infer<typeof faultsSchema>;

export function mergeFaults(globalFaults: Faults, scenarioFaults: Faults | undefined): Faults {
  return { ...globalFaults, ...(scenarioFaults ?? {}) };
}
