#include "tests/testing/fault_control.h"

#include <cstdlib>
#include <fstream>
#include <stdexcept>

#include "tests/testing/softhsm.h"

namespace p11signd::testing {

FaultControl::FaultControl(const std::filesystem::path& dir)
    : control_(dir / "faults.conf"), log_(dir / "faults.log") {
  clear();
  ::setenv("P11FAULTY_MODULE", softhsm_module().c_str(), 1);
  ::setenv("P11FAULTY_CONTROL", control_.c_str(), 1);
  ::setenv("P11FAULTY_LOG", log_.c_str(), 1);
}

std::string FaultControl::module_path() { return P11SIGND_FAULTY_MODULE; }

void FaultControl::set(const std::string& rules) const {
  const auto tmp = control_.string() + ".new";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << rules << '\n';
    if (!out.flush()) throw std::runtime_error("cannot write " + tmp);
  }
  std::filesystem::rename(tmp, control_);
}

int FaultControl::count_log(const std::string& prefix) const {
  std::ifstream in(log_);
  int n = 0;
  for (std::string line; std::getline(in, line);) n += line.starts_with(prefix);
  return n;
}

}  // namespace p11signd::testing
