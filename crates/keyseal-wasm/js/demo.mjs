// The README's demo: makes a throwaway signing key and a key with it (the crate's
// `throwaway` example, native Rust), then verifies the key with the package, checks a scope,
// and shows a tampered copy refused. The key text itself is never printed.
//
//   node demo.mjs          (after ../build.sh)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Verifier, KeysealError, requireScope, inspect } from './node.js';

const crate = fileURLToPath(new URL('..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'keyseal-demo-'));
try {
  execFileSync('cargo', ['run', '--quiet', '-p', 'keyseal-wasm', '--example', 'throwaway', '--', dir],
    { cwd: crate, stdio: ['ignore', 'ignore', 'inherit'] });
  const keyring = readFileSync(join(dir, 'keyring.json'), 'utf8');
  const key = readFileSync(join(dir, 'key.txt'), 'utf8');

  const verifier = Verifier.fromKeyring('demo_live', keyring);
  const claims = verifier.verify(key);
  requireScope(claims, 'orders:read');
  console.log('verified:', { appId: claims.appId, scopes: claims.scopes, keyId: claims.keyId,
    expiresAt: new Date(claims.expiresAt * 1000).toISOString() });
  console.log('inspect (unverified):', { verified: inspect(key).verified, prefix: inspect(key).prefix });

  const tampered = key.slice(0, -12) + (key.at(-12) === 'A' ? 'B' : 'A') + key.slice(-11);
  try {
    verifier.verify(tampered);
  } catch (error) {
    if (!(error instanceof KeysealError)) throw error;
    console.log('tampered copy refused:', error.code, '-', error.message);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
