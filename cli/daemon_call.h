#pragma once
// What every command does around its request: build the path, send, turn a refusal into a Failure
// carrying the daemon's own message, and print the answer in the shape the user expects.

#include <initializer_list>
#include <string>
#include <string_view>

#include "cli/commands.h"
#include "cli/http_client.h"

namespace p11signd::cli {

// RFC 3986 percent-encoding of one path segment (a key or scheme name).
std::string path_segment(std::string_view s);
std::string key_path(std::string_view name, std::string_view suffix = {});

// "403 forbidden: key 'x' ..." from {"error":{"code","message"}}, or the status line and body
// otherwise.
std::string describe_error(const HttpResponse& res);

// What to try when connect() failed with connect_errno, for the dead ends of a first try: the
// packaged daemon is not running, the path is another daemon's, or the user is not in the
// socket's group.
std::string connect_hint(const Context& ctx, int connect_errno);

// Sends one request and returns whatever the daemon answered; a transport error becomes a
// Failure, with a hint on where the socket path came from when nothing answers there.
HttpResponse ask_daemon(const Context& ctx, std::string_view method, std::string_view target,
                        std::string_view body = {});
// The same, and a non-2xx answer becomes a Failure.
HttpResponse call_daemon(const Context& ctx, std::string_view method, std::string_view target,
                         std::string_view body = {});
// The "code" of an error answer ({"error":{"code":...}}); empty when it has none.
std::string error_code(const HttpResponse& res);

// JSON answers pretty-printed in the daemon's field order; anything else as it came.
void print_json(const Context& ctx, const HttpResponse& res);
// A PEM (or base64) document: printed as is when the answer is text; when it is JSON, the first of
// `fields` that holds a string is printed, else the whole JSON.
void print_document(const Context& ctx, const HttpResponse& res,
                    std::initializer_list<std::string_view> fields);

}  // namespace p11signd::cli
