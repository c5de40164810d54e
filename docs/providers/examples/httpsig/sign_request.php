<?php
// Signs an API request with HTTP Message Signatures (RFC 9421) through p11signd, with the key
// "api-client1" inside the HSM, and checks it the way the receiving API does: it rebuilds the
// signature base from the request it would receive, checks Content-Digest (RFC 9530) against the
// body, and verifies the signature with openssl_verify and the PEM public key registered there.
// usage: php sign_request.php PUBLIC_KEY.pem > request.json
require __DIR__ . '/p11signd.php';

$public_key = file_get_contents($argv[1] ?? 'api-client1.pem');

$method = 'POST';
$uri = 'https://api.partner.example/v1/payments?idempotency=order-42';
$body = json_encode(['order' => 'order-42', 'amount' => '23.45', 'currency' => 'EUR'], JSON_THROW_ON_ERROR);
$headers = ['Content-Type' => 'application/json'];

// The key's settings choose the covered components, the algorithm and the keyid.
$answer = p11signd_call('POST', '/v1/schemes/httpsig/sign', [
    'key' => 'api-client1',
    'method' => $method,
    'target_uri' => $uri,
    'headers' => $headers,
    'body' => $body,
]);
$headers += $answer['headers'];   // Content-Digest, Signature-Input, Signature: send them as they are

// --- what the API does with the request it receives ---
// Content-Digest must be the body's.
$digest = 'sha-256=:' . base64_encode(hash('sha256', $body, true)) . ':';
if ($headers['Content-Digest'] !== $digest) {
    fwrite(STDERR, "Content-Digest does not match the body\n");
    exit(1);
}
// The signature base (RFC 9421 section 2.5) of the components Signature-Input names.
if (!preg_match('/^sig1=\(([^)]*)\)(.*)$/', $headers['Signature-Input'], $m)) {
    fwrite(STDERR, "unexpected Signature-Input: {$headers['Signature-Input']}\n");
    exit(1);
}
$url = parse_url($uri);
$values = [
    '@method' => $method,
    '@authority' => strtolower($url['host']),
    '@path' => $url['path'],
    '@query' => '?' . ($url['query'] ?? ''),
    'content-type' => $headers['Content-Type'],
    'content-digest' => $headers['Content-Digest'],
];
$base = '';
foreach (explode(' ', $m[1]) as $component) {
    $name = trim($component, '"');
    if (!isset($values[$name])) {
        fwrite(STDERR, "this check does not know the component $name\n");
        exit(1);
    }
    $base .= "\"$name\": {$values[$name]}\n";
}
$base .= '"@signature-params": ' . substr($headers['Signature-Input'], strlen('sig1='));
$signature = base64_decode(substr($headers['Signature'], strlen('sig1=:'), -1), true);
if (openssl_verify($base, $signature, $public_key, OPENSSL_ALGO_SHA256) !== 1) {
    fwrite(STDERR, "the signature does NOT verify with the registered public key\n");
    exit(1);
}
fwrite(STDERR, "Signature-Input: {$headers['Signature-Input']}\n");
fwrite(STDERR, "rsa-v1_5-sha256 verified with openssl_verify over the rebuilt signature base\n");
echo json_encode(['method' => $method, 'target_uri' => $uri, 'headers' => $headers, 'body' => $body],
    JSON_UNESCAPED_SLASHES | JSON_PRETTY_PRINT), "\n";
