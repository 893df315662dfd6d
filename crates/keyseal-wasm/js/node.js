// Entry point for Node.js (and other runtimes with `fs`): reads the module next to this
// file.
import { readFileSync } from 'node:fs';
import { load } from './load.js';

load(readFileSync(new URL('./wasm/keyseal_wasm_bg.wasm', import.meta.url)));

export * from './api.js';
