<?php
// Signs a myPOS Checkout IPCPurchase with the key "mypos-store1" inside the HSM, through p11signd, and
// checks the signature the way myPOS does: openssl_verify over the base64 of the dash-joined values,
// with the store certificate that was uploaded to myPOS.
// usage: php purchase.php STORE_CERTIFICATE.pem
require __DIR__ . '/p11signd.php';

$certificate = file_get_contents($argv[1] ?? 'mypos-store1.crt');

// The fields in the order myPOS documents them. SID, WalletNumber and KeyIndex are not sent: the
// daemon fills them from the key's settings. Values are strings, exactly as they will be posted.
$fields = [
    ['IPCmethod', 'IPCPurchase'],
    ['IPCVersion', '1.4'],
    ['IPCLanguage', 'EN'],
    ['Amount', '23.45'],
    ['Currency', 'EUR'],
    ['OrderID', 'order-' . time()],
    ['URL_OK', 'https://shop.example/ok'],
    ['URL_Cancel', 'https://shop.example/cancel'],
    ['URL_Notify', 'https://shop.example/mypos-notify'],
    ['CardTokenRequest', '0'],
    ['PaymentParametersRequired', '3'],
    ['CartItems', '1'],
    ['Article_1', 'Mug - "p11signd" edition'],
    ['Quantity_1', '1'],
    ['Price_1', '23.45'],
    ['Amount_1', '23.45'],
    ['Currency_1', 'EUR'],
];
$answer = p11signd_call('POST', '/v1/schemes/mypos/sign', ['key' => 'mypos-store1', 'fields' => $fields]);

// $answer['form'] is the body to POST to https://www.mypos.com/vmp/checkout-test (or /vmp/checkout):
// print it into an auto-submitting HTML form, or send it with curl. Here it is checked instead.
parse_str($answer['form'], $posted);
$signature = $posted['Signature'];
unset($posted['Signature']);
$signed_text = base64_encode(implode('-', $posted));
$ok = openssl_verify($signed_text, base64_decode($signature), $certificate, OPENSSL_ALGO_SHA256);
if ($ok !== 1) {
    fwrite(STDERR, "signature does NOT verify with the store certificate\n");
    exit(1);
}
echo "fields signed: " . implode(',', array_keys($posted)) . "\n";
echo "signature verified with openssl_verify and the store certificate\n";
echo "form to post: " . substr($answer['form'], 0, 60) . "...\n";
