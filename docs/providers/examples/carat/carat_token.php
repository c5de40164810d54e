<?php
// Gets a signed Carat Portal JWT (RS256) from p11signd and checks it with openssl_verify and the PEM
// .pub sent to Carat. Prints the JWT on standard output.
// usage: php carat_token.php CARAT_PUB_PEM [SERVICE]
require __DIR__ . '/p11signd.php';

function base64url_decode(string $text): string
{
    return base64_decode(strtr($text, '-_', '+/'), true);
}

$public_key = file_get_contents($argv[1] ?? 'carat-store1.pub');
$service = $argv[2] ?? 'transaction';
// merchant_id, merchant_key (from the key's settings) and the millisecond timestamp are added by the
// daemon; `service` makes it check the claims Carat requires for that call.
$answer = p11signd_call('POST', '/v1/schemes/carat/sign', [
    'key' => 'carat-store1',
    'service' => $service,
    'claims' => ['order_id' => 'PED-2026-0043', 'amount' => '59.90', 'installments' => '1'],
]);
[$header, $payload, $signature] = explode('.', $answer['jwt']);
if (json_decode(base64url_decode($header), true) !== ['alg' => 'RS256', 'typ' => 'JWT']) {
    fwrite(STDERR, 'unexpected header: ' . base64url_decode($header) . "\n");
    exit(1);
}
if (openssl_verify("$header.$payload", base64url_decode($signature), $public_key, OPENSSL_ALGO_SHA256) !== 1) {
    fwrite(STDERR, "the JWT does NOT verify with the .pub sent to Carat\n");
    exit(1);
}
fwrite(STDERR, 'claims: ' . implode(', ', array_keys(json_decode(base64url_decode($payload), true))) . "\n");
fwrite(STDERR, "RS256 verified with openssl_verify and the .pub sent to Carat\n");
echo $answer['jwt'], "\n";
