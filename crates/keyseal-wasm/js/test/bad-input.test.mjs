// Bad input of every kind gets a KeysealError (with a code), never a crash of the module:
// after each, the module still verifies a good key.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Verifier, KeysealError, inspect, hasScope, requireScope } from '../node.js';
import { vectors, keyringDocument, hexBytes } from './vectors.mjs';

const doc = vectors('keys.json');
const keyring = keyringDocument(doc.keyring);
const standard = doc.cases.find((c) => c.name === 'standard');
const at = { now: standard.now };
const verifier = Verifier.fromKeyring(doc.prefix, keyring);

function refused(f, code, what) {
  assert.throws(f, (e) => {
    assert.ok(e instanceof KeysealError, `${what}: ${e}`);
    assert.ok(e instanceof Error);
    assert.equal(e.name, 'KeysealError');
    if (code !== undefined) assert.equal(e.code, code, `${what}: ${e.message}`);
    return true;
  }, what);
  // The module is intact.
  assert.equal(verifier.verify(standard.key, at).tokenId, standard.claims.token_id);
}

const nonStrings = [undefined, null, 42, 1n, true, {}, [], Symbol('k'), () => 1,
  new String(standard.key), new Uint8Array(4), { toString: () => standard.key }];

test('key texts that are not strings', () => {
  for (const value of nonStrings) {
    refused(() => verifier.verify(value, at), 'invalid_argument', `verify(${String(typeof value)})`);
    refused(() => inspect(value), 'invalid_argument', `inspect(${typeof value})`);
  }
});

test('huge strings are refused by length, without being copied', () => {
  const huge = 'a'.repeat(64 * 1024 * 1024);
  refused(() => verifier.verify(huge, at), 'malformed.too_long', 'a 64 MiB key');
  refused(() => inspect(huge), 'malformed.too_long', 'inspect of a 64 MiB key');
  refused(() => Verifier.fromKeyring(doc.prefix, huge), 'keyring_document', '64 MiB keyring');
  refused(() => verifier.updateKeyring(huge), 'keyring_document', 'updateKeyring of 64 MiB');
  refused(() => Verifier.fromKeyring(huge, keyring), 'invalid_argument', '64 MiB prefix');
  refused(() => verifier.verify(`${doc.prefix}_${'A'.repeat(1400)}`, at), 'malformed.too_long',
    'one character too many');
  // Multi-byte characters: short in UTF-16, too long in UTF-8.
  refused(() => verifier.verify('é'.repeat(700), at), 'malformed.too_long', 'UTF-8 length counts');
});

test('invalid UTF-16 (lone surrogates) and other non-ASCII text', () => {
  const lone = [standard.key.slice(0, 20) + '\uD800' + standard.key.slice(21), '\uDC00',
    standard.key + '\uD83D'];
  for (const text of lone) {
    refused(() => verifier.verify(text, at), 'invalid_argument', 'lone surrogate');
    refused(() => inspect(text), 'invalid_argument', 'inspect lone surrogate');
  }
  refused(() => Verifier.fromKeyring(doc.prefix, keyring.replace('"version"', '"\uD800"')),
    'invalid_argument', 'keyring with a lone surrogate');
  // Well-formed non-ASCII: the core's own verdicts.
  refused(() => verifier.verify(standard.key.replace('_', '\u00A0'), at), undefined, 'nbsp');
  refused(() => verifier.verify('😀'.repeat(10), at), 'malformed.prefix', 'emoji');
  // A real U+FFFD (what the copy into WebAssembly makes of a lone surrogate) is well-formed:
  // the core's verdict, not invalid_argument; with a lone surrogate too, invalid_argument.
  const replacement = standard.key.slice(0, 20) + '\uFFFD' + standard.key.slice(21);
  refused(() => verifier.verify(replacement, at), 'malformed.base64', 'U+FFFD in the body');
  refused(() => verifier.verify(`\uFFFD${standard.key}`, at), 'malformed.prefix', 'U+FFFD first');
  refused(() => verifier.verify(`${replacement}\uDC00`, at), 'invalid_argument',
    'U+FFFD and a lone surrogate');
  refused(() => verifier.verify(` ${standard.key}`, at), 'malformed.prefix', 'leading space');
  refused(() => verifier.verify('', at), 'malformed.prefix', 'empty');
});

