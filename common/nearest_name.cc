#include "common/nearest_name.h"

#include <algorithm>
#include <cctype>
#include <vector>

namespace p11signd {
namespace {

char lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

}  // namespace

// Optimal string alignment distance: Levenshtein plus the swap of two neighbouring characters,
// the commonest typing slip ("allwo" for "allow").
std::size_t edit_distance(std::string_view a, std::string_view b) {
  const std::size_t n = a.size(), m = b.size();
  std::vector<std::vector<std::size_t>> d(n + 1, std::vector<std::size_t>(m + 1));
  for (std::size_t i = 0; i <= n; ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= m; ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= n; ++i) {
    for (std::size_t j = 1; j <= m; ++j) {
      const std::size_t cost = lower(a[i - 1]) == lower(b[j - 1]) ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && lower(a[i - 1]) == lower(b[j - 2]) &&
          lower(a[i - 2]) == lower(b[j - 1])) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[n][m];
}

std::optional<std::string> nearest_name(std::string_view typed,
                                        std::span<const std::string> candidates) {
  const std::size_t allowed = std::max<std::size_t>(1, typed.size() / 3);
  std::optional<std::string> best;
  std::size_t best_distance = allowed + 1;
  for (const std::string& candidate : candidates) {
    // The lengths alone may put it out of reach: then the quadratic distance is not worth it (a
    // hostile configuration can hold a name of megabytes).
    const std::size_t length_gap = typed.size() > candidate.size()
                                       ? typed.size() - candidate.size()
                                       : candidate.size() - typed.size();
    if (length_gap >= best_distance) continue;
    const std::size_t d = edit_distance(typed, candidate);
    if (d == 0) return std::nullopt;
    if (d < best_distance) {
      best = candidate;
      best_distance = d;
    }
  }
  return best;
}

std::string did_you_mean(std::string_view typed, std::span<const std::string> candidates) {
  const auto nearest = nearest_name(typed, candidates);
  return nearest ? " (did you mean '" + *nearest + "'?)" : "";
}

std::string comma_list(std::span<const std::string> names) {
  std::string out;
  for (const std::string& name : names) out += (out.empty() ? "" : ", ") + name;
  return out;
}

}  // namespace p11signd
