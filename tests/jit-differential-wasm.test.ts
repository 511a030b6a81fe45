// The differential suite (helpers/jit-differential-suite.ts) against the WebAssembly blocks.
import { setBackend } from './helpers/jit-diff';

setBackend('wasm');
await import('./helpers/jit-differential-suite');
