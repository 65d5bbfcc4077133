// The function-body validator's class (internal to src/validate): the
// operand and control stacks of the spec's validation algorithm, shared by
// func_validate.cc (core operators) and gc_validate.cc (the GC proposal).
#pragma once

#include <string>
#include <vector>

#include "binary/operator_reader.hh"
#include "binary/reader.hh"
#include "validate/func_validate.hh"

namespace ember {

constexpr ValType kUnknown = ValType::Bottom;  // the type of values in unreachable code

class FuncValidator {
 public:
  FuncValidator(const ModuleContext& cx, uint32_t defined_index, Lowering& out)
      : cx_(cx),
        m_(cx.m),
        r_(m_.bytes.data() + m_.bodies[defined_index].offset, m_.bodies[defined_index].size,
           m_.bodies[defined_index].offset),
        ops_(r_, m_, cx.features, OperatorReader::Context::FunctionBody),
        out_(out),
        func_index_(m_.num_imported_funcs + defined_index) {}

  Status run();

 private:
  struct Ctrl {
    Op op;
    std::vector<ValType> params, results;
    uint32_t height;
    bool unreachable = false;
    uint32_t init_height = 0;  // inits_ at entry: locals set inside are reset at its end
  };

  [[gnu::cold]] Error invalid(std::string msg) const {
    return Error(ErrorKind::Invalid, std::move(msg), op_offset_);
  }
  [[gnu::cold]] Error malformed(std::string msg) const {
    return Error(ErrorKind::Malformed, std::move(msg), op_offset_);
  }

  Status read_locals();
  Status operator_(const Instr& in);
  Status special(const Instr& in);
  Status memarg(const Instr& in, uint32_t* mem, uint64_t* offset);
  Status memory_op(const Instr& in);
  Status atomic_op(const Instr& in);
  Status simd_op(const Instr& in);
  Status simd_memory_op(const Instr& in);
  Status lane_index(const Instr& in, uint32_t* lane);
  Status bulk_op(const Instr& in);
  Status table_op(const Instr& in);
  Status control_op(const Instr& in);
  Status call_op(const Instr& in);
  Status call_ref_op(const Instr& in);
  Status null_op(const Instr& in);
  Status exception_op(const Instr& in);
  Status legacy_op(const Instr& in);
  // GC (gc_validate.cc).
  Status gc_op(const Instr& in);
  Status simple_gc_op(const Instr& in);
  Status struct_op(const Instr& in);
  Status array_op(const Instr& in);
  Status cast_op(const Instr& in);
  Status gc_type(uint32_t x, CompKind kind, const TypeDecl** out) const;
  uint32_t legacy_catch_depth() const;
  Status check_tag(uint32_t tag) const {
    if (tag >= m_.tags.size()) return invalid("unknown tag " + std::to_string(tag));
    return Status::Ok();
  }
  const FuncType& tag_type(uint32_t tag) const { return m_.types[m_.tags[tag]]; }

  // Types. A concrete heap type must name a type of the module; subtyping
  // compares canonical ids (the module's types are interned already).
  Status check_type(ValType t) const {
    if (t.has_index() && t.index() >= m_.types.size())
      return invalid("unknown type " + std::to_string(t.index()));
    return Status::Ok();
  }
  Status check_func_type(uint32_t t) const {
    if (t >= m_.types.size()) return invalid("unknown type " + std::to_string(t));
    if (!m_.is_func_type(t))
      return invalid("type mismatch: type " + std::to_string(t) + " is not a function type");
    return Status::Ok();
  }
  bool matches(ValType a, ValType b) const { return m_.subtype(a, b, *cx_.types); }
  bool all_match(const std::vector<ValType>& as, const std::vector<ValType>& bs) const {
    if (as.size() != bs.size()) return false;
    for (size_t i = 0; i < as.size(); i++)
      if (!matches(as[i], bs[i])) return false;
    return true;
  }

