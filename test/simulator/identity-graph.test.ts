// @azure/identity ClientSecretCredential + @microsoft/microsoft-graph-client (baseUrl + customHosts) against the
// simulator, in a child process that trusts the simulator's certificate through NODE_EXTRA_CA_CERTS (as the stack does).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startHarness, p2pScenario, TENANT, BOT_APP_ID, BOT_SECRET, type Harness } from './helpers/sim-harness.js';

const run = promisify(execFile);
let h: Harness;

beforeAll(async () => {
  // The child needs a few seconds to load the SDKs: give this test a longer answer deadline.
  h = await startHarness({ answerDeadlineMs: 60_000 });
});
afterAll(async () => h.close());

describe('@azure/identity + Graph client round trip', () => {
  it('gets a token with client credentials and drives answer / updateRecordingStatus / GET', async () => {
    const started = await h.startCall(p2pScenario(), undefined, 'http://127.0.0.1:9/nowhere');
    const legId = started.legs[0]?.id ?? '';
    const script = fileURLToPath(new URL('./fixtures/graph-roundtrip.mjs', import.meta.url));
    const { stdout } = await run(process.execPath, [script, h.sim.url, TENANT, BOT_APP_ID, BOT_SECRET, legId, 'https://127.0.0.1:1/cb'], {
      env: { ...process.env, NODE_EXTRA_CA_CERTS: h.sim.certFile },
      timeout: 60_000,
    });
    const out = JSON.parse(stdout) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(out.error).toBeUndefined();
    expect(out.wrongSecret).toMatch(/AADSTS7000215|invalid_client/);
    expect(out.tokenParts).toBe(3);
    expect(out.answered).toBe(true);
    expect(out.operation).toMatchObject({ '@odata.type': '#microsoft.graph.updateRecordingStatusOperation', clientContext: 'roundtrip-1', status: 'completed' });
    expect(out.call).toMatchObject({ id: legId });
    expect(out.badStatus).toMatchObject({ statusCode: 400 });
    const state = await h.getCall(started.id);
    expect(state.users[0]?.recording).toBe('recording');
  });
});
