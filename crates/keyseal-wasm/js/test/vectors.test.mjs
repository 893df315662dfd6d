// Every case of the root test vectors through the package, interpreted as the Rust tests
// interpret them (tests/vectors.rs, tests/revocation_vectors.rs, tests/keyring_document.rs):
// same verdicts, same codes, same claims. The files are walked generically, so cases added
// later are run too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Verifier, KeysealError, inspect } from '../node.js';
import { vectors, vectorText, keyringDocument, hexBytes, toHex, outcome } from './vectors.mjs';

test('keys.json: every case has the stated verdict and claims', () => {
  const doc = vectors('keys.json');
  const keyring = keyringDocument(doc.keyring);
  assert.ok(doc.cases.length >= 40, `${doc.cases.length} cases`);
  for (const c of doc.cases) {
    const options = c.max_lifetime === undefined ? {} : { maxLifetime: c.max_lifetime };
    const verifier = Verifier.fromKeyring(doc.prefix, keyring, options);
    const { verdict, value: claims, error } = outcome(
      () => verifier.verify(c.key, { now: c.now }), KeysealError);
    assert.equal(verdict, c.expect, `${c.name}: ${error?.message ?? 'verified'}`);
    if (verdict !== 'valid') continue;
    const want = c.claims;
    assert.equal(claims.verified, true, c.name);
    assert.equal(claims.appId, want.app_id, c.name);
    assert.deepEqual(claims.scopes, want.scopes, c.name);
    assert.equal(claims.issuedAt, want.issued_at, c.name);
    assert.equal(claims.expiresAt, want.expires_at, c.name);
    assert.equal(claims.notBefore, want.not_before, c.name);
    assert.equal(claims.tokenId, want.token_id, c.name);
    assert.equal(claims.keyId, want.key_id, c.name);
    assert.deepEqual(
      Object.entries(claims.extensions).map(([n, v]) => [n, toHex(v)]), want.extensions, c.name);
    assert.equal(claims.revocation, null, c.name);
    // inspect() reads the same claims, marked unverified.
    const seen = inspect(c.key);
    assert.equal(seen.verified, false);
    assert.equal(seen.prefix, doc.prefix);
    assert.equal(seen.tokenId, want.token_id);
    verifier.free();
  }
});

test('keys.json: the Date form of `now` and the host clock agree with seconds', () => {
  const doc = vectors('keys.json');
  const verifier = Verifier.fromKeyring(doc.prefix, keyringDocument(doc.keyring));
  const standard = doc.cases.find((c) => c.name === 'standard');
  const claims = verifier.verify(standard.key, { now: new Date(standard.now * 1000 + 999) });
  assert.equal(claims.tokenId, standard.claims.token_id);
  // The vectors' time is in the past: by the host clock the key has expired or is valid,
  // exactly as the seconds form at Date.now() says.
  const host = outcome(() => verifier.verify(standard.key), KeysealError).verdict;
  const explicit = outcome(
    () => verifier.verify(standard.key, { now: Math.floor(Date.now() / 1000) }),
    KeysealError).verdict;
  assert.equal(host, explicit);
});

test('revocation.json: every list, every check and every update', () => {
  const doc = vectors('revocation.json');
  const keyring = keyringDocument(doc.keyring);
  assert.ok(doc.cases.length >= 10);
  for (const c of doc.cases) {
    const verifier = Verifier.fromKeyring(doc.prefix, keyring);
    const { verdict, value: sequence, error } = outcome(
      () => verifier.updateRevocations(hexBytes(c.list), { now: doc.now }), KeysealError);
    assert.equal(verdict, c.expect, `${c.name}: ${error?.message ?? 'loaded'}`);
    if (verdict !== 'valid') {
      assert.equal(verifier.revocationSequence, null, `${c.name}: a refused list changes nothing`);
      continue;
    }
    assert.equal(sequence, c.sequence, c.name);
    assert.equal(verifier.revocationSequence, c.sequence, c.name);
    for (const check of c.checks) {
      const got = outcome(() => verifier.verify(check.key, { now: check.now }), KeysealError);
      assert.equal(got.verdict, check.expect, `${c.name}: ${check.why}`);
      if (got.verdict === 'valid') assert.equal(got.value.revocation.sequence, c.sequence);
    }
  }
  for (const u of doc.updates) {
    const verifier = Verifier.fromKeyring(doc.prefix, keyring);
    const current = verifier.updateRevocations(hexBytes(u.current), { now: doc.now });
    const { verdict } = outcome(
      () => verifier.updateRevocations(hexBytes(u.offered), { now: doc.now }), KeysealError);
    assert.equal(verdict, u.expect, u.name);
    if (verdict !== 'valid') {
      assert.equal(verifier.revocationSequence, current, `${u.name}: the list in force stays`);
    }
  }
});

test('revocation.json: the list bytes are accepted as Uint8Array, Buffer, ArrayBuffer and DataView', () => {
  const doc = vectors('revocation.json');
  const list = hexBytes(doc.cases.find((c) => c.expect === 'valid').list);
  const shapes = {
    Buffer: Buffer.from(list),
    ArrayBuffer: list.slice().buffer,
    DataView: new DataView(Uint8Array.from([9, 9, ...list, 9]).buffer, 2, list.length),
  };
  for (const [name, bytes] of Object.entries(shapes)) {
    const verifier = Verifier.fromKeyring(doc.prefix, keyringDocument(doc.keyring));
    assert.equal(typeof verifier.updateRevocations(bytes, { now: doc.now }), 'number', name);
  }
});

test('keyring_document_v1.json: loads with its keys, states and windows in force', () => {
  const text = vectorText('keyring_document_v1.json');
  const doc = JSON.parse(text);
  const verifier = Verifier.fromKeyring('acme_live', text);
  assert.deepEqual(verifier.keyIds, doc.keys.map((k) => k.kid));
  // Keys from tests/vectors/keys.json are signed by the seed-1 key (retired here, window
  // 2026-01-01..2026-04-01) and the seed-2 key (verify-only, 2026-03-01..2026-10-01).
  const keys = vectors('keys.json');
  const bySigner = (kid) => keys.cases.find(
    (c) => c.expect === 'valid' && c.claims.key_id === kid);
  for (const entry of doc.keys) {
    const c = bySigner(entry.kid);
    if (c === undefined) continue;
    const inside = Date.parse(entry.not_before) / 1000 + 10;
    const { verdict } = outcome(() => verifier.verify(c.key, { now: c.now }), KeysealError);
    const expected = entry.state === 'retired' ? 'retired_key'
      : entry.not_after !== null && c.now >= Date.parse(entry.not_after) / 1000
        ? 'key_outside_validity' : 'valid';
    assert.equal(verdict, expected, `${entry.kid} at the vectors' time`);
    if (entry.state !== 'retired') {
      // Before the signer's window opens its keys are refused for that (the keyring is
      // consulted before the key's own times).
      assert.equal(outcome(() => verifier.verify(c.key, { now: inside - 20 }), KeysealError).verdict,
        'key_outside_validity');
    }
  }
  // The document round-trips through updateKeyring too, and a broken one is refused.
  verifier.updateKeyring(text);
  const broken = text.replace('"verify-only"', '"Verify-Only"');
  assert.equal(outcome(() => verifier.updateKeyring(broken), KeysealError).verdict,
    'keyring_document');
  assert.deepEqual(verifier.keyIds, doc.keys.map((k) => k.kid));
});
