#pragma once
// The one place the PKCS#11 (Cryptoki 2.40) types come from: p11-kit's header, with the standard
// names.
#include <p11-kit/pkcs11.h>
