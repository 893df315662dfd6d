// Entry point for Cloudflare Workers / workerd, where a `.wasm` import is a compiled
// `WebAssembly.Module` (the worker's configuration or bundler declares it).
import module from './wasm/keyseal_wasm_bg.wasm';
import { load } from './load.js';

load(module);

export * from './api.js';
