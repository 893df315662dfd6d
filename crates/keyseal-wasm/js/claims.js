// The claims objects that verify() and inspect() return, built here in one call from the
// WebAssembly module (src/claims.rs imports these functions): one crossing per key instead
// of one per member, scope and value. `scopes` arrives as one string joined by spaces (the
// scope grammar, `resource:action` of [a-z0-9_.-], has no space); `extensions` arrives as
// an object only when the key has extensions; absent values arrive as `undefined`.

function base(verified, appId, scopes, issuedAt, expiresAt, notBefore, tokenId, keyId, extensions) {
  return {
    verified,
    appId,
    scopes: scopes === '' ? [] : scopes.split(' '),
    issuedAt,
    expiresAt,
    notBefore: notBefore ?? null,
    tokenId,
    keyId,
    extensions: extensions ?? {},
  };
}

/** The claims of a key that verified, with the revocation list's sequence and staleness. */
export function verifiedClaims(appId, scopes, issuedAt, expiresAt, notBefore, tokenId, keyId,
  extensions, listSequence, listStale) {
  const claims = base(true, appId, scopes, issuedAt, expiresAt, notBefore, tokenId, keyId,
    extensions);
  claims.revocation = listSequence === undefined ? null : { sequence: listSequence, stale: listStale };
  return claims;
}

/** What a key says about itself, not verified, with the prefix it claims. */
export function inspectedClaims(appId, scopes, issuedAt, expiresAt, notBefore, tokenId, keyId,
  extensions, prefix) {
  const claims = base(false, appId, scopes, issuedAt, expiresAt, notBefore, tokenId, keyId,
    extensions);
  claims.prefix = prefix;
  return claims;
}
