// Type declarations of the `keyseal` package.

/** Thrown by every function of the package. */
export class KeysealError extends Error {
  readonly name: 'KeysealError';
  /**
   * keyseal's stable error code (`Error::code()` of the Rust core): `expired`,
   * `not_yet_valid`, `bad_signature`, `unknown_key`, `retired_key`, `wrong_prefix`,
   * `malformed.<reason>`, `revoked`, `revocation_list_stale`, `missing_scope`,
   * `revocation_list.<problem>`, `keyring_document`, ..., or `invalid_argument` for an
   * argument of the wrong type or shape.
   */
  readonly code: string;
}

/** Time rules of a verifier; durations in whole seconds. */
export interface VerifierOptions {
  /** A key still verifies until `expiresAt + expiryLeeway`. Default 60. */
  expiryLeeway?: number;
  /** A key verifies from `max(issuedAt, notBefore) - notBeforeLeeway`. Default 60. */
  notBeforeLeeway?: number;
  /** Keys with a longer lifetime (`expiresAt - issuedAt`) are refused. Default: none. */
  maxLifetime?: number;
  /** A revocation list older than this since its issue counts as stale. */
  maxListAge?: number;
  /** Once the list is stale: refuse every key (default), or verify and report `stale`. */
  onStaleList?: 'reject' | 'accept-and-report';
  /** Without a list: verify without revocation (default), or refuse every key. */
  withoutList?: 'allow' | 'reject';
}

/** When to check: a `Date` or whole seconds since the Unix epoch. Default: `Date.now()`. */
export interface AtTime {
  now?: Date | number;
}

/** Claims common to verified and inspected keys. Times are Unix seconds. */
export interface ClaimsBase {
  appId: string;
  /** Sorted, unique `resource:action` scopes. */
  scopes: string[];
  issuedAt: number;
  expiresAt: number;
  notBefore: number | null;
  /** 32 lowercase hex digits: the handle for revocation and audit logs. */
  tokenId: string;
  /** 16 lowercase hex digits: the signing key. */
  keyId: string;
  extensions: Record<string, Uint8Array>;
}

/** The claims of a key that verified: the only thing to authorize with. */
export interface VerifiedClaims extends ClaimsBase {
  verified: true;
  /** The revocation list the key was checked against, or `null` without one. */
  revocation: { sequence: number; stale: boolean } | null;
}

/** What a key says about itself, NOT VERIFIED: may be forged; for display only. */
export interface UnverifiedClaims extends ClaimsBase {
  verified: false;
  /** The prefix the key claims. */
  prefix: string;
}

/** Verifies keys offline for one prefix against a keyring document. */
export class Verifier {
  private constructor();
  /** A verifier for keys with `prefix` signed by the keys of the keyring document. */
  static fromKeyring(prefix: string, keyringJson: string, options?: VerifierOptions): Verifier;
  /** Verifies `keyText`; throws a `KeysealError` when it does not verify. */
  verify(keyText: string, options?: AtTime): VerifiedClaims;
  /**
   * Loads a signed revocation list; returns its sequence number. A list that is not newer
   * than the one in force, forged, another issuer's or corrupt is refused (thrown) and the
   * list in force stays.
   */
  updateRevocations(bytes: Uint8Array | ArrayBuffer | ArrayBufferView, options?: AtTime): number;
  /** Replaces the keyring; the revocation list in force stays. Refused documents change nothing. */
  updateKeyring(keyringJson: string): void;
  readonly prefix: string;
  /** The sequence number of the revocation list in force, or `null`. */
  readonly revocationSequence: number | null;
  readonly keyIds: string[];
  /** Releases the WebAssembly memory now rather than at garbage collection. */
  free(): void;
}

/** Parses a key WITHOUT verifying it. Never authorize with the result. */
export function inspect(keyText: string): UnverifiedClaims;
/** Whether verified claims grant `scope` (itself or `resource:*`). */
export function hasScope(claims: VerifiedClaims, scope: string): boolean;
/** Throws `missing_scope` (or `invalid_claim.scope`) unless the claims grant `scope`. */
export function requireScope(claims: VerifiedClaims, scope: string): void;

export interface VerifyRequestOptions extends AtTime {
  /** Read the key from this header instead of `Authorization: Bearer`. */
  header?: string;
  /** Scopes the key must all grant (else 403). */
  scopes?: string[];
}

/**
 * Verifies the key a Fetch-API `Request` carries. Returns the verified claims, or the
 * refusal to send: 401 (missing or invalid key), 403 (missing scope) or 503 (revocation list
 * stale or missing), `application/problem+json` with keyseal's error `code`.
 */
export function verifyRequest(
  request: Request,
  verifier: Verifier,
  options?: VerifyRequestOptions,
): VerifiedClaims | Response;
