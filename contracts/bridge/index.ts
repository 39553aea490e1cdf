export * from './messages.js';
export * from './encoder.js';
export * from './decoder.js';
export * from './media-config.js';
