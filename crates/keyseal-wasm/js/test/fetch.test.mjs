// The Fetch-API helper under Node.js: status, headers and problem+json body of every
// refusal class, and the claims when the key verifies. The key text never appears in a
// response.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Verifier, verifyRequest } from '../node.js';
import { vectors, keyringDocument, hexBytes } from './vectors.mjs';

const doc = vectors('keys.json');
const byName = (name) => doc.cases.find((c) => c.name === name);
const standard = byName('standard');
const now = standard.now;
const verifier = Verifier.fromKeyring(doc.prefix, keyringDocument(doc.keyring));

const request = (headers) => new Request('https://api.example/orders', { headers });

async function refusal(response, status, code, key) {
  assert.ok(response instanceof Response, `expected a refusal ${status} ${code}`);
  assert.equal(response.status, status);
  assert.equal(response.headers.get('content-type'), 'application/problem+json');
  const text = await response.text();
  if (key !== undefined) assert.ok(!text.includes(key), 'the key text is in the response');
  const body = JSON.parse(text);
  assert.deepEqual(Object.keys(body).sort(), ['code', 'detail', 'status', 'title', 'type']);
  assert.equal(body.status, status);
  assert.equal(body.code, code);
  assert.equal(body.type, `urn:keyseal:problem:${code}`);
  assert.equal(typeof body.title, 'string');
  assert.ok(body.detail.length > 0);
  return response.headers.get('www-authenticate');
}

test('a valid key in Authorization: Bearer gives its claims', () => {
  for (const scheme of ['Bearer', 'bearer', 'BEARER']) {
    const claims = verifyRequest(request({ authorization: `${scheme} ${standard.key}` }), verifier,
      { now, scopes: ['orders:read', 'customers:read'] });
    assert.equal(claims.verified, true);
    assert.equal(claims.appId, standard.claims.app_id);
  }
});

test('a named header instead of Authorization', async () => {
  const claims = verifyRequest(request({ 'x-api-key': standard.key }), verifier,
    { header: 'x-api-key', now });
  assert.equal(claims.tokenId, standard.claims.token_id);
  // With a named header, Authorization is not read.
  const missing = verifyRequest(request({ authorization: `Bearer ${standard.key}` }), verifier,
    { header: 'x-api-key', now });
  assert.equal(await refusal(missing, 401, 'missing_credential'), 'Bearer');
});

test('no credential: 401 with a bare Bearer challenge', async () => {
  for (const headers of [{}, { authorization: 'Basic dXNlcjpwYXNz' }, { authorization: 'Bearer' },
    { authorization: 'Bearer   ' }]) {
    const response = verifyRequest(request(headers), verifier, { now });
    assert.equal(await refusal(response, 401, 'missing_credential'), 'Bearer', JSON.stringify(headers));
  }
});

test('every invalid-key verdict of keys.json: 401 invalid_token with the core code', async () => {
  for (const c of doc.cases.filter((c) => c.expect !== 'valid' && c.max_lifetime === undefined)) {
    const response = verifyRequest(request({ authorization: `Bearer ${c.key}` }), verifier,
      { now: c.now });
    const challenge = await refusal(response, 401, c.expect, c.key);
    assert.equal(challenge, 'Bearer error="invalid_token"', c.name);
  }
});

test('a missing scope: 403 insufficient_scope naming the scopes', async () => {
  const response = verifyRequest(request({ authorization: `Bearer ${standard.key}` }), verifier,
    { now, scopes: ['orders:read', 'orders:delete'] });
  const challenge = await refusal(response, 403, 'missing_scope', standard.key);
  assert.equal(challenge, 'Bearer error="insufficient_scope", scope="orders:read orders:delete"');
});

test('revoked is 401; a stale list and a missing required list are 503', async () => {
  const rdoc = vectors('revocation.json');
  const v = Verifier.fromKeyring(rdoc.prefix, keyringDocument(rdoc.keyring));
  const valid = rdoc.cases.find((c) => c.expect === 'valid');
  v.updateRevocations(hexBytes(valid.list), { now: rdoc.now });
  for (const check of valid.checks) {
    const response = verifyRequest(request({ authorization: `Bearer ${check.key}` }), v,
      { now: check.now });
    if (check.expect === 'valid') {
      assert.equal(response.verified, true, check.why);
    } else if (check.expect === 'revocation_list_stale') {
      assert.equal(await refusal(response, 503, check.expect, check.key), null, check.why);
    } else {
      assert.equal(await refusal(response, 401, check.expect, check.key),
        'Bearer error="invalid_token"', check.why);
    }
  }
  const strict = Verifier.fromKeyring(doc.prefix, keyringDocument(doc.keyring),
    { withoutList: 'reject' });
  const response = verifyRequest(request({ authorization: `Bearer ${standard.key}` }), strict,
    { now });
  await refusal(response, 503, 'no_revocation_list', standard.key);
});

test('misuse by the caller is thrown, not answered as the client\'s fault', () => {
  const withKey = request({ authorization: `Bearer ${standard.key}` });
  assert.throws(() => verifyRequest(withKey, verifier, { now, scopes: ['not a scope'] }),
    { code: 'invalid_claim.scope' });
  assert.throws(() => verifyRequest(withKey, verifier, { now: 'noon' }), { code: 'invalid_argument' });
});
