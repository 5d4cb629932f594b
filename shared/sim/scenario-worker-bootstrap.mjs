/**
 * The worker thread's first module, plain JavaScript so that it loads without a TypeScript loader. It
 * registers tsx in the worker itself and then loads the TypeScript entry. Inheriting the parent's
 * `--import` of tsx is not enough: under Node 20 that loader does not reach a worker's entry module
 * (ERR_UNKNOWN_FILE_EXTENSION), and vitest's parent has no tsx flag at all. A second registration
 * where the flag did work is harmless.
 */
import { register } from 'tsx/esm/api';

register();
await import('./scenario-worker-entry.ts');
