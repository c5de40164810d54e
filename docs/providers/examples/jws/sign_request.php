<?php
// Signs a JSON payload as a JWS (RFC 7515 compact, RS256) with the key "jws-store1" inside the HSM,
// through p11signd, and checks it the way the receiving API does: openssl_verify over
// "header.payload" with the PEM public key that was registered there.
// usage: php sign_request.php PUBLIC_KEY.pem
require __DIR__ . '/p11signd.php';

function base64url_decode(string $text): string
{
    return base64_decode(strtr($text, '-_', '+/'), true);
}

$public_key = file_get_contents($argv[1] ?? 'jws-store1.pem');

// The claims the API asks for; the daemon serialises the object once and signs that exact text.
$payload = [
    'iss' => 'shop.example',
    'aud' => 'https://api.partner.example',
    'iat' => time(),
    'jti' => bin2hex(random_bytes(8)),
    'order' => ['id' => 'order-42', 'amount' => '23.45', 'currency' => 'EUR'],
];
$answer = p11signd_call('POST', '/v1/schemes/jws/sign', [
    'key' => 'jws-store1',
    'alg' => 'RS256',
    'header' => ['typ' => 'JWT'],
    'payload' => $payload,
]);
$jws = $answer['jws'];

[$header_b64, $payload_b64, $signature_b64] = explode('.', $jws);
$header = json_decode(base64url_decode($header_b64), true);
if ($header['alg'] !== 'RS256') {
    fwrite(STDERR, "unexpected header: " . base64url_decode($header_b64) . "\n");
    exit(1);
}
$ok = openssl_verify("$header_b64.$payload_b64", base64url_decode($signature_b64), $public_key,
    OPENSSL_ALGO_SHA256);
if ($ok !== 1) {
    fwrite(STDERR, "the JWS does NOT verify with the registered public key\n");
    exit(1);
}
fwrite(STDERR, "header: " . base64url_decode($header_b64) . "\n");
fwrite(STDERR, "RS256 verified with openssl_verify and the registered public key\n");
echo $jws, "\n";
