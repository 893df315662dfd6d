// The Fetch-API helper: verifies the key a `Request` carries and answers either the
// verified claims or the refusal `Response` to send (problem+json, RFC 9457; 401 with
// `WWW-Authenticate: Bearer` per RFC 6750, 403 for a missing scope, 503 when verification
// fails closed), as the Rust edge crate answers.
import { requireScope } from './wasm/keyseal_wasm.js';

// Problem code of a request that carries no key at all.
const MISSING_CREDENTIAL = 'missing_credential';
// Codes for which the edge, not the key, is the problem: it fails closed until it has a
// current revocation list.
const UNAVAILABLE = new Set(['revocation_list_stale', 'no_revocation_list', 'no_clock']);
// Codes that mean the helper was called wrongly (a bad `now` or required scope): thrown,
// never answered as if the client were at fault.
const MISUSE = /^(invalid_argument|invalid_timestamp|invalid_claim\.)/;
const BEARER = /^Bearer(?:[ \t]+(.*))?$/i;

function problem(status, code, title, detail, challenge) {
  const headers = {
    'content-type': 'application/problem+json',
    'cache-control': 'no-store',
  };
  if (challenge !== undefined) headers['www-authenticate'] = challenge;
  const body = { type: `urn:keyseal:problem:${code}`, title, status, detail, code };
  return new Response(JSON.stringify(body), { status, headers });
}

function quoted(value) {
  return `"${value.replace(/[\\"]/g, '\\$&')}"`;
}

/** The key text in `request`, or `null` when it carries none. */
function credential(request, header) {
  if (header !== undefined) return request.headers.get(header);
  const authorization = request.headers.get('authorization');
  if (authorization === null) return null;
  const bearer = BEARER.exec(authorization);
  if (bearer === null || bearer[1] === undefined || bearer[1] === '') return null;
  return bearer[1];
}

/**
 * Verifies the key in `request` (`Authorization: Bearer <key>`, or the header named by
 * `options.header`) with `verifier`, at `options.now` or by the host's clock, and checks
 * that it grants every scope in `options.scopes`. Returns the verified claims, or the
 * refusal `Response` to send.
 */
export function verifyRequest(request, verifier, options = {}) {
  const { header, scopes = [], now } = options ?? {};
  const where = header === undefined ? 'an Authorization: Bearer header' : `the ${header} header`;
  const text = credential(request, header);
  if (text === null) {
    return problem(401, MISSING_CREDENTIAL, 'API key required',
      `The request carries no API key in ${where}.`, 'Bearer');
  }
  let claims;
  try {
    claims = verifier.verify(text, { now });
    for (const scope of scopes) requireScope(claims, scope);
  } catch (error) {
    const code = error?.code;
    if (typeof code !== 'string' || MISUSE.test(code)) throw error;
    if (code === 'missing_scope') {
      return problem(403, code, 'Insufficient scope', error.message,
        `Bearer error="insufficient_scope", scope=${quoted(scopes.join(' '))}`);
    }
    if (UNAVAILABLE.has(code)) {
      return problem(503, code, 'Key verification unavailable', error.message);
    }
    return problem(401, code, 'Invalid API key', error.message,
      'Bearer error="invalid_token"');
  }
  return claims;
}
