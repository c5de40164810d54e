<?php
// A minimal p11signd client for PHP: JSON over the daemon's Unix socket with PHP's curl
// (CURLOPT_UNIX_SOCKET_PATH). No key material in the application.

function p11signd_socket(): string
{
    return getenv('P11SIGN_SOCKET') ?: '/run/p11signd/p11signd.sock';
}

// Calls one route; returns the decoded JSON answer, or throws with the daemon's own error message.
function p11signd_call(string $method, string $path, ?array $body = null): array
{
    $curl = curl_init('http://localhost' . $path);
    curl_setopt_array($curl, [
        CURLOPT_UNIX_SOCKET_PATH => p11signd_socket(),
        CURLOPT_CUSTOMREQUEST => $method,
        CURLOPT_RETURNTRANSFER => true,
        CURLOPT_TIMEOUT => 10,
        CURLOPT_HTTPHEADER => ['Content-Type: application/json'],
    ]);
    if ($body !== null) {
        curl_setopt($curl, CURLOPT_POSTFIELDS, json_encode($body, JSON_UNESCAPED_SLASHES | JSON_THROW_ON_ERROR));
    }
    $text = curl_exec($curl);
    if ($text === false) {
        // curl names localhost:80 even when it tried the socket: say which socket, and how to pick another.
        throw new RuntimeException('cannot reach p11signd at ' . p11signd_socket() . ' (' . curl_error($curl)
            . '); set P11SIGN_SOCKET to the daemon\'s socket, e.g. .p11signd-dev/p11signd.sock for scripts/dev');
    }
    $status = curl_getinfo($curl, CURLINFO_RESPONSE_CODE);
    $answer = json_decode($text, true);
    if ($status !== 200) {
        $message = $answer['error']['message'] ?? $text;
        throw new RuntimeException("p11signd answered $status: $message");
    }
    return $answer;
}
