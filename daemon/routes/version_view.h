#pragma once
// What the routes make of a key's versions (docs/api.md "Key versions"): the kid each is published
// under, the settings it signs with, its JSON listing and the JWK Set. No I/O: the store's KeyInfo
// and certificate PEMs go in.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "daemon/keystore/keystore.h"
#include "schemes/scheme.h"

namespace p11signd::daemon {

// The settings that carry a JWS kid; a version other than 1 never inherits the configured value
// (two key pairs under one kid would make a verifier pick the wrong one).
inline const std::vector<std::string> kKidSettings = {"jws.kid", "client-assertion.kid",
                                                      "ob-jws.kid"};

// The kid of a version: its own jws.kid setting; else, for version 1, the configured [key.NAME]
// jws.kid; else NAME-vN.
std::string version_kid(const KeyInfo& version, const schemes::KeySettings& configured);

// The settings a version signs with: the [key.NAME] settings overlaid by the version's own
// (version wins). For a version other than 1, a kid setting the version does not set itself is
// its version_kid(), not the configured one.
schemes::KeySettings signing_settings(const KeyInfo& version,
                                      const schemes::KeySettings& configured);

// {"version","state","type","bits",["curve",]"fingerprint_sha256","created","kid","settings",
// "certificate"}: type as a rotation body names it (rsa, ec, ed25519), curve for EC keys, and
// certificate null or {"subject","not_after"} read from certificate_pem.
nlohmann::ordered_json version_json(const KeyInfo& version, const schemes::KeySettings& configured,
                                    const std::optional<std::string>& certificate_pem);

// {"keys":[JWK...]}: the published versions (pending, active, retiring), oldest first, each with
// its kid and "use":"sig".
nlohmann::ordered_json jwks_json(const std::vector<KeyInfo>& versions,
                                 const schemes::KeySettings& configured);

// The published versions in the order a verification tries them: the active one, then the others
// newest first. With kid (from the signature's JWS header), the version published under that kid
// comes first.
std::vector<KeyInfo> verification_order(const std::vector<KeyInfo>& versions,
                                        const std::optional<std::string>& kid = std::nullopt,
                                        const schemes::KeySettings& configured = {});

// The kid in the JWS header of a scheme's verify input (jws, ob-jws, client-assertion); nullopt
// for a scheme whose format carries none, or an input without one.
std::optional<std::string> signature_kid(const std::string& scheme,
                                         const nlohmann::ordered_json& input);

// A version number as a path segment or query value writes it ("1", "2", ...); nullopt for
// anything else.
std::optional<unsigned> parse_version_number(const std::string& text);

}  // namespace p11signd::daemon
