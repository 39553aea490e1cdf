/** Graph compliance-recording payload contracts: zod schemas and inferred types. Imports zod only. */
export * from './lenient.js';
export * from './identity.js';
export * from './result-info.js';
export * from './participant.js';
export * from './call.js';
export * from './operation.js';
export * from './notification.js';
export * from './requests.js';
export * from './jwt-claims.js';
