// Checks a request signed through p11signd (request.json, as sign_request.php wrote it) the way a
// Node.js API would, with Node's own crypto only: Content-Digest (RFC 9530) against the body, the
// RFC 9421 signature base rebuilt from the received request, the signature with the registered
// PEM public key. Then changes the body and shows that the request no longer passes.
// usage: node check_request.js PUBLIC_KEY.pem request.json
'use strict';
const crypto = require('crypto');
const fs = require('fs');

const [keyFile, requestFile] = process.argv.slice(2);
const publicKey = crypto.createPublicKey(fs.readFileSync(keyFile));
const request = JSON.parse(fs.readFileSync(requestFile, 'utf8'));

function check(req) {
  const h = req.headers;
  const digest = `sha-256=:${crypto.createHash('sha256').update(req.body).digest('base64')}:`;
  if (h['Content-Digest'] !== digest) return 'Content-Digest does not match the body';
  const m = /^sig1=\(([^)]*)\)(.*)$/.exec(h['Signature-Input']);
  if (!m) return `unexpected Signature-Input ${h['Signature-Input']}`;
  const url = new URL(req.target_uri);
  const values = {
    '@method': req.method,
    '@authority': url.host,
    '@path': url.pathname,
    '@query': url.search || '?',
    'content-type': h['Content-Type'],
    'content-digest': h['Content-Digest'],
  };
  const lines = m[1].split(' ').map((c) => {
    const name = c.replace(/"/g, '');
    if (!(name in values)) throw new Error(`this check does not know the component ${name}`);
    return `"${name}": ${values[name]}`;
  });
  const base = [...lines, `"@signature-params": ${h['Signature-Input'].slice('sig1='.length)}`].join('\n');
  const signature = Buffer.from(h.Signature.slice('sig1=:'.length, -1), 'base64');
  const created = Number(/;created=(\d+)/.exec(h['Signature-Input'])[1]);
  if (Math.abs(Date.now() / 1000 - created) > 300) return 'created is not within 5 minutes of now';
  return crypto.verify('sha256', Buffer.from(base), publicKey, signature) ? null : 'the signature does not match';
}

const problem = check(request);
if (problem) {
  console.error(`NOT accepted: ${problem}`);
  process.exit(1);
}
console.log('accepted: rsa-v1_5-sha256 signature and Content-Digest verified with Node crypto');
const changed = check({ ...request, body: request.body.replace('23.45', '2345.00') });
if (!changed) {
  console.error('a changed body was accepted');
  process.exit(1);
}
console.log(`a changed body is refused: ${changed}`);
