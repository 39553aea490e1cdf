/** Unit tests of the pure parts: batching, action flattening, input encoding, retry delays, store transactions. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { takeBatch } from '../../../local-host/src/durable/episode.js';
import { newExecState, retryDelayMs } from '../../../local-host/src/durable/exec-state.js';
import { EventType } from '../../../local-host/src/durable/history-types.js';
import { statusTime } from '../../../local-host/src/durable/http/status-payload.js';
import { invalidInstanceIdReason, newInstanceId } from '../../../local-host/src/durable/management.js';
import { ActionType, actionInputJson, flattenActions, sequenceCost } from '../../../local-host/src/durable/orchestrator-state.js';
import { DurableStore, type InboxMessage } from '../../../local-host/src/durable/store.js';

const msg = (id: number, chain: boolean): InboxMessage => ({
  id,
  instanceId: 'i',
  executionId: 'e',
  visibleMs: 0,
  chain,
  event: { EventType: EventType.TaskCompleted, EventId: -1, Timestamp: '', TaskScheduledId: id },
});

describe('episode batching', () => {
  it('a retry-chain message always opens its own episode', () => {
    expect(takeBatch([msg(1, false), msg(2, false), msg(3, true), msg(4, false)]).map((m) => m.id)).toEqual([1, 2]);
    expect(takeBatch([msg(3, true), msg(4, false), msg(5, true)]).map((m) => m.id)).toEqual([3, 4]);
  });
});

describe('actions', () => {
  it('flattens compound actions depth-first; waits and continueAsNew take no sequence number', () => {
    const leaves = flattenActions({
      isDone: false,
      actions: [[
        { actionType: ActionType.CallActivity, functionName: 'a' },
        { actionType: ActionType.WhenAny, compoundActions: [
          { actionType: ActionType.WaitForExternalEvent, externalEventName: 'E' },
          { actionType: ActionType.WhenAll, compoundActions: [{ actionType: ActionType.CreateTimer }, { actionType: ActionType.CallActivity, functionName: 'b' }] },
        ] },
      ]],
    });
    expect(leaves.map((l) => l.functionName ?? l.actionType)).toEqual(['a', ActionType.WaitForExternalEvent, ActionType.CreateTimer, 'b']);
    expect(leaves.map(sequenceCost)).toEqual([1, 0, 1, 1]);
  });

  it('activity inputs arrive JSON-encoded for strings, sub-orchestration inputs as plain values', () => {
    expect(actionInputJson({ actionType: ActionType.CallActivity, input: '"42"' })).toBe('"42"');
    expect(actionInputJson({ actionType: ActionType.CallActivity, input: { n: 1 } })).toBe('{"n":1}');
    expect(actionInputJson({ actionType: ActionType.CallSubOrchestrator, input: 'Tokyo' })).toBe('"Tokyo"');
    expect(actionInputJson({ actionType: ActionType.CallActivity })).toBeNull();
  });
});

describe('retry delay', () => {
  it('grows by the backoff coefficient and is capped', () => {
    const p = { firstRetryIntervalInMilliseconds: 100, maxNumberOfAttempts: 5, backoffCoefficient: 2, maxRetryIntervalInMilliseconds: 500 };
    expect([1, 2, 3, 4].map((n) => retryDelayMs(p, n))).toEqual([100, 200, 400, 500]);
  });
});

describe('ids and times', () => {
  it('generates 32 hex ids and refuses the ids the real runtime refuses', () => {
    expect(newInstanceId()).toMatch(/^[0-9a-f]{32}$/);
    expect(invalidInstanceIdReason('@x')).toBeDefined();
    expect(invalidInstanceIdReason('a/b')).toBeDefined();
    expect(invalidInstanceIdReason('a\u0001b')).toBeDefined();
    expect(invalidInstanceIdReason('x'.repeat(257))).toBeDefined();
    expect(invalidInstanceIdReason('call-123:0')).toBeUndefined();
  });

  it('formats status times with whole seconds and Z', () => {
    expect(statusTime(Date.parse('2024-03-18T17:44:50.987Z'))).toBe('2024-03-18T17:44:50Z');
  });
});

describe('store', () => {
  it('a failed transaction leaves no trace, also not in the instance cache', () => {
    const store = new DurableStore(mkdtempSync(path.join(tmpdir(), 'durable-store-')));
    const row = {
      instanceId: 'x', name: 'n', executionId: 'e', status: 'Running' as const, input: null, output: null, customStatus: null,
      createdMs: 1, updatedMs: 1, parent: null, state: newExecState(),
    };
    store.putInstance(row);
    expect(() =>
      store.transaction(() => {
        store.putInstance({ ...row, status: 'Completed' });
        store.appendHistory('x', [{ EventType: EventType.OrchestratorStarted, EventId: -1, Timestamp: 't' }]);
        throw new Error('crash in the middle');
      }),
    ).toThrow('crash in the middle');
    expect(store.getInstance('x')?.status).toBe('Running');
    expect(store.history('x')).toEqual([]);
    store.appendHistory('x', [{ EventType: EventType.OrchestratorStarted, EventId: -1, Timestamp: 'a' }]);
    store.appendHistory('x', [{ EventType: EventType.ExecutionStarted, EventId: -1, Timestamp: 'b' }]);
    expect(store.history('x').map((e) => e.Timestamp)).toEqual(['a', 'b']);
    expect(store.purge('x')).toBe(true);
    expect(store.getInstance('x')).toBeUndefined();
    store.close();
  });
});
