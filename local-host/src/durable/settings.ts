/** `extensions.durableTask` of host.json, validated (unknown keys are ignored, wrong types are an error). */
import { availableParallelism } from 'node:os';
import { z } from 'zod';

const durableTaskSchema = z.looseObject({
  hubName: z.string().min(1).optional(),
  maxConcurrentActivityFunctions: z.number().int().positive().optional(),
  maxConcurrentOrchestratorFunctions: z.number().int().positive().optional(),
});

export interface DurableSettings {
  hubName: string;
  maxConcurrentActivityFunctions: number;
  maxConcurrentOrchestratorFunctions: number;
}

export function durableSettings(hostJson: Readonly<Record<string, unknown>>): DurableSettings {
  const extensions = (hostJson.extensions ?? {}) as Record<string, unknown>;
  const parsed = durableTaskSchema.safeParse(extensions.durableTask ?? {});
  if (!parsed.success) throw new Error(`host.json extensions.durableTask is invalid: ${parsed.error.message}`);
  const cores = availableParallelism();
  return {
    // Core Tools' default task hub name.
    hubName: parsed.data.hubName ?? 'TestHubName',
    maxConcurrentActivityFunctions: parsed.data.maxConcurrentActivityFunctions ?? 10 * cores,
    maxConcurrentOrchestratorFunctions: parsed.data.maxConcurrentOrchestratorFunctions ?? 10 * cores,
  };
}
