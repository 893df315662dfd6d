// The worker that test/workerd.test.mjs runs inside workerd: verifies the key of every
// request with the package, and takes revocation list updates by PUT /revocations.
import { Verifier, KeysealError, verifyRequest } from 'keyseal/workerd.js';

let verifier;

export default {
  async fetch(request, env) {
    verifier ??= Verifier.fromKeyring(env.PREFIX, env.KEYRING);
    const url = new URL(request.url);
    const now = Number(url.searchParams.get('now'));
    if (url.pathname === '/revocations' && request.method === 'PUT') {
      try {
        const bytes = new Uint8Array(await request.arrayBuffer());
        return Response.json({ sequence: verifier.updateRevocations(bytes, { now }) });
      } catch (error) {
        if (!(error instanceof KeysealError)) throw error;
        return Response.json({ code: error.code }, { status: 409 });
      }
    }
    const result = verifyRequest(request, verifier, { now, scopes: url.searchParams.getAll('scope') });
    if (result instanceof Response) return result;
    return Response.json({ appId: result.appId, tokenId: result.tokenId, revocation: result.revocation });
  },
};
