// In-process signatures per second, the ceiling the daemon is measured against: one
// pkcs11::Signer (its own session) per benchmark thread, at 1, 2, 4 and 8 threads, beside OpenSSL
// signing in memory with the same key size.
//
// By default it makes a throwaway SoftHSM token with RSA 2048/3072/4096, ECDSA P-256 and Ed25519
// keys. Given
//   --module=PATH --uri=PKCS11_URI --pin-file=FILE --key=LABEL [--ec-key=LABEL]
//   [--ed25519-key=LABEL]
// it signs with an existing RSA-2048 key instead (benchmark name bits:2048), and with the EC keys
// named (BM_TokenSignEc, ed25519:0 for P-256, ed25519:1 for Ed25519): scripts/bench uses
// this for the same token the daemon serves, and for the same token reached through p11-kit's
// client module (p11-kit server). Google Benchmark's own flags (--benchmark_filter=...) work too.
#include <benchmark/benchmark.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <cstring>
#include <iostream>
#include <memory>
#include <optional>

#include "pkcs11/key_generation.h"
#include "pkcs11/secret.h"
#include "pkcs11/signer.h"
#include "tests/testing/softhsm.h"

namespace p11signd {
namespace {

struct ExistingToken {
  std::string module, uri, pin_file, key;
  std::string ec_key, ed25519_key;  // optional: labels of a P-256 and an Ed25519 key
};

// The EC keys BM_TokenSignEc signs with, by argument: 0 an ECDSA P-256 key, 1 an Ed25519 key.
constexpr const char* kEcKeys[] = {"p256", "ed25519"};

// The token every benchmark signs on: created in main() before the first benchmark runs.
class BenchToken {
 public:
  BenchToken() : hsm_(std::make_unique<testing::SoftHsm>("p11bench")) {
    auto config = hsm_->config();
    config.max_sessions = 16;
    token_ = pkcs11::Token::open(std::move(config));
    std::vector<pkcs11::KeySpec> specs;
    for (unsigned bits : {2048u, 3072u, 4096u}) {
      const std::string name = "rsa" + std::to_string(bits);
      specs.push_back(pkcs11::generate_key(*token_, name, {name, {}}, bits));
    }
    specs.push_back(pkcs11::generate_key(*token_, kEcKeys[0], {kEcKeys[0], {}},
                                         KeyShape(KeyType::kEcP256, 256)));
    specs.push_back(pkcs11::generate_key(*token_, kEcKeys[1], {kEcKeys[1], {}},
                                         KeyShape(KeyType::kEd25519, 256)));
    token_->replace_keys(specs);
  }
  explicit BenchToken(const ExistingToken& existing) {
    pkcs11::TokenConfig config;
    config.module_path = existing.module;
    config.uri = existing.uri;
    config.read_pin = [path = existing.pin_file] { return pkcs11::read_pin_file(path); };
    config.max_sessions = 16;
    config.keys = {pkcs11::KeySpec{"rsa2048", existing.key, {}}};
    if (!existing.ec_key.empty()) config.keys.push_back({kEcKeys[0], existing.ec_key, {}});
    if (!existing.ed25519_key.empty())
      config.keys.push_back({kEcKeys[1], existing.ed25519_key, {}});
    token_ = pkcs11::Token::open(std::move(config));
  }
  pkcs11::Token& token() { return *token_; }
  ~BenchToken() { token_.reset(); }

