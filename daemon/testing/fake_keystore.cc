#include "daemon/testing/fake_keystore.h"

#include <algorithm>
#include <utility>

#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <thread>

#include "common/digest.h"
#include "common/encoding.h"
#include "common/openssl_ptr.h"
#include "common/testing/software_sign.h"

namespace p11signd::daemon {
namespace {

class FakeSession final : public SigningSession {
 public:
  explicit FakeSession(FakeKeyStore& store) : store_(store) {}
  Bytes sign(const KeyRef& key, const SignRequest& req, ByteView data) override {
    return store_.sign(key, req, data);
  }

 private:
  FakeKeyStore& store_;
};

// "CN=a,O=b" -> X509_NAME; the real store has its own parser, this one only serves the tests.
X509NamePtr parse_subject(const std::string& subject) {
  X509NamePtr name(X509_NAME_new());
  std::size_t start = 0;
  while (start < subject.size()) {
    auto end = subject.find(',', start);
    if (end == std::string::npos) end = subject.size();
    const std::string part = subject.substr(start, end - start);
    const auto eq = part.find('=');
    if (eq == std::string::npos ||
        X509_NAME_add_entry_by_txt(name.get(), part.substr(0, eq).c_str(), MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(part.c_str() + eq + 1),
                                   -1, -1, 0) != 1) {
      throw StoreError(StoreErrorKind::kBadInput, "subject part '" + part + "' is not TYPE=value");
    }
    start = end + 1;
  }
  if (X509_NAME_entry_count(name.get()) == 0) {
    throw StoreError(StoreErrorKind::kBadInput, "empty subject");
  }
  return name;
}

// The digest X.509 signatures by this key use, as the real store makes them: SHA-384 for P-384,
// none for Ed25519 (it signs the message itself), SHA-256 otherwise.
const EVP_MD* x509_digest(EVP_PKEY* key) {
  const auto type = key_type_of(key);
  if (type == KeyType::kEd25519) return nullptr;
  return type == KeyType::kEcP384 ? EVP_sha384() : EVP_sha256();
}

template <typename T, int (*Write)(BIO*, const T*)>
std::string to_pem(T* obj) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  Write(bio.get(), obj);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

}  // namespace

SharedEvpPkey generate_rsa(unsigned bits) {
  EVP_PKEY* key = EVP_RSA_gen(bits);
  if (!key) throw StoreError(StoreErrorKind::kInternal, "RSA key generation failed");
  return SharedEvpPkey(key, EVP_PKEY_free);
}

SharedEvpPkey generate_key_of(const KeyShape& shape) {
  if (shape.type != KeyType::kRsa) return testing::generate_software_key(shape.type);
  if (shape.bits != 2048 && shape.bits != 3072 && shape.bits != 4096) {
    throw StoreError(StoreErrorKind::kBadInput, "bits must be 2048, 3072 or 4096");
  }
  return generate_rsa(shape.bits);
}

SharedEvpPkey read_private_key(std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr);
  OPENSSL_cleanse(pem.data(), pem.size());
  pem.clear();
  if (!key || !key_type_of(key)) {
    EVP_PKEY_free(key);
    throw StoreError(StoreErrorKind::kBadInput,
                     "pem is not an RSA, EC P-256/P-384 or Ed25519 private key");
  }
  return SharedEvpPkey(key, EVP_PKEY_free);
}

FakeKeyStore::FakeKeyStore(std::string token_label, unsigned max_sessions)
    : token_label_(std::move(token_label)), max_sessions_(max_sessions) {}

SharedEvpPkey FakeKeyStore::add_token_key(const std::string& label, unsigned bits) {
  auto key = generate_rsa(bits);
  add_token_key(label, key);
  return key;
}

FakeKeyStore::TokenKey FakeKeyStore::make_token_key(const std::string& label, SharedEvpPkey key,
                                                    bool extractable, bool local) const {
  TokenKey k;
  k.label = label;
  k.id_hex = hex_encode(as_bytes(label)).substr(0, 8);
  k.pkey = std::move(key);
  k.extractable = extractable;
  k.local = local;
  k.family = label;
  return k;
}

void FakeKeyStore::add_token_key(const std::string& label, SharedEvpPkey key, bool extractable) {
  std::lock_guard lock(mu_);
  token_.push_back(make_token_key(label, std::move(key), extractable, true));
}

void FakeKeyStore::add_certificate(const std::string& label, const std::string& pem) {
  std::lock_guard lock(mu_);
  for (auto& k : token_) {
    if (k.label == label) k.certificate = pem;
  }
}

void FakeKeyStore::set_down(bool down, const std::string& reason) {
  std::lock_guard lock(mu_);
  down_ = down;
  down_reason_ = reason;
}

void FakeKeyStore::throw_if_down_locked() const {
  if (down_) throw StoreError(StoreErrorKind::kUnavailable, "token unavailable: " + down_reason_);
}

