// CKA_EC_PARAMS and CKA_EC_POINT in the forms tokens write them; checked against OpenSSL's keys.
#include "pkcs11/ec_params.h"

#include <gtest/gtest.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include "common/encoding.h"
#include "pkcs11/public_key.h"
#include "pkcs11/rv.h"

namespace p11signd::pkcs11 {
namespace {

TEST(EcParams, CurveOidsRoundTrip) {
  EXPECT_EQ(hex_encode(ec_params_der(KeyType::kEcP256)), "06082a8648ce3d030107");
  EXPECT_EQ(hex_encode(ec_params_der(KeyType::kEcP384)), "06052b81040022");
  EXPECT_EQ(hex_encode(ec_params_der(KeyType::kEd25519)), "06032b6570");
  EXPECT_TRUE(ec_params_der(KeyType::kRsa).empty());
  for (KeyType t : {KeyType::kEcP256, KeyType::kEcP384, KeyType::kEd25519}) {
    EXPECT_EQ(key_type_of_ec_params(ec_params_der(t)), t);
  }
  // PKCS#11 3.0 also names Ed25519 by the PrintableString "edwards25519".
  EXPECT_EQ(key_type_of_ec_params(*hex_decode("130c656477617264733235353139")), KeyType::kEd25519);
  EXPECT_FALSE(key_type_of_ec_params(*hex_decode("06052b81040023")));          // secp521r1
  EXPECT_FALSE(key_type_of_ec_params(*hex_decode("06082a8648ce3d03010700")));  // trailing byte
}

TEST(EcParams, PointIsReadWrappedOrBareAndBuildsTheSameKey) {
  EVP_PKEY* generated = EVP_EC_gen("P-256");
  ASSERT_NE(generated, nullptr);
  Bytes point(65);
  std::size_t len = 0;
  ASSERT_EQ(EVP_PKEY_get_octet_string_param(generated, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
                                            point.data(), point.size(), &len),
            1);
  const Bytes wrapped = wrap_ec_point(point);
  EXPECT_EQ(wrapped.size(), 67u);
  EXPECT_EQ(unwrap_ec_point(KeyType::kEcP256, wrapped), point);
  EXPECT_EQ(unwrap_ec_point(KeyType::kEcP256, point), point);
  EXPECT_FALSE(unwrap_ec_point(KeyType::kEcP384, wrapped)) << "a P-256 point is not a P-384 one";
  Bytes truncated(wrapped.begin(), wrapped.end() - 1);
  EXPECT_FALSE(unwrap_ec_point(KeyType::kEcP256, truncated));
  EXPECT_EQ(spki_der(ec_public_key(KeyType::kEcP256, point).get()), spki_der(generated));
  EVP_PKEY_free(generated);
  Bytes off_curve = point;
  off_curve[64] ^= 1;
  EXPECT_THROW(ec_public_key(KeyType::kEcP256, off_curve), Error);
}

}  // namespace
}  // namespace p11signd::pkcs11
