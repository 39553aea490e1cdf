export * from './sessions.js';
export * from './media-events.js';
