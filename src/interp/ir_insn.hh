// The IR-only instructions of ir_ops.def as types: one description, read by
// the translator's emitters, the dispatch loop and the verifier.
//
// For each row EMBER_IROP(Name, "layout", x, y) this declares
//
//   struct ir::Name {
//     static constexpr IOp iop = IOp::Name;
//     static constexpr const char* layout = "layout";
//     struct At { enum : int32_t { op_, x, y, words }; };   // word positions
//     uint32_t x, y;                                         // operand values
//   };
//
// so the dispatch loop reads operand x at `pc[ir::Name::At::x]` and steps
// `At::words`, and the translator writes `emit(ir::Name{.x = .., .y = ..})`,
// whose field names and order the compiler checks against the row. For a
// variable-length instruction (`*` in the layout) At::words is the length of
// the fixed part. Positions are signed: the dispatch loop's JUMP adds a
// signed branch offset to one.
#pragma once

#include <array>
#include <bit>
#include <cstdint>

#include "interp/code.hh"

namespace ember::interp::ir {

// Whether a layout string has one letter per named operand (a variable
// layout, `*`, is checked by hand in the verifier).
constexpr bool layout_matches(const char* layout, uint32_t operands) {
  uint32_t n = 0;
  for (const char* c = layout; *c; c++) {
    if (*c == '*') return true;
    n += *c != '!';
  }
  return n == operands;
}

#define EMBER_IROP(name, lay, ...)                                 \
  struct name {                                                    \
    static constexpr IOp iop = IOp::name;                          \
    static constexpr const char* layout = lay;                     \
    struct At {                                                    \
      enum : int32_t { op_, __VA_ARGS__ __VA_OPT__(, ) words };    \
    };                                                             \
    __VA_OPT__(uint32_t __VA_ARGS__;)                              \
  };                                                               \
  static_assert(layout_matches(name::layout, name::At::words - 1), \
                "ir_ops.def: " #name " names one operand per layout letter");
#include "interp/ir_ops.def"

// The instructions operators.def rows lower to 1:1, by signature kind
// (ir_kinds.def): `ir::kind::Binary::At::a` is the position of a Binary
// instruction's first operand, `At::words` its length.
namespace kind {

constexpr bool is_immediate_letter(char c) {
  return c == 'i' || c == 'n' || c == 'N' || c == 'l';
}
// The order Translator::generic writes: the result (operand `d`, when there
// is one), then the immediates, then the source slots.
constexpr bool generic_order(const char* layout, bool has_result) {
  const char* c = layout + (has_result ? 1 : 0);
  while (*c && is_immediate_letter(*c)) c++;
  for (; *c; c++)
    if (is_immediate_letter(*c)) return false;
  return true;
}
// The source slots of a layout in generic()'s order: the letters after the
// result and the immediates.
constexpr uint32_t source_count(const char* layout, bool has_result) {
  uint32_t n = 0;
  for (const char* c = layout + (has_result ? 1 : 0); *c; c++) n += !is_immediate_letter(*c);
  return n;
}
template <class At>
constexpr bool has_result = requires { At::d; };

#define EMBER_IRKIND(name, lay, ...)                                            \
  struct name {                                                                 \
    static constexpr const char* layout = lay;                                  \
    struct At {                                                                 \
      enum : int32_t { op_, __VA_ARGS__, words };                               \
    };                                                                          \
    static constexpr bool result = has_result<At>;                              \
    static constexpr uint32_t sources = source_count(lay, result);              \
  };                                                                            \
  static_assert(layout_matches(name::layout, name::At::words - 1),              \
                "ir_kinds.def: " #name " names one operand per layout letter"); \
  static_assert(generic_order(name::layout, name::result),                      \
                "ir_kinds.def: " #name " is not in generic()'s order");
#define EMBER_IRSHAPE(name, sig_kind, imm_kind, lay, ...) EMBER_IRKIND(name, lay, __VA_ARGS__)
#include "interp/ir_kinds.def"

}  // namespace kind

// The variants of ir_derived.def (ir_kinds.def's EMBER_IRVARIANT rows):
// `ir::variant::LoadAddImm<>::k` is the position of the constant a LoadAddImm
// adds to its address, `ir::variant::BinaryImm<2>::words` the length of an
// i64/f64 NImm instruction (W: the words of a `w` immediate).
namespace variant {

// The word of operand `index` in `layout` (the opcode is word 0), or the
// instruction's length for index == the operand count.
constexpr int32_t position(const char* layout, int32_t index, int32_t w) {
  int32_t pos = 1, k = 0;
  for (const char* c = layout; *c && k < index; c++, k++) pos += *c == 'w' ? w : 1;
  return pos;
}

#define EMBER_IRV_PARENS ()
#define EMBER_IRV_EXPAND(...) EMBER_IRV_EXPAND2(EMBER_IRV_EXPAND2(__VA_ARGS__))
#define EMBER_IRV_EXPAND2(...) EMBER_IRV_EXPAND1(EMBER_IRV_EXPAND1(__VA_ARGS__))
#define EMBER_IRV_EXPAND1(...) __VA_ARGS__
#define EMBER_IRV_FOR_EACH(m, ...) __VA_OPT__(EMBER_IRV_EXPAND(EMBER_IRV_FOR_EACH_(m, __VA_ARGS__)))
#define EMBER_IRV_FOR_EACH_(m, x, ...) \
  m(x) __VA_OPT__(EMBER_IRV_FOR_EACH_AGAIN EMBER_IRV_PARENS(m, __VA_ARGS__))
#define EMBER_IRV_FOR_EACH_AGAIN() EMBER_IRV_FOR_EACH_
#define EMBER_IRV_POSITION(x) static constexpr int32_t x = position(layout, Index::x, W);

#define EMBER_IRVARIANT(variant_name, kind_name, lay, ...)                     \
  template <int32_t W = 1>                                                     \
  struct kind_name##variant_name {                                             \
    static constexpr const char* layout = lay;                                 \
    struct Index {                                                             \
      enum : int32_t { __VA_ARGS__, count_ };                                  \
    };                                                                         \
    EMBER_IRV_FOR_EACH(EMBER_IRV_POSITION, __VA_ARGS__)                        \
    static constexpr int32_t words = position(layout, Index::count_, W);       \
  };                                                                           \
  static_assert(layout_matches(lay, kind_name##variant_name<>::Index::count_), \
                "ir_kinds.def: " #kind_name #variant_name " names one operand per layout letter");
#define EMBER_IRKIND(...)
#include "interp/ir_kinds.def"

#undef EMBER_IRV_POSITION

}  // namespace variant

// The operand words of an instruction value, in order.
template <class I>
std::array<uint32_t, I::At::words - 1> operand_words(const I& insn) {
  if constexpr (I::At::words == 1) {
    return {};
  } else {
    static_assert(sizeof(I) == sizeof(uint32_t) * (I::At::words - 1));
    return std::bit_cast<std::array<uint32_t, I::At::words - 1>>(insn);
  }
}

}  // namespace ember::interp::ir
