/**
 * Delivery of signals to per-call orchestrations (instance id = call id) through the Durable client.
 * Never loses a signal: raise to a running instance; when the instance does not exist, start it with the signal as
 * its first input (start-if-missing); when that start races another start, raise again.
 */
import type { DurableClient } from 'durable-functions';
import {
  CALL_ORCHESTRATOR, CALL_SIGNAL_EVENT,
  type AnswerOutcome, type CallOrchestrationInput, type CallSignal, type LifecycleSettings,
} from '../domain/signals.js';

export type DeliveryOutcome = 'raised' | 'started';

const ATTEMPTS = 4;

function isNotFound(err: unknown): boolean {
  return /No instance with ID|404/.test((err as Error)?.message ?? '');
}

export class CallOrchestrations {
  constructor(
    private readonly client: DurableClient,
    private readonly settings: LifecycleSettings,
  ) {}

  /** Raises a signal, starting the instance if it does not exist yet. */
  async deliver(callId: string, signal: CallSignal): Promise<DeliveryOutcome> {
    let lastError: unknown;
    for (let attempt = 0; attempt < ATTEMPTS; attempt += 1) {
      try {
        await this.client.raiseEvent(callId, CALL_SIGNAL_EVENT, signal);
        return 'raised';
      } catch (err) {
        lastError = err;
        if (!isNotFound(err)) throw err;
      }
      const input: CallOrchestrationInput = { callId, answer: null, settings: this.settings, early: [signal], carried: null };
      try {
        await this.client.startNew(CALL_ORCHESTRATOR, { instanceId: callId, input });
        return 'started';
      } catch (err) {
        lastError = err; // another request started it in between: raise again
      }
    }
    throw new Error(`could not deliver a signal to call ${callId}: ${(lastError as Error)?.message ?? String(lastError)}`);
  }

  /** Starts the call's orchestration with the answer result; if an early notification started it, hands the answer in. */
  async startAnswered(callId: string, answer: AnswerOutcome): Promise<DeliveryOutcome> {
    const input: CallOrchestrationInput = { callId, answer, settings: this.settings, early: [], carried: null };
    try {
      await this.client.startNew(CALL_ORCHESTRATOR, { instanceId: callId, input });
      return 'started';
    } catch (err) {
      const status = await this.client.getStatus(callId).catch(() => null);
      if (!status) throw err;
      return this.deliver(callId, { type: 'answered', dedupId: `answered:${callId}`, answer });
    }
  }
}
