// Compile-time checks that the public enumerations (include/ember/types.hh)
// agree with the engine's tables.
//
// Feature and TrapCode are written out by hand in the public header, which
// may include nothing outside include/ember/; the tables (src/ir/features.def,
// src/ir/traps.def) hold their names, defaults and messages, indexed by the
// enumerator's value (src/ir/types.cc). Here each table row is expanded once
// more: a row without its enumerator, an enumerator out of place, or one with
// no row fails the build and names the enumerator.
#include "ember/types.hh"

namespace ember {
namespace {

// The enumerations the tables themselves describe, in row order.
enum class FeatureRow : uint8_t {
  Core,
#define EMBER_FEATURE(name, ...) name,
#include "ir/features.def"
  Count_
};
enum class TrapRow : uint8_t {
  None,
#define EMBER_TRAP(name, ...) name,
#include "ir/traps.def"
  Count_
};

#define EMBER_FEATURE(name, ...)                                                               \
  static_assert(static_cast<uint8_t>(Feature::name) == static_cast<uint8_t>(FeatureRow::name), \
                "Feature::" #name                                                              \
                " (include/ember/types.hh) is not in the place of its "                        \
                "row in src/ir/features.def");
#include "ir/features.def"
static_assert(static_cast<uint8_t>(Feature::Core) == static_cast<uint8_t>(FeatureRow::Core));
static_assert(static_cast<uint8_t>(Feature::Count_) == static_cast<uint8_t>(FeatureRow::Count_),
              "include/ember/types.hh lists a Feature that src/ir/features.def has no row for");
static_assert(kFeatureCount <= 32, "FeatureSet keeps one bit per feature in 32 bits");

#define EMBER_TRAP(name, ...)                                                                \
  static_assert(static_cast<uint8_t>(TrapCode::name) == static_cast<uint8_t>(TrapRow::name), \
                "TrapCode::" #name                                                           \
                " (include/ember/types.hh) is not in the place of its "                      \
                "row in src/ir/traps.def");
#include "ir/traps.def"
static_assert(static_cast<uint8_t>(TrapCode::None) == 0,
              "TrapCode::None is 0: \"no trap\" tests cheaply");
static_assert(static_cast<uint8_t>(TrapCode::Count_) == static_cast<uint8_t>(TrapRow::Count_),
              "include/ember/types.hh lists a TrapCode that src/ir/traps.def has no row for");

}  // namespace
}  // namespace ember
