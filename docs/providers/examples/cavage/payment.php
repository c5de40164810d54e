<?php
// Signs a NextGenPSD2 payment initiation (POST /v1/payments/sepa-credit-transfers) through p11signd
// and checks the result the way the bank does: the Digest against the body, then the signature over
// the signing string with the public key of the QSeal certificate sent in TPP-Signature-Certificate
// (PHP's openssl_verify), and the keyId against that certificate's serial and issuer.
// usage: php payment.php   (P11SIGN_SOCKET names the daemon's socket; the key is "bank-tpp")

require __DIR__ . '/p11signd.php';

$body = json_encode([
    'instructedAmount' => ['currency' => 'EUR', 'amount' => '123.50'],
    'debtorAccount' => ['iban' => 'DE40100100103307118608'],
    'creditorName' => 'Merchant123',
    'creditorAccount' => ['iban' => 'DE02100100109307118603'],
    'remittanceInformationUnstructured' => 'Ref Number Merchant',
], JSON_UNESCAPED_SLASHES);
$request = [
    'method' => 'POST',
    'url' => 'https://api.bank.example/v1/payments/sepa-credit-transfers',
    'headers' => ['PSU-ID' => 'PSU-1234', 'PSU-IP-Address' => '192.168.8.78', 'Content-Type' => 'application/json'],
    'body' => $body,
];
$signed = p11signd_call('POST', '/v1/schemes/cavage/sign', ['key' => 'bank-tpp'] + $request);
$headers = $signed['headers'];  // Digest, X-Request-ID, Date, Signature, TPP-Signature-Certificate

// The bank's side. Digest first: the body as sent.
$digest = 'SHA-256=' . base64_encode(hash('sha256', $body, true));
if ($headers['Digest'] !== $digest) {
    throw new RuntimeException("Digest {$headers['Digest']} is not $digest");
}
// The certificate comes with the request; the bank takes the key from it.
$pem = "-----BEGIN CERTIFICATE-----\n" . chunk_split($headers['TPP-Signature-Certificate'], 64, "\n")
    . "-----END CERTIFICATE-----\n";
$certificate = openssl_x509_read($pem);
preg_match('/^keyId="([^"]*)",algorithm="rsa-sha256",headers="([^"]*)",signature="([^"]*)"$/',
    $headers['Signature'], $m) or throw new RuntimeException('unexpected Signature header');
[, $keyId, $covered, $signature] = $m;
// The signing string, rebuilt from the headers as the bank receives them.
$all = array_change_key_case($request['headers'] + $headers, CASE_LOWER);
$url = parse_url($request['url']);
$all['(request-target)'] = strtolower($request['method']) . ' ' . $url['path']
    . (isset($url['query']) ? '?' . $url['query'] : '');
$lines = array_map(fn($name) => "$name: " . trim($all[$name]), explode(' ', $covered));
$ok = openssl_verify(implode("\n", $lines), base64_decode($signature), openssl_pkey_get_public($certificate),
    OPENSSL_ALGO_SHA256);
if ($ok !== 1) {
    throw new RuntimeException('the signature does not verify with the certificate\'s key');
}
$info = openssl_x509_parse($certificate);
$serial = ltrim($info['serialNumberHex'], '0');
if (!str_starts_with($keyId, "SN=$serial,CA=")) {
    throw new RuntimeException("keyId $keyId does not name serial $serial");
}
echo "covered: $covered\n";
echo "keyId: $keyId\n";
echo "signature verified with openssl_verify and the TPP-Signature-Certificate key\n";
echo "X-Request-ID: {$headers['X-Request-ID']}\n";
