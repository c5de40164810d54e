<?php
// Signs an Amazon Pay API v2 "create checkout session" request through p11signd and checks the
// signature with PHP's own OpenSSL and the PEM public key uploaded to Amazon Pay: RSASSA-PSS with
// SHA-256, MGF1-SHA256 and a 32-byte salt. PHP's openssl_verify has no PSS, so the PSS encoding is
// checked here (RFC 8017 9.1.2) after OpenSSL's RSA public operation.
// usage: php checkout_session.php PUBLIC_KEY.pem
require __DIR__ . '/p11signd.php';

function mgf1_sha256(string $seed, int $length): string
{
    $mask = '';
    for ($counter = 0; strlen($mask) < $length; $counter++) {
        $mask .= hash('sha256', $seed . pack('N', $counter), true);
    }
    return substr($mask, 0, $length);
}

// EMSA-PSS-VERIFY with SHA-256 and MGF1-SHA256 (RFC 8017 9.1.2).
function pss_sha256_verifies(string $message, string $signature, string $public_key_pem, int $salt_length): bool
{
    $key = openssl_pkey_get_public($public_key_pem);
    $em_bits = openssl_pkey_get_details($key)['bits'] - 1;
    $em_length = intdiv($em_bits + 7, 8);
    // The RSA public operation alone; what is left is the encoded message EM.
    if (!openssl_public_decrypt($signature, $em, $key, OPENSSL_NO_PADDING)) {
        return false;
    }
    if (strlen($em) > $em_length) {
        if (ltrim(substr($em, 0, strlen($em) - $em_length), "\0") !== '') {
            return false;
        }
        $em = substr($em, -$em_length);
    }
    $hash_length = 32;
    if ($em_length < $hash_length + $salt_length + 2 || substr($em, -1) !== "\xbc") {
        return false;
    }
    $db_length = $em_length - $hash_length - 1;
    $masked_db = substr($em, 0, $db_length);
    $h = substr($em, $db_length, $hash_length);
    $top_mask = chr(0xff >> (8 * $em_length - $em_bits));
    if (($masked_db[0] & ~$top_mask) !== "\0") {
        return false;
    }
    $db = $masked_db ^ mgf1_sha256($h, $db_length);
    $db[0] = $db[0] & $top_mask;
    $padding_length = $db_length - $salt_length - 1;
    if (ltrim(substr($db, 0, $padding_length), "\0") !== '' || $db[$padding_length] !== "\x01") {
        return false;
    }
    $salt = substr($db, -$salt_length);
    $m_prime = str_repeat("\0", 8) . hash('sha256', $message, true) . $salt;
    return hash_equals($h, hash('sha256', $m_prime, true));
}

$public_key = file_get_contents($argv[1] ?? 'amazonpay-public-key.pem');

// The daemon adds x-amz-pay-date/host/region, accept, content-type and authorization; send the
// headers and the body exactly as returned (the body object is serialised once, by the daemon).
$signed = p11signd_call('POST', '/v1/schemes/amazonpay/sign', [
    'key' => 'amazonpay-store1',
    'method' => 'POST',
    'url' => 'https://pay-api.amazon.eu/sandbox/v2/checkoutSessions',
    'headers' => ['x-amz-pay-idempotency-key' => bin2hex(random_bytes(16))],
    'body' => [
        'webCheckoutDetails' => ['checkoutReviewReturnUrl' => 'https://shop.example/review'],
        'storeId' => 'amzn1.application-oa2-client.0123456789abcdef',
    ],
]);
$headers = $signed['headers'];
if (!preg_match('/^(\S+) PublicKeyId=([^,]+), SignedHeaders=([^,]+), Signature=(\S+)$/', $headers['authorization'], $auth)) {
    fwrite(STDERR, "unexpected authorization header: {$headers['authorization']}\n");
    exit(1);
}
[, $algorithm, , , $signature] = $auth;
// What was signed is in the answer: the canonical request ends with the body's hash.
$canonical = explode("\n", $signed['canonical_request']);
if (end($canonical) !== hash('sha256', $signed['body'])) {
    fwrite(STDERR, "payload hash differs from the body\n");
    exit(1);
}
if ($signed['string_to_sign'] !== $algorithm . "\n" . hash('sha256', $signed['canonical_request'])) {
    fwrite(STDERR, "string to sign is not the algorithm and the canonical request's hash\n");
    exit(1);
}
if (!pss_sha256_verifies($signed['string_to_sign'], base64_decode($signature), $public_key, 32)) {
    fwrite(STDERR, "request signature does NOT verify\n");
    exit(1);
}
echo "POST with headers: " . implode(', ', array_keys($headers)) . "\n";
echo "request signature ($algorithm) verified with PHP's OpenSSL, PSS salt 32\n";
