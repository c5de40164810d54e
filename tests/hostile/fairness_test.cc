// One client cannot take the service away from the others: floods into deadlines, a uid at its
// share of connections or requests, 10,000 connections, descriptors run out, slow readers, huge
// member counts and deep payloads. Each against a real p11signd; each ends with the daemon alive
// and another client served.
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <dirent.h>

#include <atomic>
#include <fstream>
#include <memory>
#include <thread>

#include "common/encoding.h"
#include "common/json_bounds.h"
#include "tests/hostile/hostile_daemon.h"

namespace p11signd::hostile {
namespace {

using daemon::testing::Client;
using daemon::testing::error_code_of;
using daemon::testing::sign_body;
using std::chrono::milliseconds;

// The key "shop" for this process's uid and for the other uid.
std::string shared_key() {
  return "[key.shop]\nlabel = shop\nallow-uids = " + std::to_string(::getuid()) + ", " +
         std::to_string(kOtherUid) + "\nschemes = raw, jws\n";
}

std::string sign_request(const std::string& data) {
  const std::string body = sign_body(data);
  return "POST /v1/keys/shop/sign HTTP/1.1\r\nHost: x\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

bool signs(const std::string& socket) {
  try {
    Client c(socket);
    return c.post("/v1/keys/shop/sign", sign_body("still served")).result_int() == 200;
  } catch (const std::exception&) {
    return false;
  }
}

// As the other uid, in a child: 1 when it signed, 0 when it did not.
int other_uid_signs(const std::string& socket) {
  return run_as(kOtherUid, kOtherGid, [&] { return signs(socket) ? 1 : 0; });
}

bool raise_fd_limit(rlim_t want) {
  rlimit lim{};
  getrlimit(RLIMIT_NOFILE, &lim);
  if (lim.rlim_cur < want) {
    lim.rlim_cur = std::min(want, lim.rlim_max);
    setrlimit(RLIMIT_NOFILE, &lim);
  }
  return lim.rlim_cur >= want;
}

std::size_t open_descriptors(pid_t pid) {
  std::size_t n = 0;
  if (DIR* d = opendir(("/proc/" + std::to_string(pid) + "/fd").c_str())) {
    while (readdir(d)) ++n;
    closedir(d);
  }
  return n - 2;  // . and ..
}

long cpu_ticks(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string field;
  long utime = 0, stime = 0;
  for (int i = 1; in >> field && i <= 15; ++i) {
    if (i == 14) utime = std::stol(field);
    if (i == 15) stime = std::stol(field);
  }
  return utime + stime;
}

// 64 connections, 8 pipelined requests each, into one worker with a 20 ms deadline: 504s by the
// hundred. Returns the statuses seen.
std::map<unsigned, int> flood(const std::string& socket) {
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < 64; ++i) clients.push_back(std::make_unique<Client>(socket));
  std::string burst;
  for (int i = 0; i < 8; ++i) burst += sign_request("flood " + std::to_string(i));
  for (auto& c : clients) c->send_raw(burst);
  std::map<unsigned, int> seen;
  for (auto& c : clients) {
    for (int i = 0; i < 8; ++i) ++seen[c->read_response().result_int()];
  }
  return seen;
}

const char* kFloodSettings = "workers = 1\nrequest-timeout-ms = 20\n";

TEST(HostileFairness, AFloodIntoDeadlinesLeavesTheDaemonUpAndEvery504Audited) {
  HostileDaemon::Options o;
  o.daemon_extra = kFloodSettings;
  HostileDaemon d(o);
  const auto seen = flood(d.socket());
  EXPECT_GT(seen.count(504) ? seen.at(504) : 0, 0) << "no request reached its deadline";
  for (const auto& [status, n] : seen) EXPECT_TRUE(status == 200 || status == 504) << status;
  ASSERT_TRUE(d.running());
  // Every 504 has its line: answered before the work began, or the signature withheld - written
  // once the token's last signature returns, which may be after the client has its 504.
  const auto timed_out = static_cast<std::size_t>(seen.count(504) ? seen.at(504) : 0);
  for (int i = 0; i < 250 && d.audit_records("sign", "error:").size() < timed_out; ++i) {
    std::this_thread::sleep_for(milliseconds(20));
  }
  EXPECT_EQ(d.audit_records("sign", "error:").size(), timed_out);
  EXPECT_EQ(d.audit_records("sign", "ok").size(),
            static_cast<std::size_t>(seen.count(200) ? seen.at(200) : 0));
  EXPECT_TRUE(signs(d.socket()) || signs(d.socket()));  // a worker may still finish a late one
}

// The issue's reproduction: the same flood from a process whose name is not UTF-8, so that the
// deadline's audit line is made from bytes JSON cannot hold. The daemon must stay up, and every
// 504 must still have its line, the name written as \xNN.
TEST(HostileFairness, AFloodFromAProcessWithABadNameLeavesTheDaemonUpAndEvery504Audited) {
  HostileDaemon::Options o;
  o.daemon_extra = kFloodSettings;
  HostileDaemon d(o);
  const std::string counts_path = d.path("flood-counts");
  const int answered = run_as(::getuid(), ::getgid(), [&] {
    prctl(PR_SET_NAME, "\xff\xfe\xfd-flood");
    const auto seen = flood(d.socket());
    int n = 0;
    for (const auto& [status, count] : seen) n += count;
    std::ofstream(counts_path) << (seen.count(504) ? seen.at(504) : 0) << " "
                               << (seen.count(200) ? seen.at(200) : 0) << "\n";
    return n == 512 ? 1 : 0;
  });
  EXPECT_EQ(answered, 1) << "not every request of the flood was answered";
  EXPECT_TRUE(d.running()) << d.log();
  std::size_t timed_out = 0;
  std::size_t signed_ok = 0;
  std::ifstream(counts_path) >> timed_out >> signed_ok;
  EXPECT_GT(timed_out, 0u) << "no request reached its deadline";
  const auto of_the_flooder = [&](const std::string& result) {
    std::size_t n = 0;
    for (const auto& r : d.audit_records("sign", result)) {
      n += r["peer"]["comm"] == "\\xff\\xfe\\xfd-flood";
    }
    return n;
  };
  for (int i = 0; i < 250 && of_the_flooder("error:") < timed_out; ++i) {
    std::this_thread::sleep_for(milliseconds(20));
  }
  EXPECT_EQ(of_the_flooder("error:"), timed_out);
  EXPECT_EQ(of_the_flooder("ok"), signed_ok);
  EXPECT_TRUE(signs(d.socket()) || signs(d.socket()));
}

// A uid with no key at all floods the largest bodies it may send from 100 connections: past its
// refusals it is read at their pace (100 a second), so it gets a few hundred answers in two
// seconds, not tens of thousands, and the uid with a key signs throughout.
TEST(HostileFairness, AUidFloodingRefusalsIsPacedAndAnotherSigns) {
  HostileDaemon d;
  std::atomic<bool> done{false};
  std::thread signer;
  const auto sign_beside_the_flood = [&] {
    signer = std::thread([&] {
      int failures = 0;
      while (!done) failures += !signs(d.socket());
      EXPECT_EQ(failures, 0);
    });
  };
  const int answers = run_as(
      kOtherUid, kOtherGid,
      [&] {
        std::string body = R"({"key":"shop","payload":{"a":")" + std::string(60000, 'x') + "\"}}";
        const std::string request =
            "POST /v1/schemes/jws/sign HTTP/1.1\r\nHost: x\r\nContent-Length: " +
            std::to_string(body.size()) + "\r\n\r\n" + body;
        const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(2);
        std::vector<std::unique_ptr<Client>> clients;
        for (int i = 0; i < 100; ++i) clients.push_back(std::make_unique<Client>(d.socket()));
        std::vector<std::thread> floods;
        std::atomic<int> count{0};
        for (auto& c : clients) {
          floods.emplace_back([&, client = c.get()] {
            try {
              while (std::chrono::steady_clock::now() < until) {
                client->send_raw(request);
                client->read_response();
                ++count;
              }
            } catch (const std::exception&) {  // closed after a 429: this thread is done
            }
          });
        }
        for (auto& t : floods) t.join();
        return std::min(count / 10, 254);  // in tens: it fits an exit status
      },
      sign_beside_the_flood);
  done = true;
  signer.join();
  ASSERT_GE(answers, 0);
  // 200 at once, then 100 a second for a little over two seconds: well under 1,000.
  EXPECT_LT(answers * 10, 1000) << "the flood was not paced";
  EXPECT_TRUE(d.running());
}

// A uid that holds its share of connections is turned away at the door; another uid is not.
TEST(HostileFairness, AUidAtItsConnectionShareCannotBlockAnotherUid) {
  HostileDaemon::Options o;
  o.daemon_extra = "max-connections = 16\nmax-connections-per-uid = 8\n";
  o.key_sections = shared_key();
  HostileDaemon d(o);
  std::vector<std::unique_ptr<Client>> held;
  for (int i = 0; i < 8; ++i) {
    held.push_back(std::make_unique<Client>(d.socket()));
    ASSERT_EQ(held.back()->get("/v1/keys").result_int(), 200u);
  }
  Client ninth(d.socket());
  const auto refused = ninth.read_response();
  EXPECT_EQ(refused.result_int(), 503u);
  EXPECT_EQ(error_code_of(refused), "too_many_connections_per_uid");
  EXPECT_EQ(other_uid_signs(d.socket()), 1);
  const auto refusals = d.audit_records("refuse");
  ASSERT_EQ(refusals.size(), 1u);
  EXPECT_EQ(refusals[0]["peer"]["uid"], ::getuid());
  EXPECT_TRUE(d.running());
}

// 10,000 connections attempted by one uid: it holds its share (512 by default), every other one is
// refused and audited, the other uid signs meanwhile, and every descriptor comes back.
TEST(HostileFairness, TenThousandConnectionsFromOneUid) {
  if (!raise_fd_limit(11000)) GTEST_SKIP() << "RLIMIT_NOFILE too low for 10,000 connections";
  HostileDaemon::Options o;
  o.key_sections = shared_key();
  HostileDaemon d(o);
  const std::size_t idle_fds = open_descriptors(d.pid());
  std::vector<int> fds;
  for (int i = 0; i < 10000; ++i) {
    const int fd = connect_unix(d.socket());
    ASSERT_GE(fd, 0) << "connection " << i << ": " << std::strerror(errno);
    fds.push_back(fd);
  }
  EXPECT_EQ(other_uid_signs(d.socket()), 1);
  for (int fd : fds) ::close(fd);
  EXPECT_TRUE(d.running());
  std::size_t refused = 0;
  for (const auto& rec : d.audit_records("refuse")) {
    refused += rec["result"].get<std::string>().find("too_many_connections") != std::string::npos;
  }
  EXPECT_EQ(refused, 10000u - 512u);
  // The daemon closes the held ones as it sees them go.
  for (int i = 0; i < 500 && open_descriptors(d.pid()) > idle_fds; ++i) {
    std::this_thread::sleep_for(milliseconds(20));
  }
  EXPECT_LE(open_descriptors(d.pid()), idle_fds);
  EXPECT_TRUE(signs(d.socket()));
}

// Out of descriptors (EMFILE), the daemon waits before accepting again instead of spinning, and
// serves again once descriptors are free.
TEST(HostileFairness, OutOfDescriptorsTheAcceptLoopBacksOff) {
  HostileDaemon d;
  rlimit old{};
  ASSERT_EQ(::prlimit(d.pid(), RLIMIT_NOFILE, nullptr, &old), 0) << std::strerror(errno);
  rlimit low = old;  // the soft limit only: it can be raised back without privileges
  low.rlim_cur = open_descriptors(d.pid()) + 4;
  ASSERT_EQ(::prlimit(d.pid(), RLIMIT_NOFILE, &low, nullptr), 0) << std::strerror(errno);
  std::vector<int> fds;
  for (int i = 0; i < 16; ++i) fds.push_back(connect_unix(d.socket()));
  std::this_thread::sleep_for(milliseconds(300));  // it reached EMFILE by now
  const long before = cpu_ticks(d.pid());
  std::this_thread::sleep_for(milliseconds(1000));
  const long used = cpu_ticks(d.pid()) - before;
  // Spinning would use the whole second (100 ticks); a backoff, next to nothing.
  EXPECT_LT(used, 20) << "the daemon used " << used << " ticks of one second at EMFILE";
  EXPECT_NE(d.log().find("Too many open files"), std::string::npos) << d.log();
  for (int fd : fds) ::close(fd);
  ASSERT_EQ(::prlimit(d.pid(), RLIMIT_NOFILE, &old, nullptr), 0);
  bool served = false;
  for (int i = 0; i < 100 && !served; ++i) {
    served = signs(d.socket());
    if (!served) std::this_thread::sleep_for(milliseconds(50));
  }
  EXPECT_TRUE(served);
  EXPECT_TRUE(d.running());
}

// Clients that send half a header and stall, and clients that never read their answers, are cut
// off by read-timeout-ms; the others are served meanwhile.
TEST(HostileFairness, SlowReadersAndWritersAreCutOffAndOthersServed) {
  HostileDaemon::Options o;
  o.daemon_extra = "read-timeout-ms = 500\n";
  HostileDaemon d(o);
  std::vector<int> stalled;
  for (int i = 0; i < 50; ++i) {
    const int fd = connect_unix(d.socket());
    const std::string half = "POST /v1/keys/shop/sign HTTP/1.1\r\nHost: x\r\nContent-Le";
    ASSERT_EQ(::send(fd, half.data(), half.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(half.size()));
    const timeval bound{10, 0};  // a daemon that never answers fails the test, it does not hang it
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &bound, sizeof bound);
    stalled.push_back(fd);
  }
  // Never reads: pipelined requests whose answers fill its socket.
  const int deaf = connect_unix(d.socket());
  std::string many;
  for (int i = 0; i < 2000; ++i) many += "GET /v1/schemes HTTP/1.1\r\nHost: x\r\n\r\n";
  ::send(deaf, many.data(), many.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  EXPECT_TRUE(signs(d.socket()));
  std::this_thread::sleep_for(milliseconds(1500));  // past read-timeout-ms, generously
  char buf[4096];
  for (int fd : stalled) {
    std::string got;
    for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) got.append(buf, n);
    EXPECT_NE(got.find(" 408 "), std::string::npos) << got;
    ::close(fd);
  }
  ::close(deaf);
  EXPECT_TRUE(signs(d.socket()));
  EXPECT_TRUE(d.running());
}

std::string object_of(std::size_t members) {
  std::string text = "{";
  for (std::size_t i = 0; i < members; ++i) {
    text += (i ? ",\"m" : "\"m") + std::to_string(i) + "\":0";
  }
  return text + "}";
}

// Member counts are bounded before anything is parsed; a peer without the key is refused before
// the body is parsed at all.
TEST(HostileFairness, HugeMemberCounts) {
  HostileDaemon::Options o;
  o.daemon_extra = "max-request-bytes = 1048576\n";
  HostileDaemon d(o);
  Client c(d.socket());
  const std::string past = object_of(kMaxJsonMembers + 1);
  auto res = c.post("/v1/schemes/jws/sign", R"({"key":"shop","payload":)" + past + "}");
  EXPECT_EQ(res.result_int(), 400u) << res.body();
  EXPECT_EQ(error_code_of(res), "too_many_members");
  // At the limit, as many objects as a megabyte holds: signed (parsed on a worker).
  std::string wide = R"({"key":"shop","payload":{)";
  for (int i = 0; i < 80; ++i) {
    wide += (i ? ",\"o" : "\"o") + std::to_string(i) + "\":" + object_of(kMaxJsonMembers);
  }
  wide += "}}";
  res = c.post("/v1/schemes/jws/sign", wide);
  EXPECT_EQ(res.result_int(), 200u) << res.body().substr(0, 300);
  // Another uid, no key: 403 without the parse.
  const int refused = run_as(kOtherUid, kOtherGid, [&] {
    Client other(d.socket());
    return static_cast<int>(other.post("/v1/schemes/jws/sign", wide).result_int() / 100);
  });
  EXPECT_EQ(refused, 4);
  EXPECT_TRUE(signs(d.socket()));
}

std::string b64url(const std::string& text) { return base64url_encode(as_bytes(text)); }

std::string nested(std::size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

// Signed payloads nest as deep as a request may and no deeper: at the limit the verify answer
// holds the parsed payload, one level past it the payload as signed; a body past it is refused.
TEST(HostileFairness, DeepPayloads) {
  HostileDaemon d;
  Client c(d.socket());
  for (const std::size_t depth : {kMaxJsonDepth, kMaxJsonDepth + 1}) {
    auto res = c.post("/v1/schemes/jws/sign",
                      R"({"key":"shop","payload_b64":")" + b64url(nested(depth)) + "\"}");
    ASSERT_EQ(res.result_int(), 200u) << res.body();
    const std::string jws = daemon::testing::body_json(res)["jws"];
    res = c.post("/v1/schemes/jws/verify", R"({"key":"shop","jws":")" + jws + "\"}");
    ASSERT_EQ(res.result_int(), 200u) << res.body();
    const auto out = daemon::testing::body_json(res);
    EXPECT_TRUE(out["valid"].get<bool>());
    EXPECT_EQ(out.contains("payload"), depth == kMaxJsonDepth) << depth;
    EXPECT_EQ(out.contains("payload_b64"), depth != kMaxJsonDepth) << depth;
  }
  const auto res = c.post("/v1/keys/shop/sign", nested(kMaxJsonDepth + 1));
  EXPECT_EQ(res.result_int(), 400u);
  EXPECT_EQ(error_code_of(res), "invalid_json");
  EXPECT_TRUE(signs(d.socket()));
}

}  // namespace
}  // namespace p11signd::hostile
