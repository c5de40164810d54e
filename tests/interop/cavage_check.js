// Checks the cavage scheme against joyent's http-signature (Debian node-http-signature), an
// implementation of draft-cavage-http-signatures we did not write.
//   node cavage_check.js verify SIGNED.json CERT_PUBLIC.pem   - a request the daemon signed
//   node cavage_check.js sign BANK_PRIVATE.pem                - prints a bank answer, signed
'use strict';
const fs = require('fs');
const crypto = require('crypto');
const httpSignature = require('http-signature');

function fail(message) {
  console.error('FAIL: ' + message);
  process.exit(1);
}

// The request as the bank receives it: the application's headers plus the daemon's.
function verifyRequest(signedPath, publicKeyPath) {
  const { request, answer } = JSON.parse(fs.readFileSync(signedPath, 'utf8'));
  const headers = {};
  for (const [k, v] of Object.entries({ ...request.headers, ...answer.headers })) {
    headers[k.toLowerCase()] = v;
  }
  const url = new URL(request.url);
  const req = { method: request.method, url: url.pathname + url.search, httpVersion: '1.1', headers };
  const parsed = httpSignature.parseRequest(req, {
    headers: ['digest', 'x-request-id'],  // the ones NextGenPSD2 makes mandatory
    clockSkew: 600,
  });
  if (!httpSignature.verifySignature(parsed, fs.readFileSync(publicKeyPath, 'utf8'))) {
    fail('http-signature does not verify the daemon\'s signature over: ' + parsed.signingString);
  }
  const digest = 'SHA-256=' + crypto.createHash('sha256').update(request.body || '').digest('base64');
  if (headers.digest !== digest) fail('Digest ' + headers.digest + ' is not ' + digest);
  console.log('keyId=' + parsed.keyId);
  console.log('http-signature verified: ' + parsed.params.headers.join(' '));
}

// A bank's answer: Digest, X-Request-ID and Date signed with rsa-sha256, in an Authorization header
// as http-signature writes it.
function signAnswer(privateKeyPath) {
  const body = '{"transactionStatus":"RCVD","paymentId":"1234-wertiq-983"}';
  const headers = {
    'Date': new Date().toUTCString(),
    'X-Request-ID': '99391c7e-ad88-49ec-a2ad-99ddcb1f7721',
    'Digest': 'SHA-256=' + crypto.createHash('sha256').update(body).digest('base64'),
    'Content-Type': 'application/json',
  };
  const res = {
    method: 'POST', path: '/v1/payments/sepa-credit-transfers',
    getHeader: (n) => headers[Object.keys(headers).find((k) => k.toLowerCase() === n.toLowerCase())],
    setHeader: (n, v) => { headers[n] = v; },
  };
  if (!httpSignature.signRequest(res, {
    key: fs.readFileSync(privateKeyPath, 'utf8'), keyId: 'SN=1,CA=CN=Bank CA',
    algorithm: 'rsa-sha256', headers: ['digest', 'x-request-id', 'date'],
  })) fail('http-signature could not sign');
  process.stdout.write(JSON.stringify({ headers, body }));
}

const [mode, ...args] = process.argv.slice(2);
if (mode === 'verify') verifyRequest(...args);
else if (mode === 'sign') signAnswer(...args);
else fail('usage: cavage_check.js verify SIGNED.json PUBLIC.pem | sign PRIVATE.pem');
