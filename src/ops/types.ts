/** The op contract, for op modules: it lives in the core layer (src/core/op.ts). */
export * from '../core/op.js';
