// The lowering interface: what the function-body validator drives.
//
// Place: between validation (src/validate/func_validate.cc) and any code
// generator. The validator decodes and type-checks each operator, then makes
// exactly one call here describing it, in program order; so every call
// describes a well-typed operator and an implementation never re-checks
// types. The interpreter's translator (src/interp/translate.hh) is one
// implementation; a compiled tier is another. Implementations are chosen by
// the compile driver (src/compile/), never by the validator, which includes
// no code generator's headers.
//
// Immediates arrive decoded: indices, offsets, lanes. Operand types are those
// of the operator's row in ir/operators.def unless a parameter says otherwise.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <span>
#include <vector>

#include "ir/module.hh"
#include "support/error.hh"

namespace ember {

class Lowering {
 public:
  using Types = std::span<const ValType>;
  virtual ~Lowering() = default;

  // `locals`: the types of all locals, params first; `catch_depth`: how
  // deeply legacy catch blocks nest in the body (each level keeps its
  // exception for rethrow). `operand_types` is the validator's operand
  // stack, readable until finish_function: during each call below (in
  // reachable code) it holds the types of the operands under the
  // operator's inputs, then those of its results -- what a code generator
  // needs for stack maps.
  virtual void begin_function(uint32_t func_index, const FuncType& type,
                              const std::vector<ValType>& locals, uint32_t catch_depth,
                              const std::vector<ValType>& operand_types) = 0;
  // After the function's final `end`; may refuse (e.g. an unreasonably big frame).
  virtual Status finish_function() = 0;
  // Byte offset of the operator about to be lowered (for backtraces).
  virtual void at(uint64_t offset) = 0;
  // Fuel cost of the operator about to be lowered (before its call).
  virtual void charge(Op op) = 0;

  // Control.
  virtual void unreachable() = 0;
  virtual void block(Types params, Types results) = 0;
  virtual void loop(Types params, Types results) = 0;
  virtual void if_(Types params, Types results) = 0;
  virtual void else_() = 0;
  virtual void end() = 0;
  virtual void br(uint32_t depth) = 0;
  virtual void br_if(uint32_t depth) = 0;
  virtual void br_table(std::span<const uint32_t> depths) = 0;  // last entry = default
  virtual void return_() = 0;
  virtual void call(uint32_t func, const FuncType& type) = 0;
  // `type_id`: the engine-canonical id of the expected signature.
  virtual void call_indirect(uint32_t type_id, uint32_t table, const FuncType& type) = 0;
  virtual void return_call(uint32_t func, const FuncType& type) = 0;
  virtual void return_call_indirect(uint32_t type_id, uint32_t table, const FuncType& type) = 0;
  // Typed function references: the callee (non-null checked) is on top.
  virtual void call_ref(uint32_t type_id, const FuncType& type) = 0;
  virtual void return_call_ref(uint32_t type_id, const FuncType& type) = 0;
  // The reference on top traps if null (ref.as_non_null), or branches to
  // `depth` when null (dropped) / non-null (kept).
  virtual void ref_as_non_null() = 0;
  virtual void br_on_null(uint32_t depth) = 0;
  virtual void br_on_non_null(uint32_t depth) = 0;

  // Exceptions. throw_: the payload (`type`'s params) is on the stack;
  // throw_ref: an exnref is. try_table is a block whose `catches` label
  // depths count from outside it (the try_table's own label not included).
  virtual void throw_(uint32_t tag, const FuncType& type) = 0;
  virtual void throw_ref() = 0;
  virtual void try_table(Types params, Types results, std::span<const CatchClause> catches) = 0;
  // The legacy instructions: try opens a block whose body the following
  // catch/catch_all blocks handle (catch_: the payload, `type`'s params, is
  // pushed); delegate ends a try without catches, handing what its body
  // throws to label `depth` (counted outside the try); rethrow throws again
  // what the catch block at `depth` caught.
  virtual void try_(Types params, Types results) = 0;
  virtual void catch_(uint32_t tag, const FuncType& type) = 0;
  virtual void catch_all() = 0;
  virtual void delegate(uint32_t depth) = 0;
  virtual void rethrow(uint32_t depth) = 0;

