// In-process signatures per second on a throwaway SoftHSM token, at 1, 2, 4 and 8 threads and for
// each key size, beside OpenSSL signing in memory with the same key size: the ceiling the token
// adds its cost to. The daemon is measured against these numbers (p11sign bench over the socket).
#include <benchmark/benchmark.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <map>
#include <memory>

#include "pkcs11/key_generation.h"
#include "pkcs11/signer.h"
#include "tests/testing/softhsm.h"

namespace p11signd {
namespace {

struct BenchToken {
  testing::SoftHsm hsm{"p11bench"};
  std::unique_ptr<pkcs11::Token> token;
  BenchToken() {
    auto config = hsm.config();
    config.max_sessions = 16;
    token = pkcs11::Token::open(std::move(config));
    std::vector<pkcs11::KeySpec> specs;
    for (unsigned bits : {2048u, 3072u, 4096u}) {
      const std::string name = "rsa" + std::to_string(bits);
      specs.push_back(pkcs11::generate_key(*token, name, {name, {}}, bits));
    }
    token->replace_keys(specs);
  }
};

BenchToken& bench_token() {
  static BenchToken instance;  // one token for the whole run; created before the first benchmark
  return instance;
}

const Bytes kMessage(256, 0x5a);

void BM_TokenSign(benchmark::State& state) {
  const std::string key = "rsa" + std::to_string(state.range(0));
  const SignRequest req{state.range(1) ? SignAlg::kRsaPssSha256 : SignAlg::kRsaPkcs1Sha256, 32};
  pkcs11::Signer signer(*bench_token().token);
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
BENCHMARK(BM_OpenSslInMemory)
    ->ArgName("bits")
    ->Arg(2048)
    ->Arg(3072)
    ->Arg(4096)
    ->Apply(thread_counts);

}  // namespace
}  // namespace p11signd

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  p11signd::bench_token();
  benchmark::RunSpecifiedBenchmarks();
  p11signd::bench_token().token.reset();
  benchmark::Shutdown();
  return 0;
}
