// Signs an Amazon Pay API v2 "create checkout session" request and a button payload through
// p11signd, and checks both with Node's own crypto (RSASSA-PSS, SHA-256, MGF1-SHA256, salt 32) and
// the PEM public key uploaded to Amazon Pay. Node 18 or later, no packages.
// usage: node checkout_session.js PUBLIC_KEY.pem
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
    request.on('error', reject);
    request.end(JSON.stringify(body));
  });
}

const sha256hex = (text) => crypto.createHash('sha256').update(text, 'utf8').digest('hex');

function pssVerifies(publicKey, text, signatureB64) {
  return crypto.verify('sha256', Buffer.from(text, 'utf8'),
    { key: publicKey, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 },
    Buffer.from(signatureB64, 'base64'));
}

function fail(message) {
  console.error(message);
  process.exit(1);
}

async function main() {
  const publicKey = fs.readFileSync(process.argv[2] || 'amazonpay-public-key.pem', 'utf8');

  // 1. An API request. The daemon adds x-amz-pay-date/host/region, accept and content-type, and
  // the authorization header; send the headers and the body exactly as returned.
  const signed = await p11signd('/v1/schemes/amazonpay/sign', {
    key: 'amazonpay-store1',
    method: 'POST',
    url: 'https://pay-api.amazon.eu/sandbox/v2/checkoutSessions',
    headers: { 'x-amz-pay-idempotency-key': crypto.randomUUID().replace(/-/g, '') },
    body: {
      webCheckoutDetails: { checkoutReviewReturnUrl: 'https://shop.example/review' },
      storeId: 'amzn1.application-oa2-client.0123456789abcdef',
    },
  });
  const headers = signed.headers;
  const auth = /^(\S+) PublicKeyId=([^,]+), SignedHeaders=([^,]+), Signature=(\S+)$/.exec(headers.authorization);
  if (!auth) fail(`unexpected authorization header: ${headers.authorization}`);
  const [, algorithm, , signedHeaders, signature] = auth;
  // What was signed is shown in the answer; check that it describes exactly what will be sent.
  const canonical = signed.canonical_request.split('\n');
  if (canonical[canonical.length - 1] !== sha256hex(signed.body)) fail('payload hash differs from the body');
  for (const name of signedHeaders.split(';')) {
    if (!canonical.includes(`${name}:${headers[name]}`)) fail(`header ${name} is not the one signed`);
  }
  if (signed.string_to_sign !== `${algorithm}\n${sha256hex(signed.canonical_request)}`) fail('string to sign');
  if (!pssVerifies(publicKey, signed.string_to_sign, signature)) fail('request signature does NOT verify');
  console.log(`POST with headers: ${Object.keys(headers).join(', ')}`);
  console.log(`request signature (${algorithm}) verified with node:crypto, PSS salt 32`);

  // 2. The checkout button's signature over its payload.
  const payload = JSON.stringify({
    webCheckoutDetails: { checkoutReviewReturnUrl: 'https://shop.example/review' },
    storeId: 'amzn1.application-oa2-client.0123456789abcdef',
  });
  const button = await p11signd('/v1/schemes/amazonpay/button-signature', { key: 'amazonpay-store1', payload });
  if (!pssVerifies(publicKey, `${button.algorithm}\n${sha256hex(payload)}`, button.signature)) {
    fail('button signature does NOT verify');
  }
  console.log('button signature verified with node:crypto');
}

main().catch((error) => fail(error.message));
