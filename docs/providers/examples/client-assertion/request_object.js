// Signs an authorization request as a request object (JAR, RFC 9101) through p11signd - scheme
// client-assertion, action request-object, key "oauth-client", PS256 as FAPI asks - and checks it the
// way the authorization server does, with Node's own crypto: typ oauth-authz-req+jwt, RSASSA-PSS with
// SHA-256 and a 32-byte salt over header.claims with the registered PEM key, iss = client_id, aud, the
// parameters as claims. Prints the authorization URL that carries it. Node 18 or later, no packages.
// usage: node request_object.js PUBLIC_KEY.pem ISSUER
'use strict';
const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');

const socketPath = process.env.P11SIGN_SOCKET || '/run/p11signd/p11signd.sock';

function p11signd(path, body) {
  return new Promise((resolve, reject) => {
    const request = http.request(
      { socketPath, path, method: 'POST', headers: { 'content-type': 'application/json' }, timeout: 10000 },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk) => { text += chunk; });
        response.on('end', () => {
          const answer = JSON.parse(text);
          if (response.statusCode !== 200) {
            reject(new Error(`p11signd answered ${response.statusCode}: ${answer.error.message}`));
          } else {
            resolve(answer);
          }
        });
      });
    request.on('error', (e) => reject(new Error(`cannot reach p11signd at ${socketPath} (${e.message}); `
      + 'set P11SIGN_SOCKET to the daemon\'s socket, e.g. .p11signd-dev/p11signd.sock for scripts/dev')));
    request.end(JSON.stringify(body));
  });
}

function fail(message) {
  console.error(message);
  process.exit(1);
}

async function main() {
  const publicKey = crypto.createPublicKey(fs.readFileSync(process.argv[2] || 'oauth-client.pem', 'utf8'));
  const issuer = process.argv[3] || 'https://as.example';
  const params = {
    response_type: 'code',
    redirect_uri: 'https://client.example/cb',
    scope: 'openid accounts',
    state: crypto.randomBytes(16).toString('base64url'),
    nonce: crypto.randomBytes(16).toString('base64url'),
    code_challenge: crypto.createHash('sha256').update(crypto.randomBytes(32)).digest('base64url'),
    code_challenge_method: 'S256',
  };
  const answer = await p11signd('/v1/schemes/client-assertion/request-object',
    { key: 'oauth-client', params, aud: issuer, alg: 'PS256' });
  const [headerB64, claimsB64, signatureB64] = answer.request.split('.');
  const header = JSON.parse(Buffer.from(headerB64, 'base64url').toString('utf8'));
  const claims = JSON.parse(Buffer.from(claimsB64, 'base64url').toString('utf8'));
  if (header.alg !== 'PS256' || header.typ !== 'oauth-authz-req+jwt') fail(`unexpected header: ${JSON.stringify(header)}`);
  const verified = crypto.verify('sha256', Buffer.from(`${headerB64}.${claimsB64}`),
    { key: publicKey, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 },
    Buffer.from(signatureB64, 'base64url'));
  if (!verified) fail('the request object does NOT verify with the registered public key');
  const now = Math.floor(Date.now() / 1000);
  if (claims.iss !== claims.client_id || claims.aud !== issuer || claims.exp <= now || claims.nbf > now + 60
      || claims.state !== params.state || claims.code_challenge !== params.code_challenge) {
    fail(`the claims are not this request: ${JSON.stringify(claims)}`);
  }
  console.error(`header: ${JSON.stringify(header)}`);
  console.error('request object verified with node:crypto (PS256) and the registered public key');
  const url = new URL('/authorize', issuer);
  url.searchParams.set('client_id', claims.client_id);
  url.searchParams.set('request', answer.request);
  console.log(url.toString());
}

main().catch((e) => fail(e.message));
