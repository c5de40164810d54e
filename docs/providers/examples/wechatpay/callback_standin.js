// FOR TRYING THE PAGE ONLY: stands in for WeChat Pay, which signs its callbacks with its platform key
// and a fresh timestamp (the daemon refuses one more than 5 minutes off, so a recorded callback cannot
// be shipped). Prints a payment callback as WeChat Pay posts it, as JSON {"headers", "body"}, signed
// now with the stand-in platform key made on the page: "timestamp\nnonce\nbody\n", SHA256withRSA.
// The resource is random bytes here; WeChat Pay encrypts the payment with your APIv3 key.
// usage: node callback_standin.js PLATFORM_KEY.pem
'use strict';
const crypto = require('node:crypto');
const fs = require('node:fs');

const platformKey = fs.readFileSync(process.argv[2] || 'platform-standin.key', 'utf8');
const body = JSON.stringify({
  id: `EV-${crypto.randomUUID()}`,
  create_time: new Date().toISOString().replace(/\.\d+Z$/, '+00:00'),
  resource_type: 'encrypt-resource',
  event_type: 'TRANSACTION.SUCCESS',
  summary: 'payment succeeded',
  resource: {
    original_type: 'transaction',
    algorithm: 'AEAD_AES_256_GCM',
    ciphertext: crypto.randomBytes(96).toString('base64'),
    associated_data: 'transaction',
    nonce: crypto.randomBytes(6).toString('hex'),
  },
});
const timestamp = String(Math.floor(Date.now() / 1000));
const nonce = crypto.randomBytes(16).toString('hex').toUpperCase();
const signature = crypto.sign('sha256', Buffer.from(`${timestamp}\n${nonce}\n${body}\n`, 'utf8'), platformKey);
console.log(JSON.stringify({
  headers: {
    'Wechatpay-Timestamp': timestamp,
    'Wechatpay-Nonce': nonce,
    'Wechatpay-Signature': signature.toString('base64'),
    'Wechatpay-Serial': 'STANDIN',
    'Wechatpay-Signature-Type': 'WECHATPAY2-SHA256-RSA2048',
  },
  body,
}));
