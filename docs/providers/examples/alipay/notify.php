<?php
// The notify_url handler: Alipay posts the asynchronous notification (trade_status_sync), signed with
// the Alipay public key's private half; the daemon checks the raw body against [peer.alipay] the way
// Alipay's SDK does (rsaCheckV1: sign and sign_type left out). Answer "success" only when the signature
// is valid, as Alipay expects; anything else makes it post again later. From the command line the
// body is read from stdin.
require __DIR__ . '/p11signd.php';

// The raw body exactly as posted: never rebuild it from $_POST.
$body = file_get_contents(PHP_SAPI === 'cli' ? 'php://stdin' : 'php://input');
$answer = p11signd_call('POST', '/v1/schemes/alipay/verify', ['peer' => 'alipay', 'form' => $body]);
if ($answer['valid'] !== true) {
    if (PHP_SAPI !== 'cli') {
        http_response_code(400);
    }
    fwrite(STDERR, 'forged or damaged notification: ' . ($answer['reason'] ?? '') . "\n");
    exit(1);
}
parse_str($body, $notification);
// ... check app_id, out_trade_no and total_amount against the order, then mark it paid when
// trade_status is TRADE_SUCCESS or TRADE_FINISHED ...
echo "success\n";
