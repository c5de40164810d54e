// p11sign audit verify FILE... [--public-key PEM]: checks the audit log's hash chain and signed
// checkpoints offline (common/audit_verify.h); no daemon is involved.

#include <openssl/bio.h>
#include <openssl/pem.h>

#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "cli/commands.h"
#include "cli/errors.h"
#include "common/audit_verify.h"
#include "common/openssl_ptr.h"
#include "common/option_errors.h"
#include "common/public_key.h"

namespace p11signd::cli {
namespace {

namespace po = boost::program_options;

// The SPKI of a "-----BEGIN PUBLIC KEY-----" file, as `p11sign public-key NAME` prints it.
Bytes read_public_key(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Failure(path + ": cannot open");
  std::stringstream text;
  text << in.rdbuf();
  const std::string pem = text.str();
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  EvpPkeyPtr key(bio ? PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!key) throw Failure(path + ": not a PEM public key (-----BEGIN PUBLIC KEY-----)");
  return spki_der(key.get());
}

struct AuditArgs {
  std::string action;
  std::vector<std::string> files;
  std::optional<std::string> public_key;
};

AuditArgs parse_audit_args(const Args& args) {
  po::options_description opts;
  opts.add_options()("public-key", po::value<std::string>());
  const ParsedArgs p = parse_args(args, opts, {"action"}, "files");
  const po::variables_map& vm = p.vm;
  AuditArgs out;
  if (!vm.count("action")) throw UsageError("missing ACTION (verify)");
  out.action = vm["action"].as<std::string>();
  if (out.action != "verify") throw UsageError("ACTION must be verify, not '" + out.action + "'");
  if (!vm.count("files")) throw UsageError("missing FILE");
  out.files = vm["files"].as<std::vector<std::string>>();
  if (vm.count("public-key")) out.public_key = vm["public-key"].as<std::string>();
  return out;
}

}  // namespace

int audit_command(const Args& args, Context& ctx) {
  const AuditArgs a = parse_audit_args(args);
  audit::VerifyOptions options;
  if (a.public_key) options.public_key_spki = read_public_key(*a.public_key);
  audit::VerifyReport report;
  try {
    report = audit::verify_audit_files(a.files, options);
  } catch (const std::runtime_error& e) {
    throw Failure(e.what());
  }
  for (const auto& note : report.notes) ctx.out << "note: " << note << '\n';
  if (!report.ok()) {
    std::cerr << "p11sign: the audit log does not verify: " << *report.problem << '\n';
    return 1;
  }
  ctx.out << "verified: " << report.records << " record(s) in " << a.files.size() << " file(s), "
          << report.signed_checkpoints << " signed checkpoint(s), " << report.unsigned_checkpoints
          << " unsigned\n";
  return 0;
}

}  // namespace p11signd::cli
