#pragma once
// Owning pointers to OpenSSL objects, one alias per type, each freed by that type's own *_free:
// the one vocabulary every library and test uses, so no file declares its own deleter.

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/params.h>
#include <openssl/x509.h>

#include <memory>

namespace p11signd {

// Free is the object's *_free function; a stateless deleter, so the pointer stays one word.
template <auto Free>
struct OpensslFree {
  template <typename T>
  void operator()(T* p) const {
    Free(p);
  }
};

template <typename T, auto Free>
using OpensslPtr = std::unique_ptr<T, OpensslFree<Free>>;

using EvpPkeyPtr = OpensslPtr<EVP_PKEY, EVP_PKEY_free>;
using EvpPkeyCtxPtr = OpensslPtr<EVP_PKEY_CTX, EVP_PKEY_CTX_free>;
using EvpMdCtxPtr = OpensslPtr<EVP_MD_CTX, EVP_MD_CTX_free>;
using BioPtr = OpensslPtr<BIO, BIO_free>;
using BignumPtr = OpensslPtr<BIGNUM, BN_free>;
using EcdsaSigPtr = OpensslPtr<ECDSA_SIG, ECDSA_SIG_free>;
using OsslParamBldPtr = OpensslPtr<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free>;
using OsslParamPtr = OpensslPtr<OSSL_PARAM, OSSL_PARAM_free>;
using X509Ptr = OpensslPtr<X509, X509_free>;
using X509ReqPtr = OpensslPtr<X509_REQ, X509_REQ_free>;
using X509NamePtr = OpensslPtr<X509_NAME, X509_NAME_free>;
using X509AlgorPtr = OpensslPtr<X509_ALGOR, X509_ALGOR_free>;
using Asn1ObjectPtr = OpensslPtr<ASN1_OBJECT, ASN1_OBJECT_free>;
using Asn1OctetStringPtr = OpensslPtr<ASN1_OCTET_STRING, ASN1_OCTET_STRING_free>;
using Asn1PrintableStringPtr = OpensslPtr<ASN1_PRINTABLESTRING, ASN1_PRINTABLESTRING_free>;
using Asn1BitStringPtr = OpensslPtr<ASN1_BIT_STRING, ASN1_BIT_STRING_free>;

}  // namespace p11signd