  // Parametric and variables.
  virtual void drop() = 0;
  virtual void select() = 0;
  virtual void local_get(uint32_t x) = 0;
  virtual void local_set(uint32_t x) = 0;
  virtual void local_tee(uint32_t x) = 0;
  virtual void constant(uint64_t bits) = 0;  // i32/i64/f32/f64 bits, or a null reference (0)
  virtual void constant_v128(uint64_t lo, uint64_t hi) = 0;
  // `global.get` / `global.set` of a global of type `t`.
  virtual void global_get(uint32_t g, ValType t) = 0;
  virtual void global_set(uint32_t g, ValType t) = 0;

  // Numeric operators (Unary/Binary rows of operators.def).
  virtual void unary(Op op) = 0;
  virtual void binary(Op op) = 0;
  // Wide arithmetic (Binary128/BinaryWide rows): the operands, then two
  // results, the low and high halves of a 128-bit integer (low pushed first).
  virtual void wide_arith(Op op) = 0;
  // Loads and stores; `addr64`: the memory is a memory64 (then the offset
  // may exceed 32 bits); `mem`: its index.
  virtual void load(Op op, uint64_t offset, bool addr64, uint32_t mem) = 0;
  virtual void store(Op op, uint64_t offset, bool addr64, uint32_t mem) = 0;
  // A SIMD operator of any V* shape but the accesses; `imms`: its lane, if any.
  virtual void simd(Op op, std::initializer_list<uint32_t> imms) = 0;
  // A SIMD access (VLoad, VStore, VLoadLane, VStoreLane rows), described as
  // load/store describe theirs; `lane`: the lane of a VLoadLane/VStoreLane
  // row (0 for the others).
  virtual void simd_access(Op op, uint64_t offset, bool addr64, uint32_t mem, uint32_t lane) = 0;
  // An atomic access (threads: the AtomicLoad/Store/Rmw/Cmpxchg/Wait rows,
  // memory.atomic.notify included), described as load/store describe theirs.
  virtual void atomic(Op op, uint64_t offset, bool addr64, uint32_t mem) = 0;
  virtual void atomic_fence() = 0;
  // i8x16.shuffle with its 16 lane indices (each < 32).
  virtual void shuffle(const uint8_t* lanes) = 0;
  // The operators that name an entity: ref.is_null, ref.func (function),
  // memory.size/grow/init/copy/fill and data.drop (memories, data segments),
  // table.get/set/grow/size/fill/init/copy and elem.drop (tables, element
  // segments). `imms` in the order of the binary format except memory.init
  // and table.init, which give (memory|table, segment); `count64`: the
  // count operand of a bulk operator is an i64.
  virtual void entity_op(Op op, std::initializer_list<uint32_t> imms, bool count64 = false) = 0;

  // GC. `type` is a struct or array type index of the module and `fields`
  // its declared fields (an array's one element). struct_new: the field
  // values are on the stack (none for `default_init`); struct_get: `sign`
  // sign-extends a packed field (struct.get_s).
  virtual void struct_new(uint32_t type, std::span<const FieldType> fields, bool default_init) = 0;
  virtual void struct_get(uint32_t type, std::span<const FieldType> fields, uint32_t field,
                          bool sign) = 0;
  virtual void struct_set(uint32_t type, std::span<const FieldType> fields, uint32_t field) = 0;
  // The array.* rows but array.len, operands as the spec orders them.
  // `imm`: the element count (new_fixed), the data or elem segment
  // (new_data, new_elem, init_data, init_elem) or the source type (copy).
  virtual void array_op(Op op, uint32_t type, const FieldType& elem, uint32_t imm) = 0;
  // ref.test / ref.cast to `target` (concrete types the module's indices);
  // br_on_cast(_fail) to label `depth` (the reference stays on top).
  virtual void ref_test(ValType target) = 0;
  virtual void ref_cast(ValType target) = 0;
  virtual void br_on_cast(uint32_t depth, ValType target, bool on_fail) = 0;
  // ref.eq, ref.i31, i31.get_s/u, array.len, any.convert_extern and
  // extern.convert_any: operands and result as in operators.def's rows.
  virtual void gc_simple(Op op) = 0;
};

}  // namespace ember