std::vector<FakeKeyStore::TokenKey*> FakeKeyStore::family_locked(const std::string& name) {
  auto it = names_.find(name);
  if (it == names_.end())
    throw StoreError(StoreErrorKind::kNotFound, "no key named '" + name + "'");
  std::vector<TokenKey*> out;
  for (auto& k : token_) {
    if (k.family == it->second) out.push_back(&k);
  }
  std::sort(out.begin(), out.end(), [](auto* a, auto* b) { return a->version < b->version; });
  return out;
}

std::vector<const FakeKeyStore::TokenKey*> FakeKeyStore::family_locked(
    const std::string& name) const {
  auto family = const_cast<FakeKeyStore*>(this)->family_locked(name);
  return {family.begin(), family.end()};
}

FakeKeyStore::TokenKey& FakeKeyStore::version_locked(const KeyRef& ref) {
  for (TokenKey* k : family_locked(ref.name)) {
    if (ref.version ? k->version == *ref.version : k->state == VersionState::kActive) return *k;
  }
  throw StoreError(
      StoreErrorKind::kNotFound,
      "key '" + ref.name + "' has no " +
          (ref.version ? "version " + std::to_string(*ref.version) : "active version"));
}

const FakeKeyStore::TokenKey& FakeKeyStore::version_locked(const KeyRef& ref) const {
  return const_cast<FakeKeyStore*>(this)->version_locked(ref);
}

// As the real store does (pkcs11::Signer): never sign with a key other than the one admitted.
const FakeKeyStore::TokenKey& FakeKeyStore::admitted_locked(const KeyRef& ref) const {
  const TokenKey& k = version_locked(ref);
  if (!ref.fingerprint_sha256.empty() &&
      sha256_hex(spki_der(k.pkey.get())) != ref.fingerprint_sha256) {
    throw StoreError(StoreErrorKind::kConflict,
                     "key '" + ref.name +
                         "' was given another key by a reload after this request was admitted; "
                         "send it again");
  }
  return k;
}

KeyInfo FakeKeyStore::info_locked(const std::string& name, const TokenKey& k) const {
  KeyInfo info;
  info.name = name;
  info.label = k.label;
  info.id_hex = k.id_hex;
  info.type = key_type_of(k.pkey.get()).value_or(KeyType::kRsa);
  info.bits = info.type == KeyType::kRsa ? static_cast<unsigned>(EVP_PKEY_get_bits(k.pkey.get()))
                                         : curve_bits(info.type);
  info.generated_on_token = k.local;
  info.extractable = k.extractable;
  info.sensitive = !k.extractable;
  info.spki_der = spki_der(k.pkey.get());
  info.fingerprint_sha256 = sha256_hex(info.spki_der);
  info.version = k.version;
  info.state = k.state;
  info.created = k.created;
  info.settings = k.settings;
  return info;
}

SharedEvpPkey FakeKeyStore::public_key(const std::string& name) const {
  std::lock_guard lock(mu_);
  return version_locked(KeyRef(name)).pkey;
}

std::unique_ptr<SigningSession> FakeKeyStore::open_session() {
  std::lock_guard lock(mu_);
  throw_if_down_locked();
  if (open_fails_) throw StoreError(StoreErrorKind::kUnavailable, "no session free on the token");
  return std::make_unique<FakeSession>(*this);
}

std::vector<KeyInfo> FakeKeyStore::keys() const {
  std::lock_guard lock(mu_);
  std::vector<KeyInfo> out;
  for (const auto& [name, family] : names_) {
    out.push_back(info_locked(name, version_locked(KeyRef(name))));
  }
  return out;
}

std::optional<KeyInfo> FakeKeyStore::key(const std::string& name) const {
  std::lock_guard lock(mu_);
  if (!names_.count(name)) return std::nullopt;
  return info_locked(name, version_locked(KeyRef(name)));
}

std::optional<std::string> FakeKeyStore::certificate_pem(const KeyRef& key) const {
  std::lock_guard lock(mu_);
  throw_if_down_locked();
  return version_locked(key).certificate;
}

Bytes FakeKeyStore::sign(const KeyRef& ref, const SignRequest& req, ByteView data) {
  run_activation_switch();
  SharedEvpPkey key;
  {
    std::lock_guard lock(mu_);
    throw_if_down_locked();
    const TokenKey& k = admitted_locked(ref);
    if (ref.version && k.state != VersionState::kActive) {
      throw StoreError(StoreErrorKind::kNotActive,
                       "version " + std::to_string(k.version) + " of key '" + ref.name + "' is " +
                           std::string(to_string(k.state)) + ", no longer active");
    }
    key = k.pkey;
  }
  ++signs_started_;
  if (const long ms = sign_delay_ms_; ms > 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  }
  Bytes sig;
  try {
    sig = testing::software_sign(key.get(), req, data);
  } catch (const std::runtime_error& e) {
    throw StoreError(StoreErrorKind::kBadInput, e.what());
  }
  ++sign_count_;
  return sig;
}

