#pragma once
// The signature operation itself on one session: mechanism choice and the C_SignInit/C_Sign pair.
// No recovery here (signer.h does that), no locks.

#include "common/bytes.h"
#include "common/sign_alg.h"
#include "pkcs11/cryptoki.h"
#include "pkcs11/key_registry.h"
#include "pkcs11/mechanisms.h"
#include "pkcs11/module.h"

namespace p11signd::pkcs11 {

// Signs data (the whole message; hashing happens on the token when it offers the combined
// mechanism and the key allows it, otherwise here; ECDSA always hashes here, Ed25519 never hashes).
// An ECDSA signature is r||s or DER as request.ecdsa_encoding says. Throws Error; kBadInput for an
// algorithm the key's type cannot make (naming both), a salt length other than 20 or 32 (64 for
// RSA-PSS-SHA512), or an algorithm the token lacks or the key does not allow.
Bytes sign_message(const Module& module, CK_SESSION_HANDLE session, const ResolvedKey& key,
                   const Mechanisms& mechanisms, const SignRequest& request, ByteView data);

// RSASSA-PKCS1-v1_5 over an already DER-encoded DigestInfo, with CKM_RSA_PKCS (for OpenSSL-driven
// certificate and CSR signing, which hands over a digest, not the message).
Bytes sign_digest_info(const Module& module, CK_SESSION_HANDLE session, const ResolvedKey& key,
                       ByteView digest_info);

// DER DigestInfo for a SHA-256 digest (RFC 8017 section 9.2, note 1).
Bytes sha256_digest_info(ByteView digest);

}  // namespace p11signd::pkcs11
