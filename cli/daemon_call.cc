#include "cli/daemon_call.h"

#include <cctype>
#include <cerrno>
#include <nlohmann/json.hpp>

#include "cli/errors.h"

namespace p11signd::cli {
namespace {

using Json = nlohmann::ordered_json;

Json parse_or_null(const std::string& text) { return Json::parse(text, nullptr, false); }

std::string first_line(const std::string& text) {
  const std::string line = text.substr(0, text.find('\n'));
  return line.size() > 200 ? line.substr(0, 200) + "..." : line;
}

void print_with_newline(const Context& ctx, const std::string& text) {
  ctx.out << text;
  if (!text.empty() && text.back() != '\n') ctx.out << '\n';
}

}  // namespace

std::string path_segment(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(c);
    } else {
      out += {'%', kHex[u >> 4], kHex[u & 0xf]};
    }
  }
  return out;
}

std::string key_path(std::string_view name, std::string_view suffix) {
  return "/v1/keys/" + path_segment(name) + std::string(suffix);
}

std::string describe_error(const HttpResponse& res) {
  const std::string status = std::to_string(res.status);
  const Json body = parse_or_null(res.body);
  if (body.is_object() && body.contains("error") && body["error"].is_object()) {
    const Json& error = body["error"];
    const std::string code = error.value("code", res.reason);
    return status + " " + code + ": " + error.value("message", std::string("(no message)"));
  }
  // Health answers 503 with its own body ({"status","reason"}), not the error shape.
  if (body.is_object() && body.contains("reason") && body["reason"].is_string()) {
    return status + " " + res.reason + ": " + body["reason"].get<std::string>();
  }
  if (res.body.empty()) return status + " " + res.reason;
  return status + " " + res.reason + ": " + first_line(res.body);
}

std::string connect_hint(const Context& ctx, int err) {
  if (err == EACCES) {
    return "the socket is for the daemon's client group: `ls -l " + ctx.socket_path +
           "` names it; an admin adds you (then log in again)";
  }
  switch (ctx.socket_origin) {
    case SocketOrigin::kDefault:
      return "is the service running (`systemctl status p11signd`)? For another daemon, such as "
             "`p11signd --dev`, pass --socket PATH or set P11SIGN_SOCKET";
    case SocketOrigin::kEnvironment:
      return "the path is $P11SIGN_SOCKET's: is a p11signd listening there (`p11signd --dev` "
             "prints its socket once it listens)? --socket PATH overrides it";
    case SocketOrigin::kFlag:
      break;
  }
  return "is a p11signd listening there (`p11signd --dev` prints its socket once it listens)?";
}

HttpResponse ask_daemon(const Context& ctx, std::string_view method, std::string_view target,
                        std::string_view body) {
  try {
    HttpClient client(ctx.socket_path, ctx.timeout);
    return client.request(method, target, body);
  } catch (const TransportError& e) {
    throw Failure(e.what(), e.connect_errno() ? connect_hint(ctx, e.connect_errno()) : "");
  }
}

HttpResponse call_daemon(const Context& ctx, std::string_view method, std::string_view target,
                         std::string_view body) {
  HttpResponse res = ask_daemon(ctx, method, target, body);
  if (!res.ok()) throw Failure(describe_error(res));
  return res;
}

std::string error_code(const HttpResponse& res) {
  const Json body = parse_or_null(res.body);
  if (!body.is_object() || !body.contains("error") || !body["error"].is_object()) return "";
  return body["error"].value("code", "");
}

void print_json(const Context& ctx, const HttpResponse& res) {
  const Json body = parse_or_null(res.body);
  if (body.is_discarded()) return print_with_newline(ctx, res.body);
  ctx.out << body.dump(2) << '\n';
}

void print_document(const Context& ctx, const HttpResponse& res,
                    std::initializer_list<std::string_view> fields) {
  const Json body = res.is_json() ? parse_or_null(res.body) : Json(nullptr);
  if (!body.is_object()) return print_with_newline(ctx, res.body);
  for (const std::string_view field : fields) {
    const auto it = body.find(std::string(field));
    if (it != body.end() && it->is_string()) return print_with_newline(ctx, it->get<std::string>());
  }
  print_json(ctx, res);
}

}  // namespace p11signd::cli
