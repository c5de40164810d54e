// Signs a WeChat Pay API v3 query (GET /v3/pay/transactions/out-trade-no/{out_trade_no}?mchid=...)
// through p11signd and checks the Authorization header with Node's own crypto (SHA256withRSA, PKCS#1
// v1.5) and the public key of the merchant API certificate. Node 18 or later, no packages.
// usage: node order_query.js MERCHANT_PUBLIC_KEY.pem
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

function fail(message) {
  console.error(message);
  process.exit(1);
}

async function main() {
  const publicKey = fs.readFileSync(process.argv[2] || 'wechatpay-mch1.pem', 'utf8');
  // A full URL is fine: the daemon signs its path and query, as WeChat Pay checks them.
  const url = 'https://api.mch.weixin.qq.com/v3/pay/transactions/out-trade-no/order-42?mchid=1900000001';
  const signed = await p11signd('/v1/schemes/wechatpay/sign', { key: 'wechatpay-mch1', method: 'GET', url });

  const fields = Object.fromEntries([...signed.authorization.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
  if (!signed.authorization.startsWith('WECHATPAY2-SHA256-RSA2048 ')) fail(`scheme: ${signed.authorization}`);
  const pathAndQuery = new URL(url).pathname + new URL(url).search;
  // GET has no body: the last line of the message is empty.
  const message = `GET\n${pathAndQuery}\n${fields.timestamp}\n${fields.nonce_str}\n\n`;
  const ok = crypto.verify('sha256', Buffer.from(message, 'utf8'), publicKey, Buffer.from(fields.signature, 'base64'));
  if (!ok) fail('the signature does NOT verify with the merchant public key');
  console.log(`GET ${pathAndQuery}`);
  console.log(`Authorization for mchid ${fields.mchid}, certificate serial ${fields.serial_no}`);
  console.log('signature verified with node:crypto and the merchant public key');
}

main().catch((error) => fail(error.message));
