<?php
// Signs a WeChat Pay API v3 request (a Native order: POST /v3/pay/transactions/native) with the key
// "wechatpay-mch1" inside the HSM, through p11signd, and checks the Authorization header the way
// WeChat Pay does: openssl_verify (SHA256withRSA) over "METHOD\nURL\ntimestamp\nnonce\nbody\n" with
// the public key of the merchant API certificate.
// usage: php native_order.php MERCHANT_PUBLIC_KEY.pem
require __DIR__ . '/p11signd.php';

$public_key = file_get_contents($argv[1] ?? 'wechatpay-mch1.pem');

// The body is text: the signature covers these exact bytes, so send them unchanged.
$url = '/v3/pay/transactions/native';
$body = json_encode([
    'appid' => 'wxd678efh567hg6787',
    'mchid' => '1900000001',
    'description' => 'Mug - p11signd edition',
    'out_trade_no' => 'order-' . time(),
    'notify_url' => 'https://shop.example/wechatpay-notify',
    'amount' => ['total' => 2345, 'currency' => 'CNY'],
], JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_THROW_ON_ERROR);
$answer = p11signd_call('POST', '/v1/schemes/wechatpay/sign', [
    'key' => 'wechatpay-mch1',
    'method' => 'POST',
    'url' => $url,
    'body' => $body,
]);

// Authorization: WECHATPAY2-SHA256-RSA2048 mchid="...",nonce_str="...",timestamp="...",serial_no="...",signature="..."
$authorization = $answer['authorization'];
if (!preg_match_all('/(\w+)="([^"]*)"/', $authorization, $m)) {
    fwrite(STDERR, "unexpected Authorization: $authorization\n");
    exit(1);
}
$fields = array_combine($m[1], $m[2]);
$message = "POST\n$url\n{$fields['timestamp']}\n{$fields['nonce_str']}\n$body\n";
$ok = openssl_verify($message, base64_decode($fields['signature']), $public_key, OPENSSL_ALGO_SHA256);
if ($ok !== 1) {
    fwrite(STDERR, "the signature does NOT verify with the merchant public key\n");
    exit(1);
}
echo "Authorization fields: " . implode(',', array_keys($fields)) . "\n";
echo "signature verified with openssl_verify and the merchant public key\n";
// Send: POST https://api.mch.weixin.qq.com/v3/pay/transactions/native with this header and $body.
echo "Authorization: " . substr($authorization, 0, 60) . "...\n";
