<?php
// Signs an Alipay OpenAPI v3 request (POST /v3/alipay/trade/query) through p11signd and checks the
// authorization header as Alipay does: the content authString\nMETHOD\nURI\nbody\n rebuilt from the
// header and the request, verified with PHP's openssl_verify and the application public key uploaded
// to Alipay (one line of base64 SubjectPublicKeyInfo).
// usage: php v3_query.php APP_PUBLIC_KEY_B64   (the key is "alipay-app1")

require __DIR__ . '/p11signd.php';

$publicKey = openssl_pkey_get_public("-----BEGIN PUBLIC KEY-----\n"
    . chunk_split(trim(file_get_contents($argv[1] ?? 'alipay-app1.b64')), 64, "\n") . "-----END PUBLIC KEY-----\n");
$body = json_encode(['out_trade_no' => 'order-' . time(), 'query_options' => ['trade_settle_info']],
    JSON_UNESCAPED_SLASHES);
$path = '/v3/alipay/trade/query';
$signed = p11signd_call('POST', '/v1/schemes/alipay-v3/sign',
    ['key' => 'alipay-app1', 'method' => 'POST', 'url' => $path, 'body' => $body]);

// Alipay's side: authString is everything before ",sign=".
$authorization = $signed['authorization'];
if (!preg_match('/^ALIPAY-SHA256withRSA (app_id=[^,]+(?:,app_cert_sn=[^,]+)?,nonce=[^,]+,timestamp=\d+),sign=(.+)$/',
    $authorization, $m)) {
    throw new RuntimeException("unexpected authorization: $authorization");
}
[, $authString, $sign] = $m;
$content = "$authString\nPOST\n$path\n$body\n";
if (openssl_verify($content, base64_decode($sign), $publicKey, OPENSSL_ALGO_SHA256) !== 1) {
    throw new RuntimeException('sign does not verify with the application public key');
}
echo "authorization: " . substr($authorization, 0, 60) . "...\n";
echo "sign verified with openssl_verify and the application public key\n";
