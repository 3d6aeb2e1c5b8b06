/** Tokenizers shared by ops and the model code live in the core layer (src/core/tokenizers.ts). */
export * from '../../core/tokenizers.js';
