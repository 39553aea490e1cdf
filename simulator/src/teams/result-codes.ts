// resultInfo codes the simulator uses (reference §5).
import type { ResultInfo } from './model.js';

export const RESULT = {
  endedByOther: { code: 200, subcode: 4097, message: 'The call was ended by the other participant.' },
  allOthersLeft: { code: 200, subcode: 5002, message: 'All other participants left the call.' },
  conversationEnded: { code: 200, subcode: 5001, message: 'The conversation ended.' },
  endedByBot: { code: 200, subcode: 7000, message: 'The call was ended by the bot.' },
  transferCompleted: { code: 200, subcode: 7015, message: 'Transfer completed.' },
  pstnEnded: { code: 200, subcode: 540000, message: 'The call was ended by the PSTN user.' },
  keepAliveTimeout: { code: 408, subcode: 8537, message: 'Inactive call cleaned up: no keep-alive received.' },
  notAcknowledged: { code: 408, subcode: 1106, message: 'Call acceptance was not acknowledged in time.' },
  mediaFailure: { code: 410, subcode: 301005, message: 'Media connectivity failure.' },
  botMediaLost: { code: 500, subcode: 1005, message: 'Server lost connectivity to bot media.' },
  rejected: { code: 603, subcode: 0, message: 'The call was rejected by the bot.' },
  blockedByPolicy: { code: 480, subcode: 10037, message: 'Call blocked: compliance recorder unavailable.' },
} satisfies Record<string, ResultInfo>;
