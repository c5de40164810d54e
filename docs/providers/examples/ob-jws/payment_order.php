<?php
// Signs a UK Open Banking payment-order body through p11signd (scheme ob-jws, key "ob-signing") and
// checks the x-jws-signature it gets the way the bank does: the detached JWS's protected header
// names its Open Banking claims in crit, and the PS256 signature (RSASSA-PSS, SHA-256, MGF1-SHA256,
// salt 32) covers BASE64URL(header) "." BASE64URL(body) - v3.1.4 and later - or, for a key set to
// v3.1.3, BASE64URL(header) "." body itself (RFC 7797, b64:false). PHP's openssl_verify has no PSS,
// so the PSS encoding is checked here (RFC 8017 9.1.2) after OpenSSL's RSA public operation.
// usage: php payment_order.php PUBLIC_KEY.pem > x-jws-signature.txt
require __DIR__ . '/p11signd.php';

function base64url_encode(string $bytes): string
{
    return rtrim(strtr(base64_encode($bytes), '+/', '-_'), '=');
}

function base64url_decode(string $text): string
{
    return base64_decode(strtr($text, '-_', '+/'), true);
}

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

$public_key = file_get_contents($argv[1] ?? 'ob-signing.pem');

// The body exactly as it goes on the wire: the signature covers these bytes, so send this string.
$body = json_encode([
    'Data' => [
        'ConsentId' => 'PDC_8ab3a0b4',
        'Initiation' => [
            'InstructionIdentification' => 'ACME412',
            'EndToEndIdentification' => 'FRESCO.21302.GFX.20',
            'InstructedAmount' => ['Amount' => '165.88', 'Currency' => 'GBP'],
            'CreditorAccount' => ['SchemeName' => 'UK.OBIE.SortCodeAccountNumber',
                'Identification' => '08080021325698', 'Name' => 'ACME Inc'],
        ],
    ],
    'Risk' => (object) [],
], JSON_UNESCAPED_SLASHES | JSON_THROW_ON_ERROR);

$answer = p11signd_call('POST', '/v1/schemes/ob-jws/sign', ['key' => 'ob-signing', 'body' => $body]);
$jws = $answer['x-jws-signature'];

[$header_b64, $empty, $signature_b64] = explode('.', $jws);
$header = json_decode(base64url_decode($header_b64), true);
$ob = 'http://openbanking.org.uk/';
$crit = $header['crit'] ?? [];
foreach (["{$ob}iat", "{$ob}iss", "{$ob}tan"] as $claim) {
    if (!isset($header[$claim]) || !in_array($claim, $crit, true)) {
        fwrite(STDERR, "$claim is missing from the header or its crit\n");
        exit(1);
    }
}
if ($empty !== '' || $header['alg'] !== 'PS256' || abs($header["{$ob}iat"] - time()) > 60) {
    fwrite(STDERR, "not a fresh detached PS256 JWS: " . base64url_decode($header_b64) . "\n");
    exit(1);
}
$unencoded = ($header['b64'] ?? true) === false;
$signing_input = $header_b64 . '.' . ($unencoded ? $body : base64url_encode($body));
if (!pss_sha256_verifies($signing_input, base64url_decode($signature_b64), $public_key, 32)) {
    fwrite(STDERR, "the x-jws-signature does NOT verify with the registered public key\n");
    exit(1);
}
fwrite(STDERR, "header: " . base64url_decode($header_b64) . "\n");
fwrite(STDERR, "x-jws-signature verified with PHP's OpenSSL (PS256) over the body as sent\n");
echo $jws, "\n";
