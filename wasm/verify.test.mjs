// Loads keyseal's verifier compiled to WebAssembly (wasm/, target wasm32-unknown-unknown),
// writes keys into its memory and checks the verdicts: the checked-in key verifies at the
// fixture's time and is refused when tampered with, expired or not yet valid.
// Run by .ci/steps/wasm.sh: node --test wasm/verify.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

const here = (path) => new URL(path, import.meta.url);
const wasm = readFileSync(
  process.env.KEYSEAL_WASM ??
    here('./target/wasm32-unknown-unknown/release/keyseal_wasm_verify.wasm'),
);
const { instance } = await WebAssembly.instantiate(wasm, {});
const { memory, keyseal_alloc, keyseal_free, keyseal_verify } = instance.exports;

// The numbers of `Verdict` in src/lib.rs.
const VALID = 0, MALFORMED = 1, WRONG_PREFIX = 2, BAD_SIGNATURE = 4, EXPIRED = 5,
  NOT_YET_VALID = 6, BAD_ARGUMENT = 8;
// tests/fixture: the keys were issued at this time, valid for 90 days.
const NOW = 1_795_000_000n;
const DAY = 86_400n;

function verify(text, now = NOW) {
  const bytes = typeof text === 'string' ? new TextEncoder().encode(text) : text;
  const ptr = keyseal_alloc(bytes.length);
  try {
    new Uint8Array(memory.buffer, ptr, bytes.length).set(bytes);
    return keyseal_verify(ptr, bytes.length, now);
  } finally {
    keyseal_free(ptr, bytes.length);
  }
}

const key = readFileSync(here('./testdata/key.txt'), 'utf8');
const badSignature = readFileSync(here('./testdata/bad-signature.txt'), 'utf8');

test('the checked-in key verifies', () => {
  assert.equal(verify(key), VALID);
});

test('a key whose signature was altered (checksum recomputed) is refused', () => {
  assert.notEqual(badSignature, key);
  assert.equal(verify(badSignature), BAD_SIGNATURE);
});

test('a key with one character changed fails its checksum', () => {
  const at = key.length - 10;
  const tampered = key.slice(0, at) + (key[at] === 'A' ? 'B' : 'A') + key.slice(at + 1);
  assert.equal(verify(tampered), MALFORMED);
});

test('another prefix, expiry and not-before are enforced', () => {
  assert.equal(verify(key.replace(/^acme_live_/, 'acme_test_')), WRONG_PREFIX);
  assert.equal(verify(key, NOW + 91n * DAY), EXPIRED);
  assert.equal(verify(key, NOW - DAY), NOT_YET_VALID);
});

test('bad arguments are refused, not trapped', () => {
  assert.equal(verify(new Uint8Array([0xff, 0xfe])), BAD_ARGUMENT);
  assert.equal(verify(key, 0n), BAD_ARGUMENT);
  assert.equal(verify(''), MALFORMED);
  assert.equal(verify('x'.repeat(100_000)), MALFORMED);
});
