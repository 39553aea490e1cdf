// Helpers that change what a recorded user sees (call allowed or not; the recording banner).
import type { Conversation, RecordingStatus, UserView } from './model.js';

export function newUserView(key: string, participantId: string): UserView {
  return { key, participantId, call: 'pending', recording: 'none', history: [], callHistory: [] };
}

export function setCall(c: Conversation, key: string, call: UserView['call'], reason?: string): void {
  const v = c.users.get(key);
  if (!v || v.call === call) return;
  // Terminal outcomes stay: a blocked or ejected user does not become "ended" later.
  if (v.call === 'blocked' || v.call === 'ejected') return;
  v.call = call;
  v.callReason = reason;
  v.callHistory.push({ call, at: new Date().toISOString(), ...(reason ? { reason } : {}) });
}

export function setRecording(c: Conversation, key: string, status: RecordingStatus, legId: string): void {
  const v = c.users.get(key);
  if (!v) return;
  v.recording = status;
  v.history.push({ status, at: new Date().toISOString(), legId });
}
