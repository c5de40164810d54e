#pragma once
// The RFC 9421 signature base (section 2.5): one line per covered component, its identifier and
// its value (sections 2.1 and 2.2), then the "@signature-params" line. Pure: the same message and
// the same covered components give the same bytes on the signer's side and the verifier's.

#include <map>
#include <stdexcept>
#include <string>

#include "schemes/http_message.h"
#include "schemes/structured_fields.h"

namespace p11signd::schemes {

// A component that cannot be taken from the message (absent field, @status of a request, an
// unknown derived component or parameter). The message names the component identifier.
class ComponentError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class FieldType { kItem, kList, kDictionary };
// Lowercased field name to its structured type, for ;sf and ;key on fields the built-in table
// (Signature, Signature-Input, Content-Digest, ...) does not know.
using FieldTypes = std::map<std::string, FieldType>;

struct BaseContext {
  const HttpMessage& message;
  const HttpMessage* request = nullptr;  // the request a response answers, for ;req
  const FieldTypes* field_types = nullptr;
};

// The value of one component as it enters the base.
std::string component_value(const sf::Item& id, const BaseContext& ctx);

// Every covered component's line, then "@signature-params": the serialised inner list (its items
// are the covered components, its parameters created, keyid, ...). No trailing newline.
std::string signature_base(const sf::InnerList& signature_params, const BaseContext& ctx);

// Checks that each identifier is a String with only the parameters RFC 9421 defines and that none
// appears twice (parameters compared in any order). Throws ComponentError.
void check_covered_components(const sf::InnerList& signature_params);

}  // namespace p11signd::schemes
