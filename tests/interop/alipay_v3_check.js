// Checks the alipay-v3 scheme against Alipay's own Node SDK (npm alipay-sdk, its AlipaySdk#curl).
//   node alipay_v3_check.js SDK_DIR APP_PRIVATE.pem ALIPAY_PRIVATE.pem ALIPAY_PUBLIC.pem DAEMON_ANSWER.json
// The SDK signs the same request the daemon signed (its nonce and clock fixed to the daemon's) and sends
// it to a loopback stand-in for Alipay, which records the authorization header and answers with a body
// signed by "Alipay" (ALIPAY_PRIVATE). Prints {"sdk_authorization", "answer": {headers, body}} once the
// SDK has verified that answer itself.
'use strict';
const fs = require('fs');
const http = require('http');
const path = require('path');
const crypto = require('crypto');

const [sdkDir, appKeyPath, alipayKeyPath, alipayPublicPath, daemonPath] = process.argv.slice(2);
const { AlipaySdk } = require(path.join(sdkDir, 'node_modules', 'alipay-sdk'));
const daemon = JSON.parse(fs.readFileSync(daemonPath, 'utf8'));

function signedAnswer(body) {
  const timestamp = String(Date.now());
  const nonce = 'b1a2c3d4e5f60718293a4b5c6d7e8f90';
  const signature = crypto.sign('sha256', Buffer.from(`${timestamp}\n${nonce}\n${body}\n`),
    fs.readFileSync(alipayKeyPath, 'utf8')).toString('base64');
  return { 'alipay-timestamp': timestamp, 'alipay-nonce': nonce, 'alipay-signature': signature };
}

async function main() {
  let seen;
  const answerBody = JSON.stringify({ trade_no: '2013112011001004330000121536', trade_status: 'TRADE_SUCCESS' });
  const answerHeaders = signedAnswer(answerBody);
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      seen = { authorization: req.headers.authorization, body, url: req.url,
               token: req.headers['alipay-app-auth-token'] };
      res.writeHead(200, { 'content-type': 'application/json', ...answerHeaders });
      res.end(answerBody);
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const sdk = new AlipaySdk({
    appId: daemon.app_id,
    privateKey: fs.readFileSync(appKeyPath, 'ascii'),
    keyType: 'PKCS8',  // openssl genrsa writes PKCS#8; the SDK's default is PKCS#1
    alipayPublicKey: fs.readFileSync(alipayPublicPath, 'ascii'),
    endpoint: `http://127.0.0.1:${server.address().port}`,
  });
  // The SDK draws its nonce from crypto.randomUUID and its timestamp from Date.now: fixed to the
  // daemon's, its authorization must be the daemon's byte for byte.
  crypto.randomUUID = () => daemon.nonce;
  const realNow = Date.now;
  Date.now = () => Number(daemon.timestamp);
  const result = await sdk.curl('POST', '/v3/alipay/trade/query', {
    body: JSON.parse(daemon.body), appAuthToken: daemon.app_auth_token,
  });
  Date.now = realNow;
  server.close();
  if (result.data.trade_status !== 'TRADE_SUCCESS') throw new Error('the SDK did not read the answer');
  if (seen.body !== daemon.body) throw new Error(`the SDK sent body ${seen.body}, not ${daemon.body}`);
  process.stdout.write(JSON.stringify({
    sdk_authorization: seen.authorization, sdk_token: seen.token,
    answer: { headers: answerHeaders, body: answerBody },
  }));
}

main().catch((e) => { console.error('FAIL: ' + e.message); process.exit(1); });
