<?php
// Signs a Swifood Open API request through p11signd and checks `sign` the way Swifood does:
// openssl_verify (SHA256withRSA) over the exact bytes of `param`, with the one line of base64 SPKI
// uploaded to Swifood.
// usage: php order.php SWIFOOD_PUBLIC_KEY.b64
require __DIR__ . '/p11signd.php';

$line = trim(file_get_contents($argv[1] ?? 'swifood-public-key.b64'));
$public_key = "-----BEGIN PUBLIC KEY-----\n" . chunk_split($line, 64, "\n") . "-----END PUBLIC KEY-----\n";

// param is text, built once: the signature covers these bytes, and Swifood must receive them unchanged.
$param = json_encode(['orderNo' => 'SO-' . time(), 'amount' => '18.50', 'currency' => 'EUR',
    'remark' => 'no onions, extra "sauce"'], JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_THROW_ON_ERROR);
$answer = p11signd_call('POST', '/v1/schemes/swifood/sign', ['key' => 'swifood-store1', 'param' => $param]);

if ($answer['param'] !== $param) {
    fwrite(STDERR, "the daemon returned another param than the one sent\n");
    exit(1);
}
$ok = openssl_verify($answer['param'], base64_decode($answer['sign']), $public_key, OPENSSL_ALGO_SHA256);
if ($ok !== 1) {
    fwrite(STDERR, "sign does NOT verify with the uploaded public key\n");
    exit(1);
}
// The answer is the request body for Swifood: {"appId","storeKey","param","sign"}.
echo "request body fields: " . implode(',', array_keys($answer)) . "\n";
echo "sign verified with openssl_verify and the uploaded key\n";
