<?php
// The notify_url handler: WeChat Pay posts the payment result signed with its platform key, in the
// Wechatpay-Timestamp, Wechatpay-Nonce and Wechatpay-Signature headers; the daemon checks them and the
// raw body against [peer.wechatpay] (the platform certificate), and refuses a timestamp more than 5
// minutes off. Answer 204 only when the signature is valid. From the command line the headers and
// body are read as JSON from stdin: {"headers": {...}, "body": "..."}.
require __DIR__ . '/p11signd.php';

if (PHP_SAPI === 'cli') {
    $received = json_decode(file_get_contents('php://stdin'), true, 512, JSON_THROW_ON_ERROR);
    $headers = $received['headers'];
    $body = $received['body'];
} else {
    $headers = getallheaders();
    $body = file_get_contents('php://input');  // the raw body exactly as posted
}
$wechatpay_headers = array_filter($headers, fn($name) => stripos($name, 'wechatpay-') === 0, ARRAY_FILTER_USE_KEY);
$answer = p11signd_call('POST', '/v1/schemes/wechatpay/verify',
    ['peer' => 'wechatpay', 'headers' => $wechatpay_headers, 'body' => $body]);
if ($answer['valid'] !== true) {
    if (PHP_SAPI !== 'cli') {
        http_response_code(401);
        header('Content-Type: application/json');
        echo json_encode(['code' => 'FAIL', 'message' => 'signature']);
    }
    fwrite(STDERR, 'forged, stale or damaged notification: ' . ($answer['reason'] ?? '') . "\n");
    exit(1);
}
// ... decrypt $body's resource with the APIv3 key (AES-256-GCM), check the order, mark it paid ...
if (PHP_SAPI !== 'cli') {
    http_response_code(204);
}
echo "signature valid: " . json_decode($body, true)['event_type'] . "\n";
