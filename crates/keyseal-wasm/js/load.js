// Instantiates the WebAssembly module once and registers the error class it throws.
import { initSync, __useErrorClass } from './wasm/keyseal_wasm.js';
import { KeysealError } from './api.js';

let loaded = false;

/** Loads the module from its bytes or a compiled `WebAssembly.Module`. */
export function load(module) {
  if (loaded) return;
  initSync({ module });
  __useErrorClass(KeysealError);
  loaded = true;
}
