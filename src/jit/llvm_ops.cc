// The per-opcode table of llvm_ops.hh, expanded from the IR's description.
#include "jit/llvm_ops.hh"

#include <array>

namespace ember::jit {

namespace {

using interp::IOp;
using interp::kIOpCount;

constexpr bool ends_with_s(const char* name) {
  const char* last = name;
  while (*name) last = name++;
  return *last == 'S';
}

struct Table {
  std::array<OpInfo, kIOpCount> ops{};
  Table() {
#define EMBER_OPK_ROW(k, name, imm, in_, out_, size_)                                  \
  ops[size_t(IOp::name)] = OpInfo{true,       IOp::name,   Variant::Plain, SigKind::k, \
                                  VType::in_, VType::out_, uint8_t(size_), ends_with_s(#name)};
#define EMBER_OPK_Unary(...) EMBER_OPK_ROW(Unary, __VA_ARGS__)
#define EMBER_OPK_Binary(...) EMBER_OPK_ROW(Binary, __VA_ARGS__)
#define EMBER_OPK_Load(...) EMBER_OPK_ROW(Load, __VA_ARGS__)
#define EMBER_OPK_Store(...) EMBER_OPK_ROW(Store, __VA_ARGS__)
#define EMBER_OPK_Binary128(...) EMBER_OPK_ROW(Binary128, __VA_ARGS__)
#define EMBER_OPK_BinaryWide(...) EMBER_OPK_ROW(BinaryWide, __VA_ARGS__)
#define EMBER_OPK_VUnary(...) EMBER_OPK_ROW(VUnary, __VA_ARGS__)
#define EMBER_OPK_VBinary(...) EMBER_OPK_ROW(VBinary, __VA_ARGS__)
#define EMBER_OPK_VTernary(...) EMBER_OPK_ROW(VTernary, __VA_ARGS__)
#define EMBER_OPK_VShift(...) EMBER_OPK_ROW(VShift, __VA_ARGS__)
#define EMBER_OPK_VExtract(...) EMBER_OPK_ROW(VExtract, __VA_ARGS__)
#define EMBER_OPK_VReplace(...) EMBER_OPK_ROW(VReplace, __VA_ARGS__)
#define EMBER_OPK_VLoad(...) EMBER_OPK_ROW(VLoad, __VA_ARGS__)
#define EMBER_OPK_VStore(...) EMBER_OPK_ROW(VStore, __VA_ARGS__)
#define EMBER_OPK_VLoadLane(...) EMBER_OPK_ROW(VLoadLane, __VA_ARGS__)
#define EMBER_OPK_VStoreLane(...) EMBER_OPK_ROW(VStoreLane, __VA_ARGS__)
#define EMBER_OPK_Lowered(name, imm, in_, out_, size_)                                          \
  ops[size_t(IOp::name)] = OpInfo{true,         IOp::name,    Variant::Plain, SigKind::Special, \
                                  VType::Other, VType::Other, uint8_t(size_), false};
#include "ir/operators_by_kind.inc"
#undef EMBER_OPK_ROW
#define EMBER_DERIVED(name, base_, variant_)        \
  ops[size_t(IOp::name)] = ops[size_t(IOp::base_)]; \
  ops[size_t(IOp::name)].variant = Variant::variant_;
#include "interp/ir_derived.def"
  }
};

}  // namespace

const OpInfo& op_info(IOp op) {
  static const Table table;
  return table.ops[size_t(op)];
}

}  // namespace ember::jit
