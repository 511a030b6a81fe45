// The differential suite (helpers/jit-differential-suite.ts) against the JavaScript blocks.
import { setBackend } from './helpers/jit-diff';

setBackend('js');
await import('./helpers/jit-differential-suite');
