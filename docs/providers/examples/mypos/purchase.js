// Signs a myPOS Checkout IPCPurchase through p11signd and checks the signature the way myPOS does, with
// Node's own crypto: SHA256withRSA over the base64 of the dash-joined values (Signature left out), with
// the store certificate uploaded to myPOS. Node 18 or later, no packages.
// usage: node purchase.js STORE_CERTIFICATE.pem
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
  const certificate = crypto.createPublicKey(fs.readFileSync(process.argv[2] || 'mypos-store1.crt', 'utf8'));
  // Fields in myPOS's order; SID, WalletNumber and KeyIndex come from the key's settings.
  const fields = [
    ['IPCmethod', 'IPCPurchase'], ['IPCVersion', '1.4'], ['IPCLanguage', 'EN'], ['Amount', '9.90'],
    ['Currency', 'EUR'], ['OrderID', `order-${Date.now()}`], ['URL_OK', 'https://shop.example/ok'],
    ['URL_Cancel', 'https://shop.example/cancel'], ['URL_Notify', 'https://shop.example/mypos-notify'],
    ['CardTokenRequest', '0'], ['PaymentParametersRequired', '3'], ['CartItems', '1'],
    ['Article_1', 'Sticker'], ['Quantity_1', '1'], ['Price_1', '9.90'], ['Amount_1', '9.90'], ['Currency_1', 'EUR'],
  ];
  const answer = await p11signd('/v1/schemes/mypos/sign', { key: 'mypos-store1', fields });

  // The form as myPOS receives it, decoded; every value but Signature, in order, joined by '-'.
  const posted = [...new URLSearchParams(answer.form)];
  const signature = posted.find(([name]) => name === 'Signature')[1];
  const values = posted.filter(([name]) => name !== 'Signature').map(([, value]) => value);
  const signedText = Buffer.from(values.join('-'), 'utf8').toString('base64');
  if (!crypto.verify('sha256', Buffer.from(signedText), certificate, Buffer.from(signature, 'base64'))) {
    fail('signature does NOT verify with the store certificate');
  }
  console.log(`fields signed: ${posted.filter(([n]) => n !== 'Signature').map(([n]) => n).join(',')}`);
  console.log('signature verified with node:crypto and the store certificate');
}

main().catch((error) => fail(error.message));
