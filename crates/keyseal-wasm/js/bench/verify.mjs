// Verify time of the package in Node.js against the native Rust verifier (the
// native_verify example, built with the same wasm-release profile) and against `jose`
// verifying an EdDSA JWT with the same claims through WebCrypto; plus the package size.
// Runs are interleaved (native, wasm, jose in each round) and the medians compared, so
// machine noise hits all three alike. Each is timed by the wall clock and by CPU time
// (native: its thread; Node.js: the process, which also counts V8's helper threads, so it
// can only overstate Node.js). `inspect` (parse and claims object, no signature) shows the
// share of the JavaScript crossing.
//
//   node bench/verify.mjs [ROUNDS] [ITERATIONS]     (after ../build.sh)
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { SignJWT, jwtVerify, generateKeyPair } from 'jose';
import { Verifier, inspect } from '../node.js';
import { vectors, keyringDocument } from '../test/vectors.mjs';

const rounds = Number(process.argv[2] ?? 7);
const iterations = Number(process.argv[3] ?? 2000);
if (!(Number.isInteger(rounds) && rounds > 0 && Number.isInteger(iterations) && iterations > 0)) {
  throw new Error('usage: node bench/verify.mjs [ROUNDS] [ITERATIONS] (positive integers)');
}
const crate = fileURLToPath(new URL('../..', import.meta.url));
const targetDir = process.env.CARGO_TARGET_DIR ?? `${crate}/../../target`;

const doc = vectors('keys.json');
const standard = doc.cases.find((c) => c.name === 'standard');
const keyringJson = keyringDocument(doc.keyring);
const verifier = Verifier.fromKeyring(doc.prefix, keyringJson);
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

// Both verify what they are given, so a wrong setup fails here rather than timing errors.
if (verifier.verify(standard.key, at).tokenId !== c.token_id) throw new Error('keyseal setup');
if ((await jwtVerify(jwt, publicKey, joseOptions)).payload.jti !== c.token_id) throw new Error('jose setup');

// KEYSEAL_BENCH_PROFILE=dev builds the native side unoptimised, for a run that only checks
// the script works (CI's); its ratios mean nothing. Figures use the default, wasm-release.
const profile = process.env.KEYSEAL_BENCH_PROFILE ?? 'wasm-release';
execFileSync('cargo', ['build', '--quiet', '--locked', '--profile', profile, '-p', 'keyseal-wasm',
  '--example', 'native_verify'], { cwd: crate, stdio: 'inherit' });
const nativeBinary = `${targetDir}/${profile === 'dev' ? 'debug' : profile}/examples/native_verify`;

/** Nanoseconds per call by the wall clock and by CPU time. */
function native() {
  const [wall, cpu] = execFileSync(nativeBinary, [String(iterations)], { encoding: 'utf8' })
    .trim().split(' ').map(Number);
  if (!(wall > 0 && cpu > 0)) throw new Error('native_verify printed no times');
  return { wall, cpu };
}

async function timed(f) {
  const cpu0 = process.cpuUsage();
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) await f();
  const wall = Number(process.hrtime.bigint() - start) / iterations;
  const { user, system } = process.cpuUsage(cpu0);
  return { wall, cpu: ((user + system) * 1000) / iterations };
}

function timedSync(f, n = iterations) {
  const cpu0 = process.cpuUsage();
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) f();
  const wall = Number(process.hrtime.bigint() - start) / n;
  const { user, system } = process.cpuUsage(cpu0);
  return { wall, cpu: ((user + system) * 1000) / n };
}

// The one-off cost of a verifier: loading the keyring document, which precomputes the
// multiples of its active and verify-only keys. A twentieth as many calls (each costs about
// ten verifications), each verifier freed at once.
const loads = Math.max(1, Math.floor(iterations / 20));

// The floor of any WebCrypto-based verifier: the bare Ed25519 signature check of the JWT,
// without parsing or claims (what remains if keyseal handed its signature to WebCrypto).
const [h64, p64, s64] = jwt.split('.');
const signingInput = new TextEncoder().encode(`${h64}.${p64}`);
const signature = Buffer.from(s64, 'base64url');
const { subtle } = globalThis.crypto;
if (!(await subtle.verify('Ed25519', publicKey, signature, signingInput))) throw new Error('WebCrypto setup');

const runs = {
  native,
  wasm: () => timedSync(() => verifier.verify(standard.key, at)),
  inspect: () => timedSync(() => inspect(standard.key)),
  fromKeyring: () => timedSync(() => Verifier.fromKeyring(doc.prefix, keyringJson).free(), loads),
  jose: () => timed(() => jwtVerify(jwt, publicKey, joseOptions)),
  webcrypto: () => timed(() => subtle.verify('Ed25519', publicKey, signature, signingInput)),
};

// Warm-up: JIT and wasm tier-up, WebCrypto key import caches.
for (const run of Object.values(runs)) await run();
const times = Object.fromEntries(Object.keys(runs).map((k) => [k, { wall: [], cpu: [] }]));
for (let r = 0; r < rounds; r++) {
  for (const [name, run] of Object.entries(runs)) {
    const t = await run();
    times[name].wall.push(t.wall);
    times[name].cpu.push(t.cpu);
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const m = Object.fromEntries(Object.entries(times)
  .map(([k, v]) => [k, { wall: median(v.wall), cpu: median(v.cpu) }]));

const bytes = readFileSync(new URL('../wasm/keyseal_wasm_bg.wasm', import.meta.url));
const glue = readFileSync(new URL('../wasm/keyseal_wasm.js', import.meta.url));
const gz = (b) => gzipSync(b, { level: 9 }).length;
const us = (ns) => `${(ns / 1000).toFixed(1)} us`.padStart(10);
const x = (a, b) => `${(a / b).toFixed(2)}x`.padStart(7);
console.log(`package: wasm ${bytes.length} bytes, ${gz(bytes)} gzipped; glue JS ${glue.length} bytes, ${gz(glue)} gzipped`);
console.log(`verify, medians of ${rounds} interleaved rounds of ${iterations} (node ${process.version}):`);
console.log('                         wall    ratio        CPU    ratio');
const row = (label, t, base, what) => console.log(`  ${label.padEnd(19)}${us(t.wall)} ${x(t.wall, base.wall)} ${us(t.cpu)} ${x(t.cpu, base.cpu)}  ${what}`);
row('native Rust', m.native, m.native, '');
row('keyseal in Node.js', m.wasm, m.native, 'of native');
row('  of which inspect', m.inspect, m.wasm, 'of keyseal verify (no signature)');
row('fromKeyring', m.fromKeyring, m.wasm, `of keyseal verify (once per keyring; ${doc.keyring.length} keys)`);
row('jose EdDSA JWT', m.jose, m.wasm, 'of keyseal in Node.js');
row('  WebCrypto alone', m.webcrypto, m.wasm, 'of keyseal in Node.js (signature only)');
console.log(`  key text ${standard.key.length} characters, JWT ${jwt.length} characters`);
