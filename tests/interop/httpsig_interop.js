// Both directions for each RFC 9421 algorithm: the scheme (httpsig_tool) signs and
// http-message-signatures verifies; http-message-signatures signs and the scheme verifies.
// usage: node httpsig_interop.js HTTPSIG_TOOL TESTDATA_DIR
'use strict';
const { execFileSync } = require('child_process');
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const { httpbis, createSigner, createVerifier } = require('http-message-signatures');

const [tool, testdata] = process.argv.slice(2);
const os = require('os');
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'httpsig-interop-'));
const keyFile = (name, kind) =>
  path.join(name === 'p384' ? scratch : testdata, `${name}.${kind}.pem`);
{
  const { privateKey: sk, publicKey: pk } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-384' });
  fs.writeFileSync(keyFile('p384', 'key'), sk.export({ type: 'pkcs8', format: 'pem' }));
  fs.writeFileSync(keyFile('p384', 'pub'), pk.export({ type: 'spki', format: 'pem' }));
}
const cases = [
  { alg: 'rsa-pss-sha512', key: 'test-key-rsa-pss' },
  { alg: 'rsa-v1_5-sha256', key: 'test-key-rsa' },
  { alg: 'ecdsa-p256-sha256', key: 'test-key-ecc-p256' },
  { alg: 'ed25519', key: 'test-key-ed25519' },
  { alg: 'ecdsa-p384-sha384', key: 'p384' },  // RFC 9421 gives no P-384 key: one made here
];
const body = '{"hello": "world"}';
const request = () => ({
  method: 'POST',
  url: 'https://example.com/foo?param=Value&Pet=dog',
  headers: { 'Content-Type': 'application/json', 'Content-Length': String(body.length) },
});
const fields = ['@method', '@authority', '@path', '@query', '@query-param;name="Pet"',
                'content-type', 'content-digest'];

function tool_run(op, key, input) {
  return JSON.parse(execFileSync(tool, [op, key], { input: JSON.stringify(input) }).toString());
}

// The RSA-PSS test key is PKCS#8 with the RSASSA-PSS OID; the scheme's tool reads PKCS#1 too.
function privateKey(name) {
  return crypto.createPrivateKey(fs.readFileSync(keyFile(name, 'key')));
}

async function schemeSignsPackageVerifies({ alg, key }) {
  const req = request();
  const out = tool_run('sign', keyFile(key === 'test-key-rsa-pss' ? 'test-key-rsa' : key, 'key'), {
    method: req.method, target_uri: req.url, headers: req.headers, body,
    components: fields, keyid: key, alg, content_digest: 'sha-512',
  });
  Object.assign(req.headers, out.headers);
  const verifyKey = key === 'test-key-rsa-pss' ? 'test-key-rsa' : key;
  const ok = await httpbis.verifyMessage({
    keyLookup: async () => ({ id: key, algs: [alg],
                              verify: createVerifier(fs.readFileSync(keyFile(verifyKey, 'pub')), alg) }),
    requiredFields: ['content-digest', '@method'],
  }, req);
  if (ok !== true) throw new Error(`${alg}: http-message-signatures did not verify the scheme's signature`);
  // The digest the scheme added is what the package would compute too.
  const expected = crypto.createHash('sha512').update(body).digest('base64');
  if (out.headers['Content-Digest'] !== `sha-512=:${expected}:`) throw new Error(`${alg}: Content-Digest differs`);
}

// The package's own rsa-pss-sha512 signer leaves the salt length to Node (the maximum), where
// RFC 9421 3.3.1 says 64 bytes and the scheme holds to it: for that algorithm the package builds
// the signature base and the fields around a signer that follows the RFC.
function signer(alg, key) {
  if (alg !== 'rsa-pss-sha512') return createSigner(privateKey(key), alg, key);
  return {
    id: key,
    alg,
    sign: async (data) => crypto.sign('sha512', data, {
      key: privateKey(key), padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: 64,
    }),
  };
}

async function packageSignsSchemeVerifies({ alg, key }) {
  const req = request();
  req.headers['Content-Digest'] = `sha-256=:${crypto.createHash('sha256').update(body).digest('base64')}:`;
  const signed = await httpbis.signMessage({
    key: signer(alg, key),
    fields, name: 'pkg', params: ['created', 'expires', 'keyid', 'alg', 'nonce'],
    paramValues: { nonce: crypto.randomBytes(8).toString('hex') },
  }, req);
  const result = tool_run('verify', keyFile(key, 'pub'), {
    method: signed.method, target_uri: signed.url, headers: signed.headers, body,
  });
  if (result.valid !== true || result.label !== 'pkg' || result.alg !== alg) {
    throw new Error(`${alg}: the scheme did not verify the package's signature: ${JSON.stringify(result)}`);
  }
  // And a changed body is caught through the Content-Digest both sides cover.
  const tampered = tool_run('verify', keyFile(key, 'pub'), {
    method: signed.method, target_uri: signed.url, headers: signed.headers, body: body + ' ',
  });
  if (tampered.valid !== false) throw new Error(`${alg}: a changed body verified`);
}

(async () => {
  for (const c of cases) {
    await schemeSignsPackageVerifies(c);
    await packageSignsSchemeVerifies(c);
    console.log(`ok ${c.alg}: scheme -> http-message-signatures and back`);
  }
})().catch((e) => { console.error(`FAIL: ${e.message}`); process.exitCode = 1; })
  .finally(() => fs.rmSync(scratch, { recursive: true, force: true }));