KeyInfo FakeKeyStore::add_named(const std::string& name, const std::string& label,
                                SharedEvpPkey key, bool local) {
  std::lock_guard lock(mu_);
  throw_if_down_locked();
  if (names_.count(name)) throw StoreError(StoreErrorKind::kConflict, "key '" + name + "' exists");
  for (const auto& k : token_) {
    if (k.label == label) {
      throw StoreError(StoreErrorKind::kConflict, "label '" + label + "' exists on the token");
    }
  }
  token_.push_back(make_token_key(label, std::move(key), false, local));
  names_[name] = label;
  created_.insert(name);
  return info_locked(name, token_.back());
}

KeyInfo FakeKeyStore::generate_key(const std::string& name, const std::string& label,
                                   const KeyShape& shape) {
  return add_named(name, label, generate_key_of(shape), true);
}

KeyInfo FakeKeyStore::import_key(const std::string& name, const std::string& label,
                                 std::string& pem) {
  return add_named(name, label, read_private_key(pem), false);
}

std::string FakeKeyStore::make_certificate(const KeyRef& ref, const std::string& subject,
                                           unsigned days, bool replace) {
  auto subj = parse_subject(subject);
  std::lock_guard lock(mu_);
  throw_if_down_locked();
  admitted_locked(ref);  // throws kNotFound for an unknown name or version
  auto& k = version_locked(ref);
  if (k.certificate && !replace) {
    throw StoreError(StoreErrorKind::kConflict, certificate_exists(ref.name));
  }
  X509Ptr cert(X509_new());
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 86400L * days);
  X509_set_subject_name(cert.get(), subj.get());
  X509_set_issuer_name(cert.get(), subj.get());
  X509_set_pubkey(cert.get(), k.pkey.get());
  if (X509_sign(cert.get(), k.pkey.get(), x509_digest(k.pkey.get())) <= 0) {
    throw StoreError(StoreErrorKind::kInternal, "certificate signing failed");
  }
  k.certificate = to_pem<X509, PEM_write_bio_X509>(cert.get());
  return *k.certificate;
}

std::string FakeKeyStore::make_csr(const KeyRef& ref, const std::string& subject) {
  auto subj = parse_subject(subject);
  std::lock_guard lock(mu_);
  throw_if_down_locked();
  const auto& k = admitted_locked(ref);
  X509ReqPtr req(X509_REQ_new());
  X509_REQ_set_subject_name(req.get(), subj.get());
  X509_REQ_set_pubkey(req.get(), k.pkey.get());
  if (X509_REQ_sign(req.get(), k.pkey.get(), x509_digest(k.pkey.get())) <= 0) {
    throw StoreError(StoreErrorKind::kInternal, "CSR signing failed");
  }
  return to_pem<X509_REQ, PEM_write_bio_X509_REQ>(req.get());
}

TokenStatus FakeKeyStore::status() const {
  if (status_fails_)
    throw StoreError(StoreErrorKind::kInternal, "status query failed (fault switch)");
  std::lock_guard lock(mu_);
  if (down_) return {false, token_label_, "down", down_reason_};
  return {true, token_label_, "ready", ""};
}

void FakeKeyStore::set_keys(const std::vector<KeySpec>& specs) {
  std::shared_future<void> gate;
  {
    std::lock_guard hold(hold_mu_);
    gate = std::exchange(set_keys_gate_, {});
    if (set_keys_entered_) std::exchange(set_keys_entered_, nullptr)->set_value();
  }
  if (gate.valid()) gate.wait();
  std::lock_guard lock(mu_);
  std::map<std::string, std::string> names;
  std::string errors;
  for (const auto& spec : specs) {
    // A spec names version 1's pair; the name keeps its versions even after version 1 is gone.
    const TokenKey* found = nullptr;
    for (const auto& k : token_) {
      const bool match =
          spec.label.empty() ? k.id_hex == spec.id_hex && k.version == 1 : k.family == spec.label;
      if (match) found = &k;
    }
    if (!found) {
      errors += "key '" + spec.name + "': no key with label '" + spec.label + "' on the token\n";
    } else if (found->extractable && !spec.allow_extractable) {
      errors += "key '" + spec.name + "': extractable on the token and allow-extractable is off\n";
    } else {
      names[spec.name] = found->family;
    }
  }
  if (!errors.empty()) {
    errors.pop_back();
    throw StoreError(StoreErrorKind::kNotFound, errors);
  }
  for (const auto& name : created_) {
    if (names_.count(name)) names.emplace(name, names_.at(name));  // no-op when specs name it
  }
  names_ = std::move(names);
}

}  // namespace p11signd::daemon
