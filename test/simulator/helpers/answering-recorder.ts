// A throwaway recorder that answers every invite at once (with the given media blob) and reports `recording`.
import type { Harness } from './sim-harness.js';
import { startRecorder, type RecorderOptions, type TestRecorder } from './throwaway-recorder.js';

export interface AnsweringOptions extends Partial<RecorderOptions> {
  blob?: (legId: string) => Promise<string> | string;
  reportRecording?: boolean;
}

export async function answeringRecorder(h: Harness, o: AnsweringOptions = {}): Promise<TestRecorder> {
  const rec: TestRecorder = await startRecorder({
    jwksUrl: `${h.sim.url}/aps/v1/keys`,
    ca: h.ca,
    ...o,
    onIncoming: (legId) => {
      void (async () => {
        const blob = o.blob ? await o.blob(legId) : 'opaque-blob';
        const r = await h.graph('POST', `/communications/calls/${legId}/answer`, {
          callbackUri: `${rec.url}/callback/${legId}`,
          acceptedModalities: ['audio'],
          mediaConfig: { '@odata.type': '#microsoft.graph.appHostedMediaConfig', blob },
        });
        if (r.status === 202 && o.reportRecording) {
          await new Promise((res) => setTimeout(res, 150));
          await h.graph('POST', `/communications/calls/${legId}/updateRecordingStatus`, { clientContext: `start-${legId}`, status: 'recording' });
        }
      })();
    },
  });
  return rec;
}
