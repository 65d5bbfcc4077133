// Script values for the .wast runner: arguments to call slots, results
// against expectations (NaN patterns, lanes, references), printing, and the
// `spectest` host module.
#pragma once

#include <map>
#include <string>
#include <unordered_map>

#include "runtime/runtime.hh"
#include "text/wast.hh"

namespace ember::wast {

// Externref objects of a script: `ref.extern N` always yields the same object
// (held as a root, so no collection frees it).
class ExternRefs {
 public:
  explicit ExternRefs(rt::StoreData& s) : store_(s) {}
  rt::ExternObj* get(uint64_t id);

 private:
  rt::StoreData& store_;
  struct Held {
    rt::ExternObj* obj;
    std::shared_ptr<rt::GcRoot> root;
  };
  std::unordered_map<uint64_t, Held> objs_;
};

// Writes an argument into slots (two for v128). False if the value cannot be
// passed as type `t`.
bool arg_to_slots(const Value& v, ValType t, rt::Slot* out, ExternRefs& refs);

// Whether the result of type `t` held in `slots` matches `expected`.
bool result_matches(const Value& expected, ValType t, const rt::Slot* slots);

std::string describe_result(ValType t, const rt::Slot* slots);
std::string describe_expected(const Value& v);

// Exports of the `spectest` module, created in `s`.
std::map<std::string, rt::Extern> make_spectest(rt::StoreData& s);

}  // namespace ember::wast
