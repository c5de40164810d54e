#pragma once
// One PKCS#11 session, closed when the object goes - unless the module was re-initialised or the
// token closed it (handle_lost()): a stale handle number may by then belong to someone else's new
// session, so it is forgotten, never closed. A session belongs to one thread at a time.

#include <cstdint>

#include "pkcs11/cryptoki.h"
#include "pkcs11/module.h"

namespace p11signd::pkcs11 {

class Session final {
 public:
  Session() = default;
  // Opens a session on slot; rw for key creation and certificate storage, read-only for signing.
  Session(const Module& module, CK_SLOT_ID slot, bool rw);
  ~Session();
  Session(Session&& other) noexcept;
  Session& operator=(Session&& other) noexcept;
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  CK_SESSION_HANDLE handle() const { return handle_; }
  bool is_open() const { return module_ != nullptr; }
  // Closes the session now (it is known to be valid).
  void close();
  // Forgets the handle without closing it: the token already closed it.
  void handle_lost();

 private:
  const Module* module_ = nullptr;
  CK_SESSION_HANDLE handle_ = CK_INVALID_HANDLE;
  std::uint64_t module_generation_ = 0;
};

}  // namespace p11signd::pkcs11