test('wrong `now` values', () => {
  const bad = [{ now: 'tomorrow' }, { now: NaN }, { now: Infinity }, { now: 1.5 },
    { now: new Date('nonsense') }, { now: {} }, { now: 10n }, 7, 'x'];
  for (const options of bad) {
    refused(() => verifier.verify(standard.key, options), 'invalid_argument',
      `now ${String(options?.now ?? options)}`);
  }
  for (const now of [0, -5, 253_402_300_800, 1e300]) {
    refused(() => verifier.verify(standard.key, { now }), 'invalid_timestamp', `now ${now}`);
  }
  const throwing = { get now() { throw new Error('boom'); } };
  refused(() => verifier.verify(standard.key, throwing), 'invalid_argument', 'throwing getter');
});

test('wrong types for revocation list bytes', () => {
  const rdoc = vectors('revocation.json');
  const v = Verifier.fromKeyring(rdoc.prefix, keyringDocument(rdoc.keyring));
  for (const value of [undefined, null, 'bytes', 3, [1, 2, 3], {}, { length: 3 }, new Blob(['x'])]) {
    refused(() => v.updateRevocations(value, { now: rdoc.now }), 'invalid_argument',
      `bytes ${Object.prototype.toString.call(value)}`);
  }
  refused(() => v.updateRevocations(new Uint8Array(0), { now: rdoc.now }),
    'revocation_list.malformed', 'empty list');
  refused(() => v.updateRevocations(new Uint8Array(129 * 1024 * 1024), { now: rdoc.now }),
    'revocation_list.too_large', '129 MiB list');
  // Other typed arrays are views too: their bytes are read.
  refused(() => v.updateRevocations(new Uint16Array(8), { now: rdoc.now }),
    'revocation_list.malformed', 'Uint16Array');
  assert.equal(v.updateRevocations(hexBytes(rdoc.cases[0].list), { now: rdoc.now }), 3);
});

test('wrong verifier arguments and options', () => {
  refused(() => Verifier.fromKeyring(42, keyring), 'invalid_argument', 'numeric prefix');
  refused(() => Verifier.fromKeyring('Bad Prefix', keyring), 'invalid_prefix', 'bad prefix');
  refused(() => Verifier.fromKeyring(doc.prefix, {}), 'invalid_argument', 'object keyring');
  refused(() => Verifier.fromKeyring(doc.prefix, '{'), 'keyring_document', 'broken JSON');
  refused(() => Verifier.fromKeyring(doc.prefix, keyring, { maxLifetme: 5 }), 'invalid_argument',
    'misspelt option');
  refused(() => Verifier.fromKeyring(doc.prefix, keyring, { maxLifetime: -1 }), 'invalid_argument',
    'negative lifetime');
  refused(() => Verifier.fromKeyring(doc.prefix, keyring, { onStaleList: 'ignore' }),
    'invalid_argument', 'unknown policy');
  refused(() => Verifier.fromKeyring(doc.prefix, keyring, 'strict'), 'invalid_argument',
    'string options');
});

test('scope questions: bad claims objects and bad scopes', () => {
  const claims = verifier.verify(standard.key, at);
  assert.equal(hasScope(claims, 'orders:read'), true);
  assert.equal(hasScope(claims, 'orders:delete'), false);
  assert.equal(hasScope(claims, 'Orders:Read'), false);
  refused(() => requireScope(claims, 'orders:delete'), 'missing_scope', 'missing scope');
  refused(() => requireScope(claims, 'no colon'), 'invalid_claim.scope', 'bad scope');
  refused(() => requireScope(claims, 5), 'invalid_argument', 'numeric scope');
  refused(() => hasScope(inspect(standard.key), 'orders:read'), 'invalid_argument',
    'inspected claims grant nothing');
  for (const fake of [null, 'claims', {}, { verified: true }, { verified: true, scopes: [1] },
    { verified: 'true', scopes: ['orders:read'] }]) {
    refused(() => hasScope(fake, 'orders:read'), 'invalid_argument', `claims ${JSON.stringify(fake)}`);
  }
});
