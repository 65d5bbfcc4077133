// The SIMD semantics the interpreter uses (intrinsic paths included), as a
// table for simd_portable_test.cc.
#include <cstring>
#include <span>

#include "interp/simd.hh"
#include "simd_ops_table.inc"

namespace ember::simd_test {
std::span<const OpEntry> native_ops() {
  return simd::kOps;
}
}  // namespace ember::simd_test
