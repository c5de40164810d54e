<?php
// The URL_Notify handler: myPOS posts IPCPurchaseNotify (and other notifications) signed with its own
// key; the daemon checks the raw body against [peer.mypos] (the myPOS certificate). Answer "OK" only
// when the signature is valid, as myPOS expects. From the command line the body is read from stdin.
require __DIR__ . '/p11signd.php';

// The raw body exactly as posted: never re-encode $_POST (field order and '+' matter).
$body = file_get_contents(PHP_SAPI === 'cli' ? 'php://stdin' : 'php://input');
$answer = p11signd_call('POST', '/v1/schemes/mypos/verify', ['peer' => 'mypos', 'form' => $body]);
if ($answer['valid'] !== true) {
    if (PHP_SAPI !== 'cli') {
        http_response_code(400);
    }
    fwrite(STDERR, 'forged or damaged notification: ' . ($answer['reason'] ?? '') . "\n");
    exit(1);
}
parse_str($body, $notification);
// ... mark $notification['OrderID'] as paid here ...
echo "OK\n";
