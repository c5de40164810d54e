#include "pkcs11/session.h"

#include <utility>

namespace p11signd::pkcs11 {

Session::Session(const Module& module, CK_SLOT_ID slot, bool rw)
    : module_(&module), module_generation_(module.generation()) {
  const CK_FLAGS flags = CKF_SERIAL_SESSION | (rw ? CKF_RW_SESSION : 0);
  try {
    module.call<&CK_FUNCTION_LIST::C_OpenSession>(slot, flags, nullptr, nullptr, &handle_);
  } catch (...) {
    module_ = nullptr;
    throw;
  }
}

Session::~Session() { close(); }

Session::Session(Session&& other) noexcept
    : module_(std::exchange(other.module_, nullptr)),
      handle_(std::exchange(other.handle_, CK_INVALID_HANDLE)),
      module_generation_(other.module_generation_) {}

Session& Session::operator=(Session&& other) noexcept {
  if (this != &other) {
    close();
    module_ = std::exchange(other.module_, nullptr);
    handle_ = std::exchange(other.handle_, CK_INVALID_HANDLE);
    module_generation_ = other.module_generation_;
  }
  return *this;
}

void Session::close() {
  if (module_ == nullptr) return;
  if (module_->generation() == module_generation_) {
    module_->call_rv(&CK_FUNCTION_LIST::C_CloseSession, handle_);  // errors: nothing left to do
  }
  handle_lost();
}

void Session::handle_lost() {
  module_ = nullptr;
  handle_ = CK_INVALID_HANDLE;
}

}  // namespace p11signd::pkcs11
