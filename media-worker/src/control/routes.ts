// Every route of the control API in one table.
import { createSession, deleteSession, getHealth, getLoad, getSession, sealSession, setRecording, updateRoster, type Handler } from './handlers.js';

export interface Route {
  method: 'GET' | 'POST' | 'DELETE';
  pattern: RegExp;
  handler: Handler;
  /** Requires `x-worker-key`. */
  auth: boolean;
}

const SID = '(?<sessionId>[A-Za-z0-9-]{1,64})';

export const routes: Route[] = [
  { method: 'GET', pattern: /^\/health$/, handler: getHealth, auth: false },
  { method: 'GET', pattern: /^\/load$/, handler: getLoad, auth: true },
  { method: 'POST', pattern: /^\/sessions$/, handler: createSession, auth: true },
  { method: 'GET', pattern: new RegExp(`^/sessions/${SID}$`), handler: getSession, auth: true },
  { method: 'POST', pattern: new RegExp(`^/sessions/${SID}/recording$`), handler: setRecording, auth: true },
  { method: 'POST', pattern: new RegExp(`^/sessions/${SID}/roster$`), handler: updateRoster, auth: true },
  { method: 'POST', pattern: new RegExp(`^/sessions/${SID}/seal$`), handler: sealSession, auth: true },
  { method: 'DELETE', pattern: new RegExp(`^/sessions/${SID}$`), handler: deleteSession, auth: true },
];
