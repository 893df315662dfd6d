// The package inside Cloudflare's runtime: starts workerd (the binary of the `workerd` npm
// package) with test/workerd/worker.js on 127.0.0.1, sends it keys and a revocation list
// update, and stops it. Every wait is bounded.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import workerdPackage from 'workerd';
import { vectors, keyringDocument, hexBytes } from './vectors.mjs';

// The CommonJS package exports the binary's path as `default`.
const workerdBinary = workerdPackage.default;
const { compatibilityDate } = workerdPackage;

const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 5_000;
const REQUEST_TIMEOUT_MS = 10_000;

const pkg = fileURLToPath(new URL('..', import.meta.url));
const rdoc = vectors('revocation.json');
const kdoc = vectors('keys.json');

let dir;
let child;
let base;
let log = '';

/** A free port on 127.0.0.1 (the OS picks it; released just before workerd binds it). */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** The package's files and the worker, with a workerd config that embeds them. */
function writeConfig(port) {
  dir = mkdtempSync(join(tmpdir(), 'keyseal-workerd-'));
  for (const file of ['workerd.js', 'api.js', 'load.js', 'fetch.js', 'claims.js', 'wasm']) {
    cpSync(join(pkg, file), join(dir, 'keyseal', file), { recursive: true });
  }
  cpSync(join(pkg, 'test/workerd/worker.js'), join(dir, 'worker.js'));
  writeFileSync(join(dir, 'keyring.json'), keyringDocument(rdoc.keyring));
  const esModules = ['keyseal/workerd.js', 'keyseal/api.js', 'keyseal/load.js',
    'keyseal/fetch.js', 'keyseal/claims.js', 'keyseal/wasm/keyseal_wasm.js'];
  const config = `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [(name = "main", worker = .worker)],
  sockets = [(name = "http", address = "127.0.0.1:${port}", http = (), service = "main")],
);
const worker :Workerd.Worker = (
  modules = [
    (name = "worker.js", esModule = embed "worker.js"),
${esModules.map((m) => `    (name = "${m}", esModule = embed "${m}"),`).join('\n')}
    (name = "keyseal/wasm/keyseal_wasm_bg.wasm", wasm = embed "keyseal/wasm/keyseal_wasm_bg.wasm"),
  ],
  bindings = [
    (name = "PREFIX", text = "${rdoc.prefix}"),
    (name = "KEYRING", text = embed "keyring.json"),
  ],
  compatibilityDate = "${compatibilityDate}",
);
`;
  writeFileSync(join(dir, 'config.capnp'), config);
  return join(dir, 'config.capnp');
}

async function get(path, headers = {}, init = {}) {
  return fetch(`${base}${path}`, { headers, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS), ...init });
}

before(async () => {
  const port = await freePort();
  const config = writeConfig(port);
  base = `http://127.0.0.1:${port}`;
  child = spawn(workerdBinary, ['serve', config, '--experimental'], {
    cwd: dir, stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (d) => { log += d; });
  child.stderr.on('data', (d) => { log += d; });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    const status = await Promise.race([exited, new Promise((r) => setTimeout(r, 100))]);
    if (status !== undefined) throw new Error(`workerd exited (${JSON.stringify(status)}): ${log}`);
    try {
      await fetch(base, { signal: AbortSignal.timeout(1000) });
      return;
    } catch {
      if (Date.now() > deadline) throw new Error(`workerd did not start in time: ${log}`);
    }
  }
});

after(async () => {
  if (child && child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('workerd verifies keys, takes a revocation update, and refuses a rollback', async () => {
  const valid = rdoc.cases.find((c) => c.expect === 'valid');
  const revokedLater = valid.checks.find((c) => c.expect === 'revoked' && c.now === rdoc.now);
  const at = (now) => `/?now=${now}`;
  const update = (now) => `/revocations?now=${now}`;
  const bearer = (key) => ({ authorization: `Bearer ${key}` });

  // Before any list: the key that the list will revoke verifies.
  let response = await get(at(revokedLater.now), bearer(revokedLater.key));
  const before = await response.json();
  assert.equal(response.status, 200, JSON.stringify(before));
  assert.equal(before.revocation, null);
  assert.match(before.tokenId, /^[0-9a-f]{32}$/);

  // The update.
  response = await get(update(rdoc.now), {}, { method: 'PUT', body: hexBytes(valid.list) });
  assert.equal(response.status, 200, log);
  assert.deepEqual(await response.json(), { sequence: valid.sequence });

  // Every check of the list, as in the Node tests.
  for (const check of valid.checks) {
    response = await get(at(check.now), bearer(check.key));
    const body = await response.json();
    if (check.expect === 'valid') {
      assert.equal(response.status, 200, check.why);
      assert.deepEqual(body.revocation, { sequence: valid.sequence, stale: false });
    } else {
      assert.equal(body.code, check.expect, check.why);
      assert.equal(response.status, check.expect === 'revocation_list_stale' ? 503 : 401, check.why);
      assert.equal(response.headers.get('content-type'), 'application/problem+json');
    }
  }

  // A replay of the same list is a rollback; the list in force stays.
  response = await get(update(rdoc.now), {}, { method: 'PUT', body: hexBytes(valid.list) });
  assert.equal(response.status, 409);
  assert.deepEqual(await response.json(), { code: 'revocation_list.rollback' });
  response = await get(at(revokedLater.now), bearer(revokedLater.key));
  assert.equal((await response.json()).code, 'revoked');
});

test('workerd: missing credential, bad keys and scopes', async () => {
  const now = kdoc.now ?? kdoc.cases[0].now;
  let response = await get(`/?now=${now}`);
  assert.equal(response.status, 401);
  assert.equal(response.headers.get('www-authenticate'), 'Bearer');
  assert.equal((await response.json()).code, 'missing_credential');
  // keys.json uses the same keyring seeds; a bad-signature key is refused in workerd too.
  const bad = kdoc.cases.find((c) => c.name === 'signature-bit-flip');
  response = await get(`/?now=${bad.now}`, { authorization: `Bearer ${bad.key}` });
  assert.equal(response.status, 401);
  assert.equal((await response.json()).code, 'bad_signature');
  const check = rdoc.cases.find((c) => c.expect === 'valid').checks.find((c) => c.expect === 'valid');
  response = await get(`/?now=${check.now}&scope=orders:write`, { authorization: `Bearer ${check.key}` });
  assert.equal(response.status, 403);
  assert.match(response.headers.get('www-authenticate'), /insufficient_scope/);
});