 private:
  std::unique_ptr<testing::SoftHsm> hsm_;
  std::unique_ptr<pkcs11::Token> token_;
};

BenchToken* bench_token = nullptr;

const Bytes kMessage(256, 0x5a);

void BM_TokenSign(benchmark::State& state) {
  const std::string key = "rsa" + std::to_string(state.range(0));
  const SignRequest req{state.range(1) ? SignAlg::kRsaPssSha256 : SignAlg::kRsaPkcs1Sha256, 32};
  pkcs11::Signer signer(bench_token->token());
  for (auto _ : state) benchmark::DoNotOptimize(signer.sign(key, req, kMessage));
  state.SetItemsProcessed(state.iterations());
}

// ECDSA P-256 (hashed here, CKM_ECDSA, raw r||s) and pure Ed25519 (CKM_EDDSA).
void BM_TokenSignEc(benchmark::State& state) {
  const bool ed25519 = state.range(0) != 0;
  const std::string key = kEcKeys[ed25519 ? 1 : 0];
  if (!bench_token->token().keys().snapshot()->keys.count(key)) {
    state.SkipWithError(("no " + key + " key: give --ec-key= / --ed25519-key=").c_str());
    return;
  }
  const SignRequest req{ed25519 ? SignAlg::kEd25519 : SignAlg::kEcdsaSha256};
  pkcs11::Signer signer(bench_token->token());
  for (auto _ : state) benchmark::DoNotOptimize(signer.sign(key, req, kMessage));
  state.SetItemsProcessed(state.iterations());
}

void BM_OpenSslInMemory(benchmark::State& state) {
  EVP_PKEY* key = EVP_RSA_gen(static_cast<unsigned>(state.range(0)));
  Bytes sig(static_cast<std::size_t>(state.range(0)) / 8);
  for (auto _ : state) {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    std::size_t len = sig.size();
    EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key);
    EVP_DigestSign(ctx, sig.data(), &len, kMessage.data(), kMessage.size());
    EVP_MD_CTX_free(ctx);
  }
  EVP_PKEY_free(key);
  state.SetItemsProcessed(state.iterations());
}

void thread_counts(benchmark::internal::Benchmark* b) {
  for (int t : {1, 2, 4, 8}) b->Threads(t);
  b->UseRealTime();
}

BENCHMARK(BM_TokenSign)
    ->ArgNames({"bits", "pss"})
    ->ArgsProduct({{2048, 3072, 4096}, {0, 1}})
    ->Apply(thread_counts);
BENCHMARK(BM_TokenSignEc)->ArgName("ed25519")->Arg(0)->Arg(1)->Apply(thread_counts);
BENCHMARK(BM_OpenSslInMemory)
    ->ArgName("bits")
    ->Arg(2048)
    ->Arg(3072)
    ->Arg(4096)
    ->Apply(thread_counts);

// --module= --uri= --pin-file= --key=: all four or none (and then optionally --ec-key= and
// --ed25519-key=). Returns nullopt when none is given.
std::optional<ExistingToken> existing_token(int argc, char** argv) {
  ExistingToken t;
  int given = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    for (auto [flag, field] :
         {std::pair{"--ec-key=", &t.ec_key}, {"--ed25519-key=", &t.ed25519_key}}) {
      if (arg.starts_with(flag)) *field = std::string(arg.substr(std::strlen(flag)));
    }
    for (auto [flag, field] :
         {std::pair{"--module=", &t.module}, std::pair{"--uri=", &t.uri},
          std::pair{"--pin-file=", &t.pin_file}, std::pair{"--key=", &t.key}}) {
      if (arg.starts_with(flag)) {
        *field = std::string(arg.substr(std::strlen(flag)));
        ++given;
      }
    }
  }
  if (given == 0) return std::nullopt;
  if (given != 4 || t.module.empty() || t.uri.empty() || t.pin_file.empty() || t.key.empty()) {
    throw std::invalid_argument("give all of --module=, --uri=, --pin-file= and --key=, or none");
  }
  return t;
}

}  // namespace
}  // namespace p11signd

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  try {
    const auto existing = p11signd::existing_token(argc, argv);
    auto token = existing ? std::make_unique<p11signd::BenchToken>(*existing)
                          : std::make_unique<p11signd::BenchToken>();
    p11signd::bench_token = token.get();
    benchmark::RunSpecifiedBenchmarks();
    p11signd::bench_token = nullptr;
  } catch (const std::exception& e) {
    std::cerr << "p11sign_token_bench: " << e.what() << '\n';
    return 1;
  }
  benchmark::Shutdown();
  return 0;
}
