#pragma once
// The interface every provider scheme implements. A scheme turns an application's business fields
// into the exact bytes a provider signs, asks for a signature through a SignFn, and shapes the
// answer so that it can be sent unchanged. Schemes know nothing of PKCS#11 or HTTP: the daemon
// hands in the signer, the key's settings and the peer's public key, and maps SchemeError kinds to
// status codes.

#include <chrono>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/bytes.h"
#include "common/sign_alg.h"

namespace p11signd::schemes {

using Json = nlohmann::ordered_json;

// The key's `SCHEME.*` settings from the configuration, e.g. {"mypos.sid": "000000000000010"}.
using KeySettings = std::map<std::string, std::string>;

// Makes a signature with the key the request named (on the token, in production). May throw;
// schemes let whatever it throws pass through untouched.
using SignFn = std::function<Bytes(const SignRequest&, ByteView data)>;

// The key a scheme signs with, as far as a scheme may know it: its type (so that a scheme can pick
// the algorithm, e.g. ES256 for a P-256 key, or refuse one it cannot use) and its signer. Calling
// it signs.
class SigningKey {
 public:
  SigningKey(SignFn sign, KeyType type) : sign_(std::move(sign)), type_(type) {}
  KeyType type() const { return type_; }
  Bytes operator()(const SignRequest& req, ByteView data) const { return sign_(req, data); }

 private:
  SignFn sign_;
  KeyType type_;
};

// Time source, injected so that tests can fix it.
using Clock = std::function<std::chrono::system_clock::time_point()>;

enum class SchemeErrorKind {
  kBadRequest,  // 400: not the shape the scheme reads (missing field, wrong JSON type, undecodable
                // text)
  kUnprocessable,  // 422: well formed but not valid for the provider (missing service field, bad
                   // setting)
};

// What is wrong with a kBadRequest field, so that the daemon answers the same codes for a scheme's
// fields as for its own (docs/api.md: missing_field, bad_field, unknown_field).
enum class FieldProblem { kWrong, kMissing, kUnknown };

class SchemeError : public std::runtime_error {
 public:
  SchemeError(SchemeErrorKind kind, std::string field, const std::string& message,
              FieldProblem problem = FieldProblem::kWrong)
      : std::runtime_error(message), kind_(kind), field_(std::move(field)), problem_(problem) {}
  SchemeErrorKind kind() const { return kind_; }
  FieldProblem problem() const { return problem_; }
  // The input field or setting the message is about ("fields[2]", "claims.nit", "mypos.sid").
  const std::string& field() const { return field_; }

 private:
  SchemeErrorKind kind_;
  std::string field_;
  FieldProblem problem_;
};

class PeerKey;

// Implementations are stateless apart from what their constructor got, so one instance serves all
// threads.
class Scheme {
 public:
  virtual ~Scheme() = default;

  virtual std::string name() const = 0;
  // For GET /v1/schemes: required and optional inputs of sign and verify, the key settings read,
  // extra actions.
  virtual Json describe() const = 0;
  virtual Json sign(const Json& input, const KeySettings& settings,
                    const SigningKey& sign) const = 0;
  // {"valid": bool, "reason": text}. Throws SchemeError only when the input itself is malformed; a
  // signature that does not match, or a stale timestamp, is an answer, not an error.
  virtual Json verify(const Json& input, const PeerKey& peer) const = 0;

  // Every key setting the scheme reads, "NAME.SETTING" (mypos: "mypos.sid", ...). GET /v1/schemes
  // lists them, and a key setting under this scheme's prefix that is not among them is refused.
  virtual std::vector<std::string> known_settings() const = 0;
  // The key types the scheme can sign with. Most providers take RSA only; `--check-config` refuses
  // a key of another type configured for the scheme, and a request with one is a 422.
  virtual std::vector<KeyType> key_types() const { return {KeyType::kRsa}; }
  // Problems with a key's settings, one line each, for `p11signd --check-config`. Empty when
  // usable.
  virtual std::vector<std::string> check_settings(const KeySettings& settings) const;
  // The settings a request may make up for, each with the request field that does ("mypos.sid",
  // "fields.SID"): optional in the configuration, but then every request must carry the field.
  virtual std::vector<std::pair<std::string, std::string>> request_fallbacks() const { return {}; }
  // One line for each request_fallbacks() setting the key does not set, naming the field every
  // request must then carry: warnings of `p11signd --check-config`, not problems.
  std::vector<std::string> unset_fallbacks(const KeySettings& settings) const;
  // The settings of any key under this scheme's prefix ("mypos.") that known_settings() does not
  // name, e.g. a misspelled "mypos.wallet_number": one line each, naming the known ones.
  std::vector<std::string> unknown_settings(const KeySettings& settings) const;

  // The top-level input fields an operation ("sign", "verify" or an action) reads: its required,
  // optional and alternative inputs as describe() lists them, so that the list a client reads is
  // the list a request is held to. Empty for an operation the scheme does not have.
  std::vector<std::string> accepted_fields(std::string_view op) const;
  // Throws SchemeError (kBadRequest, FieldProblem::kUnknown) naming the first top-level member of
  // input that op does not read and that is not one of `transport` (the daemon's own fields, such
  // as "key"), with the nearest accepted name. What a field holds (a provider's free-form form
  // fields, payload or headers) is not checked here: that is the provider's, signed as given.
  void reject_unknown_fields(const Json& input, std::string_view op,
                             const std::vector<std::string>& transport) const;

  // Extra actions beyond sign/verify (amazonpay: "button-signature"), served at
  // /v1/schemes/NAME/ACTION.
  virtual std::vector<std::string> actions() const { return {}; }
  // Throws SchemeError(kBadRequest) for an action not in actions().
  virtual Json run_action(std::string_view action, const Json& input, const KeySettings& settings,
                          const SigningKey& sign) const;
};

}  // namespace p11signd::schemes
