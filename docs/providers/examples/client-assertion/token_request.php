<?php
// Authenticates to an OAuth authorization server with private_key_jwt (RFC 7523, OpenID Connect Core
// 9): p11signd signs the client assertion with the key "oauth-client" inside the HSM (scheme
// client-assertion), and this checks it the way the server does - RS256 with openssl_verify and the
// PEM public key registered for the client, iss = sub = the client id, aud = the token endpoint,
// exp in the future and at most 5 minutes away, a jti - then prints the token request's form body.
// usage: php token_request.php PUBLIC_KEY.pem TOKEN_ENDPOINT > token-request.form
require __DIR__ . '/p11signd.php';

function base64url_decode(string $text): string
{
    return base64_decode(strtr($text, '-_', '+/'), true);
}

function fail(string $message): void
{
    fwrite(STDERR, $message . "\n");
    exit(1);
}

$public_key = file_get_contents($argv[1] ?? 'oauth-client.pem');
$token_endpoint = $argv[2] ?? 'https://as.example/token';

// aud may be left to the key's client-assertion.audience; it is given here to show the field.
$answer = p11signd_call('POST', '/v1/schemes/client-assertion/sign', [
    'key' => 'oauth-client',
    'aud' => $token_endpoint,
]);
$assertion = $answer['client_assertion'];

[$header_b64, $claims_b64, $signature_b64] = explode('.', $assertion);
$header = json_decode(base64url_decode($header_b64), true);
$claims = json_decode(base64url_decode($claims_b64), true);
if ($header['alg'] !== 'RS256') {
    fail('unexpected header: ' . base64url_decode($header_b64));
}
if (openssl_verify("$header_b64.$claims_b64", base64url_decode($signature_b64), $public_key,
        OPENSSL_ALGO_SHA256) !== 1) {
    fail('the client assertion does NOT verify with the registered public key');
}
$now = time();
if ($claims['iss'] !== $claims['sub'] || $claims['aud'] !== $token_endpoint || empty($claims['jti'])
    || $claims['exp'] <= $now || $claims['exp'] > $now + 300) {
    fail('the claims are not a client assertion for ' . $token_endpoint . ': ' . json_encode($claims));
}
fwrite(STDERR, "claims: " . json_encode($claims, JSON_UNESCAPED_SLASHES) . "\n");
fwrite(STDERR, "client assertion verified with openssl_verify and the registered public key\n");

// The token request: the daemon's form fields beside the grant's own.
echo http_build_query(['grant_type' => 'client_credentials', 'scope' => 'accounts'] + $answer['form']), "\n";
