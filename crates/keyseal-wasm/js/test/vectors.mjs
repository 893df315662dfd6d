// Reading the repository's test vectors (tests/vectors/*.json at the root), shared by the
// test files.
import { readFileSync } from 'node:fs';

const root = new URL('../../../../tests/vectors/', import.meta.url);

export function vectors(name) {
  return JSON.parse(readFileSync(new URL(name, root), 'utf8'));
}

export function vectorText(name) {
  return readFileSync(new URL(name, root), 'utf8');
}

export const hexBytes = (hex) => Uint8Array.from(Buffer.from(hex, 'hex'));
export const toHex = (bytes) => Buffer.from(bytes).toString('hex');

/**
 * The keyring document (FORMAT.md) holding the vectors' keyring: `{ key_id, public_key
 * (hex), state }` entries, with open validity windows.
 */
export function keyringDocument(keyring) {
  const keys = keyring
    .map((k) => ({
      kid: k.key_id,
      public_key: Buffer.from(k.public_key, 'hex').toString('base64url'),
      state: k.state,
      not_before: null,
      not_after: null,
    }))
    .sort((a, b) => (a.kid < b.kid ? -1 : 1));
  return JSON.stringify({ version: 1, keys });
}

/** The verdict on `f()`: 'valid' with its result, or the KeysealError's code. */
export function outcome(f, KeysealError) {
  try {
    return { verdict: 'valid', value: f() };
  } catch (error) {
    if (!(error instanceof KeysealError)) throw error;
    return { verdict: error.code, error };
  }
}