  // Operand stack.
  void push(ValType t) { vals_.push_back(t); }
  void push_all(const std::vector<ValType>& ts) {
    for (ValType t : ts) push(t);
  }
  Status pop_any(ValType* out) {
    const Ctrl& c = ctrls_.back();
    if (vals_.size() == c.height) {
      if (c.unreachable) {
        *out = kUnknown;
        return Status::Ok();
      }
      return invalid("type mismatch");
    }
    *out = vals_.back();
    vals_.pop_back();
    return Status::Ok();
  }
  Status pop(ValType expect, ValType* actual = nullptr) {
    ValType t = kUnknown;
    EMBER_TRY(pop_any(&t));
    if (!matches(t, expect)) return invalid("type mismatch");
    if (actual) *actual = t;
    return Status::Ok();
  }
  // A reference of any type (Bottom in unreachable code).
  Status pop_ref(ValType* out) {
    EMBER_TRY(pop_any(out));
    if (!out->is_bottom() && !out->is_ref()) return invalid("type mismatch");
    return Status::Ok();
  }
  Status pop_all(const std::vector<ValType>& ts, std::vector<ValType>* actual = nullptr) {
    if (actual) actual->assign(ts.size(), kUnknown);
    for (size_t i = ts.size(); i-- > 0;) {
      ValType a = kUnknown;
      EMBER_TRY(pop(ts[i], &a));
      if (actual) (*actual)[i] = a;
    }
    return Status::Ok();
  }
  // Locals that need initialising (non-defaultable: non-nullable
  // references) are set or not per block: a set inside a block is undone
  // at its end (and at else).
  void init_local(uint32_t x) {
    if (local_set_[x]) return;
    local_set_[x] = true;
    inits_.push_back(x);
  }
  void reset_inits(uint32_t height) {
    while (inits_.size() > height) {
      local_set_[inits_.back()] = false;
      inits_.pop_back();
    }
  }
  void push_ctrl(Ctrl c) {
    c.init_height = uint32_t(inits_.size());
    ctrls_.push_back(std::move(c));
  }
  void set_unreachable() {
    Ctrl& c = ctrls_.back();
    vals_.resize(c.height);
    c.unreachable = true;
  }
  const std::vector<ValType>& label_types(const Ctrl& c) const {
    return c.op == Op::Loop ? c.params : c.results;
  }
  Status label(uint32_t depth, const Ctrl** out) {
    if (depth >= ctrls_.size()) return invalid("unknown label");
    *out = &ctrls_[ctrls_.size() - 1 - depth];
    return Status::Ok();
  }

  // Immediates and index checks.
  Status block_type(const BlockType& bt, std::vector<ValType>* params,
                    std::vector<ValType>* results);
  Status check_memory(uint32_t mem) {
    if (mem >= m_.memories.size()) return invalid("unknown memory " + std::to_string(mem));
    return Status::Ok();
  }
  Status check_table(uint32_t t) {
    if (t >= m_.tables.size()) return invalid("unknown table " + std::to_string(t));
    return Status::Ok();
  }
  Status check_data(uint32_t d) {  // the reader checked that the count exists
    if (d >= *m_.data_count) return invalid("unknown data segment " + std::to_string(d));
    return Status::Ok();
  }
  Status check_elem(uint32_t e) {
    if (e >= m_.elems.size()) return invalid("unknown elem segment " + std::to_string(e));
    return Status::Ok();
  }
  ValType addr_type(uint32_t mem) const {
    return m_.memories[mem].limits.is64 ? ValType::I64 : ValType::I32;
  }
  ValType table_index_type(uint32_t t) const {
    return m_.tables[t].limits.is64 ? ValType::I64 : ValType::I32;
  }

  const ModuleContext& cx_;
  const ModuleData& m_;
  Reader r_;
  OperatorReader ops_;
  Instr in_;
  Lowering& out_;
  uint32_t func_index_;
  uint64_t op_offset_ = 0;
  std::vector<ValType> locals_;
  std::vector<bool> local_set_;  // per local: initialised (always for defaultable ones)
  std::vector<uint32_t> inits_;  // locals initialised in open blocks, innermost last
  std::vector<ValType> vals_;
  std::vector<Ctrl> ctrls_;
  std::vector<ValType> scratch_;  // br_table scratch
};

}  // namespace ember
