<?php
// Signs an Alipay alipay.trade.page.pay request (RSA2) with the key "alipay-app1" inside the HSM,
// through p11signd, and checks the signature the way Alipay does: openssl_verify (SHA256withRSA) over
// the parameters sorted by name, empty ones and sign left out, joined as k=v with '&' and not
// URL-encoded, with the application public key uploaded to Alipay.
// usage: php page_pay.php APP_PUBLIC_KEY.b64
require __DIR__ . '/p11signd.php';

// The key as Alipay shows and takes it: one line of base64 SubjectPublicKeyInfo.
function public_key_from_base64(string $line): string
{
    return "-----BEGIN PUBLIC KEY-----\n" . chunk_split(trim($line), 64, "\n") . "-----END PUBLIC KEY-----\n";
}

$public_key = public_key_from_base64(file_get_contents($argv[1] ?? 'alipay-app1.b64'));

// app_id, sign_type (RSA2) and charset (utf-8) are added by the daemon from the key's settings.
// biz_content is an object: the daemon serialises it once and returns that exact text.
$params = [
    'method' => 'alipay.trade.page.pay',
    'format' => 'JSON',
    'timestamp' => date('Y-m-d H:i:s'),
    'version' => '1.0',
    'notify_url' => 'https://shop.example/alipay-notify',
    'return_url' => 'https://shop.example/alipay-return',
    'biz_content' => [
        'out_trade_no' => 'order-' . time(),
        'total_amount' => '23.45',
        'subject' => 'Mug - p11signd edition',
        'product_code' => 'FAST_INSTANT_TRADE_PAY',
    ],
];
$answer = p11signd_call('POST', '/v1/schemes/alipay/sign', ['key' => 'alipay-app1', 'params' => $params]);

// What Alipay checks: every parameter but sign, sorted, non-empty, k=v joined by '&'.
$signed = $answer['params'];
unset($signed['sign']);
$signed = array_filter($signed, fn($v) => trim((string) $v) !== '');
ksort($signed, SORT_STRING);
$text = implode('&', array_map(fn($k, $v) => "$k=$v", array_keys($signed), $signed));
$ok = openssl_verify($text, base64_decode($answer['sign']), $public_key, OPENSSL_ALGO_SHA256);
if ($ok !== 1) {
    fwrite(STDERR, "sign does NOT verify with the application public key\n");
    exit(1);
}
echo "parameters signed: " . implode(',', array_keys($signed)) . "\n";
echo "sign verified with openssl_verify and the application public key\n";
// Redirect the customer (or post an auto-submitting form) to the gateway with the signed parameters.
echo "redirect to: https://openapi-sandbox.dl.alipaydev.com/gateway.do?" . substr($answer['form'], 0, 40) . "...\n";
