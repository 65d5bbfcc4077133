// The out-of-line SIMD operators of simd_thunks.hh, expanded from
// ir/operators.def with the semantics of interp/simd.hh.
#include <array>
#include <cstdint>
#include <cstring>

#include "interp/numeric.hh"
#include "interp/simd.hh"
#include "jit/simd_thunks.hh"

namespace ember::jit {

namespace {

using interp::IOp;
using simd::V128;

uint32_t read_I32(const void* p) {
  uint32_t x;
  std::memcpy(&x, p, 4);
  return x;
}
uint64_t read_I64(const void* p) {
  uint64_t x;
  std::memcpy(&x, p, 8);
  return x;
}
float read_F32(const void* p) {
  return num::f32_from(read_I32(p));
}
double read_F64(const void* p) {
  return num::f64_from(read_I64(p));
}
V128 read_V128(const void* p) {
  return simd::load(p);
}
void write_V128(void* p, V128 v) {
  simd::store(p, v);
}
void write_I32(void* p, uint32_t v) {
  uint64_t x = v;
  std::memcpy(p, &x, 8);
}

#define EMBER_OPK_VUnary(name, imm, in, out, size) \
  void t_##name(void* d, const void* a) {          \
    write_##out(d, simd::name(read_##in(a)));      \
  }
#define EMBER_OPK_VBinary(name, imm, in, out, size) EMBER_THUNK_VBinary_##imm(name)
#define EMBER_THUNK_VBinary_None(name)                     \
  void t_##name(void* d, const void* a, const void* b) {   \
    write_V128(d, simd::name(read_V128(a), read_V128(b))); \
  }
#define EMBER_THUNK_VBinary_Shuffle(name)
#define EMBER_OPK_VTernary(name, imm, in, out, size)                     \
  void t_##name(void* d, const void* a, const void* b, const void* c) {  \
    write_V128(d, simd::name(read_V128(a), read_V128(b), read_V128(c))); \
  }
#define EMBER_OPK_VShift(name, imm, in, out, size)    \
  void t_##name(void* d, const void* a, uint32_t n) { \
    write_V128(d, simd::name(read_V128(a), n));       \
  }
#include "ir/operators_by_kind.inc"

struct Table {
  std::array<const void*, interp::kIOpCount> fns{};
  Table() {
#define EMBER_THUNK_ROW(name) fns[size_t(IOp::name)] = reinterpret_cast<const void*>(&t_##name);
#define EMBER_OPK_VUnary(name, imm, in, out, size) EMBER_THUNK_ROW(name)
#define EMBER_OPK_VBinary(name, imm, in, out, size) EMBER_THUNK_ROW_##imm(name)
#define EMBER_THUNK_ROW_None(name) EMBER_THUNK_ROW(name)
#define EMBER_THUNK_ROW_Shuffle(name)
#define EMBER_OPK_VTernary(name, imm, in, out, size) EMBER_THUNK_ROW(name)
#define EMBER_OPK_VShift(name, imm, in, out, size) EMBER_THUNK_ROW(name)
#include "ir/operators_by_kind.inc"
#undef EMBER_THUNK_ROW
#undef EMBER_THUNK_ROW_None
#undef EMBER_THUNK_ROW_Shuffle
  }
};

#undef EMBER_THUNK_VBinary_None
#undef EMBER_THUNK_VBinary_Shuffle

}  // namespace

const void* simd_thunk(IOp op) {
  static const Table table;
  return size_t(op) < table.fns.size() ? table.fns[size_t(op)] : nullptr;
}

}  // namespace ember::jit
