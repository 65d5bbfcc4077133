// WAST script parser.
//
// Place in the pipeline: reads a .wast script (the spec testsuite format) into
// a list of commands for the in-process runner (src/wast). Modules are kept as
// source (text, quoted strings or binary bytes) and converted on demand with
// ModuleSource::to_binary(), so a runner can classify conversion failures as
// the script expects (assert_malformed on `module quote`).
//
// Invariants: parse_script never crashes on bad input; any unknown command or
// syntax error yields ErrorKind::Malformed with the line:column.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ir/types.hh"
#include "support/error.hh"

namespace ember::wast {

// What a script value is. Arguments are numbers, v128s, `ref.null`,
// `ref.extern N` and `ref.host N`; results may also be patterns that match a
// kind of reference or a NaN.
enum class ValueKind {
  I32,
  I64,
  F32,
  F64,
  V128,
  RefNull,    // (ref.null ht?): a null reference; ht is in `type` (see ref_null_any)
  RefExtern,  // (ref.extern N?): the host reference N, as an externref
  RefFunc,    // (ref.func N?): a function reference (result: any if no N)
  RefHost,    // (ref.host N): the host reference N (a result: in any hierarchy,
              // e.g. internalized into anyref by any.convert_extern)
  RefAny,     // (ref.any), result only: any non-null reference
  RefEq,      // (ref.eq), result only: a non-null eq reference (i31, struct or array)
  RefI31,     // (ref.i31), result only: a non-null i31 reference
  RefStruct,  // (ref.struct), result only: a non-null struct reference
  RefArray,   // (ref.array), result only: a non-null array reference
  NanCanonical,
  NanArithmetic,
  Either
};

// An argument or an expected result.
struct Value {
  ValueKind kind = ValueKind::I32;
  // For I32..V128 and NaN patterns: the number type. For refs: the reference
  // type named: (ref null ht) for ref.null ht (FuncRef when no ht is given),
  // ExternRef for ref.extern / ref.host, FuncRef for ref.func, and the
  // non-null (ref any|eq|i31|struct|array) for the result-only patterns.
  ValType type = ValType::I32;
  uint64_t bits = 0;     // i32/i64 value, f32/f64 bit pattern, extern/host ref id
  uint64_t bits_hi = 0;  // v128 upper half
  // v128 expected results may have per-lane NaN patterns: lane shape + per-lane
  // kinds. lane_bits is 0 unless a v128 written with lanes (8/16/32/64).
  uint8_t lane_bits = 0;
  std::vector<Value> lanes;         // per-lane values (each F32/F64/I.. or NaN pattern)
  std::vector<Value> alternatives;  // kind == Either
  bool ref_func_any = false;        // `ref.func` with no index in a result
  bool ref_null_any = false;        // `ref.null` in a result with no heap type or
                                    // one other than func, extern and exn
  bool ref_extern_any = false;      // `ref.extern` with no id in a result
};

struct ModuleSource {
  enum Kind { Text, Binary, Quote } kind = Text;
  std::optional<std::string> id;  // $name
  bool is_definition = false;     // (module definition ...) 3.0
  // Text: the exact "(module ...)" source; Quote: the concatenated strings.
  std::string text;
  std::vector<uint8_t> bytes;  // Binary
  uint32_t line = 0;
  // assert_{malformed,invalid}_custom: annotations that do not apply are errors.
  bool strict_annotations = false;
  // Text/Quote -> wat_to_wasm (in the text format of `features`); Binary -> bytes.
  Expected<std::vector<uint8_t>> to_binary(
      const FeatureSet& features = FeatureSet::defaults()) const;
};

struct Action {
  enum Kind { Invoke, Get } kind = Invoke;
  std::optional<std::string> module_id;
  std::string field;  // UTF-8 name, escapes decoded
  std::vector<Value> args;
};

enum class CommandKind {
  Module,
  ModuleInstance,
  Register,
  Action,
  AssertReturn,
  AssertTrap,
  AssertExhaustion,
  AssertInvalid,
  AssertMalformed,
  AssertUnlinkable,
  AssertUninstantiable,
  AssertException
};

struct Command {
  CommandKind kind = CommandKind::Module;
  uint32_t line = 0;
  // Module / Assert{Invalid,Malformed,Unlinkable,Uninstantiable}, AssertTrap on a module.
  ModuleSource module;
  bool has_module = false;  // AssertTrap may hold a module instead of an action
  Action action;  // Action / AssertReturn / AssertTrap / AssertExhaustion / AssertException
  std::vector<Value> expected;                 // AssertReturn
  std::string message;                         // expected failure text
  std::string register_name;                   // Register: "as" name
  std::optional<std::string> register_module;  // Register: which module ($id), else the latest
  std::optional<std::string> instance_id, definition_id;  // ModuleInstance (3.0)
};

struct Script {
  std::vector<Command> commands;
};

Expected<Script> parse_script(std::string_view text);

}  // namespace ember::wast
