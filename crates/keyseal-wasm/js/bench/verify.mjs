// Verify time of the package in Node.js against the native Rust verifier (the
// native_verify example, built with the same wasm-release profile) and against `jose` verifying an EdDSA JWT with the
// same claims through WebCrypto; plus the package size. Runs are interleaved (native, wasm,
// jose in each round) and the medians compared, so machine noise hits all three alike.
//
//   node bench/verify.mjs [ROUNDS] [ITERATIONS]     (after ../build.sh)
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { SignJWT, jwtVerify, generateKeyPair } from 'jose';
import { Verifier } from '../node.js';
import { vectors, keyringDocument } from '../test/vectors.mjs';

const rounds = Number(process.argv[2] ?? 7);
const iterations = Number(process.argv[3] ?? 2000);
const crate = fileURLToPath(new URL('../..', import.meta.url));
const targetDir = process.env.CARGO_TARGET_DIR ?? `${crate}/../../target`;

const doc = vectors('keys.json');
const standard = doc.cases.find((c) => c.name === 'standard');
const verifier = Verifier.fromKeyring(doc.prefix, keyringDocument(doc.keyring));
const at = { now: standard.now };

// The same claims as a JWT: app id, three scopes, issue and expiry times, token id, key id.
const { publicKey, privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
const c = standard.claims;
const jwt = await new SignJWT({ scope: c.scopes.join(' ') })
  .setProtectedHeader({ alg: 'EdDSA', kid: c.key_id })
  .setSubject(c.app_id)
  .setIssuedAt(c.issued_at)
  .setExpirationTime(c.expires_at)
  .setJti(c.token_id)
  .sign(privateKey);
const joseOptions = { algorithms: ['EdDSA'], currentDate: new Date(standard.now * 1000) };

execFileSync('cargo', ['build', '--quiet', '--profile', 'wasm-release', '-p', 'keyseal-wasm', '--example', 'native_verify'], { cwd: crate, stdio: 'inherit' });
const nativeBinary = `${targetDir}/wasm-release/examples/native_verify`;

function native() {
  return Number(execFileSync(nativeBinary, [String(iterations)], { encoding: 'utf8' }).trim());
}

function wasm() {
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) verifier.verify(standard.key, at);
  return Number(process.hrtime.bigint() - start) / iterations;
}

async function jose() {
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) await jwtVerify(jwt, publicKey, joseOptions);
  return Number(process.hrtime.bigint() - start) / iterations;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// Warm-up: JIT, WebCrypto key import caches.
wasm();
await jose();
const times = { native: [], wasm: [], jose: [] };
for (let r = 0; r < rounds; r++) {
  times.native.push(native());
  times.wasm.push(wasm());
  times.jose.push(await jose());
}
const m = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)]));
const bytes = readFileSync(new URL('../wasm/keyseal_wasm_bg.wasm', import.meta.url));
const glue = readFileSync(new URL('../wasm/keyseal_wasm.js', import.meta.url));
const us = (ns) => (ns / 1000).toFixed(1);
console.log(`package: wasm ${bytes.length} bytes, ${gzipSync(bytes, { level: 9 }).length} gzipped; glue JS ${glue.length} bytes, ${gzipSync(glue, { level: 9 }).length} gzipped`);
console.log(`verify, median of ${rounds} interleaved rounds of ${iterations} (node ${process.version}):`);
console.log(`  native Rust        ${us(m.native)} us`);
console.log(`  keyseal in Node.js ${us(m.wasm)} us   = ${(m.wasm / m.native).toFixed(2)}x native`);
console.log(`  jose EdDSA JWT     ${us(m.jose)} us   = ${(m.jose / m.wasm).toFixed(2)}x keyseal in Node.js`);
console.log(`  key text ${standard.key.length} characters, JWT ${jwt.length} characters`);
