// Translator: wasm operators -> register IR (code.hh), fed by the validator.
//
// The interpreter's implementation of the Lowering interface
// (validate/lowering.hh): the validator decodes and type-checks each
// operator, then calls the matching method here; so every call describes a
// well-typed operator and the translator never re-checks types.
//
// The wasm operand stack is resolved at translate time: each operand has a
// fixed frame slot, the slots of the operands below it packed upwards from
// num_locals; a v128 takes two consecutive slots (as does a v128 local).
// Locals map to slots through a table (the identity when the function has
// no v128 locals). `local.get` and constants emit nothing: they push a
// deferred operand naming the local slot or the constant, materialised into
// its stack slot only when needed:
//   - before a `local.set/tee x` that would clobber a pending read of x,
//   - at block/loop/if entry (pending locals anywhere, and the block params),
//   - at block ends (results) and as call arguments.
// Deferred operands never change kind on only one path of a branch, which is
// what keeps this sound: materialisation happens either at a control entry
// (straight-line) or right before the operand is consumed.
//
// Code after an unconditional transfer (br, br_table, return, unreachable)
// is dead: nothing is emitted until the enclosing block's end/else.
//
// Fuel (TranslateOptions::fuel) follows wasmtime's accounting so the same
// program leaves the same fuel: every operator costs 1 except nop, drop,
// block, loop, unreachable, return, else and end (cost 0). Costs accumulate
// at translate time and are committed by one `Fuel n` instruction at each
// point where wasmtime commits them (before loop, if, br, br_if, br_table,
// else, end, calls, return and unreachable); `FuelCheck` at function entry
// (which also charges wasmtime's one unit per call) and loop headers traps
// when the fuel is spent. A trapping instruction
// rolls the fuel back to the last save point (FuelSave before calls,
// returns and unreachable), as wasmtime does.
// Bulk memory and table operations also cost one unit per byte or element
// (and memory.grow/table.grow per page/element added), charged after the
// operation succeeded and checked at once unless the count is a constant of
// at most 128, again as wasmtime does.
// Epoch checks (TranslateOptions::epoch) sit at function entry and loop
// headers.
//
// Backtrace offsets follow wasmtime's: an `unreachable` that is all an
// if/else arm does, or that directly follows a br_if, is reported at the
// `if`/`br_if` (wasmtime's compiler turns such a path into a conditional
// trap at the branch). With both options off nothing is emitted.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <span>
#include <vector>

#include "interp/code.hh"
#include "interp/ir_insn.hh"
#include "ir/module.hh"
#include "runtime/gc.hh"
#include "support/error.hh"
#include "validate/lowering.hh"

namespace ember::interp {

// Translation choices fixed by the engine configuration.
struct TranslateOptions {
  bool fuel = false;   // Config::consume_fuel
  bool epoch = false;  // Config::epoch_interruption
  // Config::relaxed_simd_deterministic: relaxed SIMD operators take the
  // deterministic profile's results instead of the fastest native ones.
  bool relaxed_simd_deterministic = false;
  // Config::nan_canonicalization: every float arithmetic result that may be
  // a NaN is made the canonical NaN, as Cranelift's option does.
  bool nan_canonicalization = false;
  // Strategy "auto" with the compiled tier: TierUp at each function entry
  // and loop header (after the fuel and epoch checks).
  bool tier_up = false;
  // The module's imported functions (calls to the others are CallLocal).
  uint32_t num_imported_funcs = 0;
};

class Translator final : public Lowering {
 public:
  // Words of the longest instruction the translator holds back (Staged).
  static constexpr uint32_t kMaxStagedWords = 16;
  explicit Translator(CompiledCode& out, TranslateOptions opt = {}) : out_(out), opt_(opt) {}

  // `locals`: the types of all locals, params first; `catch_depth`: slots
  // kept after them for the exceptions of nested legacy catch blocks.
  void begin_function(uint32_t func_index, const FuncType& type, const std::vector<ValType>& locals,
                      uint32_t catch_depth, const std::vector<ValType>& operand_types) override;
  // After the function's final `end`. Fails if the frame is unreasonably big.
  Status finish_function() override;
  // Byte offset of the operator about to be translated (for backtraces).
  void at(uint64_t offset) override { offset_ = offset; }
  // Fuel cost of the operator about to be translated (before its method).
  void charge(Op op) override;

  // Control.
  void unreachable() override;
  void block(Types params, Types results) override;
  void loop(Types params, Types results) override;
  void if_(Types params, Types results) override;
  void else_() override;
  void end() override;
  void br(uint32_t depth) override;
  void br_if(uint32_t depth) override;
  void br_table(std::span<const uint32_t> depths) override;  // last entry = default
  void return_() override;
  void call(uint32_t func, const FuncType& type) override;
  void call_indirect(uint32_t type_id, uint32_t table, const FuncType& type) override;
  void return_call(uint32_t func, const FuncType& type) override;
  void return_call_indirect(uint32_t type_id, uint32_t table, const FuncType& type) override;
  void call_ref(uint32_t type_id, const FuncType& type) override;
  void return_call_ref(uint32_t type_id, const FuncType& type) override;
  void ref_as_non_null() override;
  void br_on_null(uint32_t depth) override;
  void br_on_non_null(uint32_t depth) override;

  // Exceptions: throw is a call-like window (the payload) handed to the
  // dispatch loop; try_table a block whose clauses go to the function's
  // handler table (code.hh, CatchHandler), each landing straight at its
  // label with the payload where a branch to the label would leave it.
  void throw_(uint32_t tag, const FuncType& type) override;
  void throw_ref() override;
  void try_table(Types params, Types results, std::span<const CatchClause> catches) override;
  // Legacy: a try's body is a range like try_table's, whose clauses land at
  // the catch blocks with the exception in the catch level's own slot.
  void try_(Types params, Types results) override;
  void catch_(uint32_t tag, const FuncType& type) override;
  void catch_all() override;
  void delegate(uint32_t depth) override;
  void rethrow(uint32_t depth) override;

  // Parametric and variables.
  void drop() override;
  void select() override;
  void local_get(uint32_t x) override;
  void local_set(uint32_t x) override;
  void local_tee(uint32_t x) override;
  void constant(uint64_t bits) override;
  void constant_v128(uint64_t lo, uint64_t hi) override;
  // `global.get` / `global.set` of a global of type `t`.
  void global_get(uint32_t g, ValType t) override;
  void global_set(uint32_t g, ValType t) override;

  // Numeric (Unary/Binary of operators.def), loads and stores of memory 0.
  void unary(Op op) override;
  void binary(Op op) override;
  // i64.add128, i64.sub128, i64.mul_wide_s/u: two results, low then high.
  void wide_arith(Op op) override;
  // `addr64`: the memory is a memory64 (i64 address); `mem`: its index.
  void load(Op op, uint64_t offset, bool addr64, uint32_t mem) override;
  void store(Op op, uint64_t offset, bool addr64, uint32_t mem) override;
  // A SIMD operator of any V* shape but the accesses; `imms` are its
  // immediates in IR order (a lane).
  void simd(Op op, std::initializer_list<uint32_t> imms) override;
  // SIMD loads and stores, of any memory (as load/store).
  void simd_access(Op op, uint64_t offset, bool addr64, uint32_t mem, uint32_t lane) override;
  void atomic(Op op, uint64_t offset, bool addr64, uint32_t mem) override;
  void atomic_fence() override;
  // i8x16.shuffle with its 16 lane indices (each < 32).
  void shuffle(const uint8_t* lanes) override;

  void entity_op(Op op, std::initializer_list<uint32_t> imms, bool count64 = false) override;

  // GC (translate_gc.cc): out-of-line runtime calls but for the accesses.
  void struct_new(uint32_t type, std::span<const FieldType> fields, bool default_init) override;
  void struct_get(uint32_t type, std::span<const FieldType> fields, uint32_t field,
                  bool sign) override;
  void struct_set(uint32_t type, std::span<const FieldType> fields, uint32_t field) override;
  void array_op(Op op, uint32_t type, const FieldType& elem, uint32_t imm) override;
  void ref_test(ValType target) override;
  void ref_cast(ValType target) override;
  void br_on_cast(uint32_t depth, ValType target, bool on_fail) override;
  void gc_simple(Op op) override;

  // Any other IR op of the form [op][d if result][imms...][operand slots...]
  // popping `nin` operands (ir_ops.def documents each layout). `result` is
  // the number of slots the result takes (0 = no result, 2 = v128).
  // `count64`: the count operand of a bulk op is an i64 (memory64 / table64).
  void generic(IOp op, uint32_t nin, uint32_t result, std::span<const uint32_t> imms,
               bool count64 = false);
  void generic(IOp op, uint32_t nin, uint32_t result, std::initializer_list<uint32_t> imms,
               bool count64 = false) {
    generic(op, nin, result, std::span<const uint32_t>(imms.begin(), imms.size()), count64);
  }

 private:
  enum class Kind : uint8_t { Stack, Local, Const };
  struct Operand {
    Kind kind = Kind::Stack;
    bool wide = false;     // v128: two slots
    uint32_t slot = 0;     // the operand's own stack slot (set by push)
    uint32_t local = 0;    // Kind::Local: the local's (first) slot
    uint64_t bits = 0;     // Kind::Const (low half of a v128)
    uint64_t bits_hi = 0;  // Kind::Const v128: high half
  };
  enum class LabelKind : uint8_t { Func, Block, Loop, If, Try, LegacyTry };
  struct Label {
    LabelKind kind;
    uint32_t height;       // operand index of the first param/result
    uint32_t height_slot;  // its slot
    uint32_t np, nr;
    uint32_t types_at;  // params then results in label_types_
    uint32_t loop_pc = 0;
    uint32_t else_fixup = UINT32_MAX;
    std::vector<uint32_t> fixups;  // offset words to patch to the end
    uint64_t if_offset = 0;        // If: byte offset of the `if`
    // Catch clauses that land at this label's end (CompiledCode::handlers).
    std::vector<uint32_t> handler_fixups;
    // Delegates to this label: their ranges resume at the ranges this
    // label's end leaves (its own, for a try).
    std::vector<uint32_t> delegate_fixups;
    uint32_t try_begin = 0, try_first = 0, try_count = 0;  // Try: its range and clauses
    // LegacyTry: the body's end once a catch began, and that catch level's slot.
    uint32_t body_end = UINT32_MAX;
    uint32_t catch_slot = 0;
  };
  // An instruction that defines a stack operand, held back from out_.words
  // while a fusion may still replace it (wasmi's staged instruction): the
  // last one or two such instructions in a row are staged, and written, in
  // order, as soon as any other instruction is emitted, a label is placed or
  // the function ends. A fusion reads a staged instruction's words, drops it
  // or rewrites it in place; written words are never taken back.
  struct Staged {
    static constexpr uint32_t kMaxWords = kMaxStagedWords;
    IOp op{};
    bool live = true;        // may still be fused (false once its result went elsewhere)
    bool new_entry = false;  // gets a pc map entry of its own (after a drop)
    uint64_t offset = 0;     // wasm byte offset, for the pc map
    uint32_t index = 0;      // the stack operand it defines
    uint32_t dst = 0;        // the word holding its destination slot
    uint32_t n = 0;          // words, the opcode's included (w[0] is unused)
    uint32_t w[kMaxWords] = {};
  };

  // Positions count the staged words: they are written before anything else.
  uint32_t here() const {
    uint32_t n = uint32_t(out_.words.size());
    for (uint32_t i = 0; i < nstaged_; i++) n += staged_[i].n;
    return n;
  }
  // The last instruction emitted, when it is staged and may be fused (null
  // otherwise).
  Staged* last_def() {
    return nstaged_ > 0 && staged_[nstaged_ - 1].live ? &staged_[nstaged_ - 1] : nullptr;
  }
  // The last staged instruction that defines stack operand `index`.
  Staged* last_def(uint32_t index) {
    Staged* s = last_def();
    return s && s->index == index && stack_[index].kind == Kind::Stack ? s : nullptr;
  }
  void stage_op(IOp op, uint32_t index, uint32_t dst);
  void drop_last_def();
  void write_staged();
  uint32_t slot(uint32_t index) const { return stack_[index].slot; }
  // The slot the next pushed operand gets.
  uint32_t next_slot() const {
    if (stack_.empty()) return num_locals_;
    const Operand& o = stack_.back();
    return o.slot + (o.wide ? 2 : 1);
  }
  void emit_op(IOp op);
  // One IR-only instruction (ir_insn.hh): its opcode word, then its operand
  // words in the order ir_ops.def names them.
  template <class I>
  void emit(const I& insn) {
    emit_op(I::iop);
    for (uint32_t w : ir::operand_words(insn)) word(w);
  }
  // The same for an instruction whose result is stack operand `index`.
  template <class I>
  void stage(const I& insn, uint32_t index) {
    stage_op(I::iop, index, I::At::d);
    for (uint32_t w : ir::operand_words(insn)) word(w);
  }
  void emit_copy(bool wide, uint32_t d, uint32_t s) {
    if (wide) emit(ir::CopyV128{.d = d, .s = s});
    else emit(ir::Copy{.d = d, .s = s});
  }
  void word(uint32_t w) {
    if (building_) {
      Staged& s = staged_[nstaged_ - 1];
      s.w[s.n++] = w;
    } else {
      out_.words.push_back(w);
    }
  }
  void patch(uint32_t pos, uint32_t target) { out_.words[pos] = uint32_t(int32_t(target - pos)); }
  void branch_word(uint32_t target) { word(uint32_t(int32_t(target - here()))); }
  void mark_label() { write_staged(); }

  void push_stack(bool wide = false);
  void push_types(Types ts);
  void push(Operand o);
  Operand pop();
  uint32_t pop_slot();
  void materialize(uint32_t index);
  void materialize_entry(uint32_t np);
  void move_to(uint32_t index, uint32_t dst_slot);
  uint32_t arity(const Label& l) const { return l.kind == LabelKind::Loop ? l.np : l.nr; }
  bool needs_moves(const Label& l) const;
  void emit_moves(const Label& l);
  void emit_jump_to(Label& l);
  uint32_t top_slot();
  void branch_target(Label& l, bool direct);
  void branch_on_ref(uint32_t depth, bool on_null);  // moves + jump (or return sequence)
  // A test of `operands` branching to `l`: `jump` when the branch needs no
  // moves, else its opposite test `skip` over the moves and the jump.
  void ref_branch(Label& l, IOp jump, IOp skip, std::initializer_list<uint32_t> operands);
  void emit_return();
  void enter(LabelKind kind, Types params, Types results);
  void leave();
  Types label_params(const Label& l) const { return {label_types_.data() + l.types_at, l.np}; }
  Types label_results(const Label& l) const {
    return {label_types_.data() + l.types_at + l.np, l.nr};
  }
  IOp simd_iop(Op op) const;
  void canonicalize_nan(Op op);  // after `op` pushed its result
  struct FusedOperands {
    uint32_t w[4];
    uint32_t n = 0;
  };
  bool try_fuse_branch(uint32_t cond_index, bool negate, FusedOperands* operands, IOp* op);
  void emit_cond_branch(uint32_t depth_or_else, bool to_else);
  bool fold_eqz();
  bool take_shift(uint32_t* a, uint32_t* b, uint32_t* x, uint32_t* k);
  bool peek_address(uint32_t index, uint32_t avoid, IOp* add, uint32_t* a, uint32_t* b);
  bool take_address(uint32_t index, uint32_t avoid, IOp* add, uint32_t* a, uint32_t* b);
  uint32_t call_args(const FuncType& type);
  uint32_t window(uint32_t n);  // the top n operands in their slots, popped: the first slot
  // Stack maps: note_refs before a safepoint (its inputs still pushed; the
  // validator's stack then holds `results` results), add_stack_map after it.
  void note_refs(std::span<const FieldType> inputs, size_t results);
  void add_stack_map();
  // An allocating GC instruction: [op][d][imms][input slots], inputs typed
  // as `inputs` (a result, not staged: it is a safepoint).
  void allocation(IOp op, std::span<const FieldType> inputs, std::initializer_list<uint32_t> imms);
  uint32_t allocation_window(std::span<const FieldType> inputs);  // (translate_gc.cc)
  bool dead_skip();
  // Emits `Fuel pending` on the current path; `save` (calls, returns,
  // unreachable) emits FuelSave even with nothing pending.
  void commit_fuel(bool save = false);
  void entry_checks(uint32_t cost,
                    bool loop);  // FuelCheck / EpochCheck / TierUp (function entry, loop header)
  void begin_catch(CatchClause::Kind kind, uint32_t tag);
  void results_in_place(const Label& l);
  void close_arm(Label& l);
  void close_ranges(Label& l);             // at a label's end: delegates, then its own try range
  uint32_t unit_fuel_flags(IOp op) const;  // FuelUnits/FuelGrow flags for op's count, or 0

  CompiledCode& out_;
  TranslateOptions opt_;
  uint32_t fuel_pending_ = 0;
  FuncCode fn_;
  uint32_t num_locals_ = 0;                      // slots (legacy catch slots included)
  uint32_t catch_base_ = 0;                      // the first legacy catch slot
  uint32_t catch_level_ = 0;                     // legacy catch blocks open
  const std::vector<ValType>* types_ = nullptr;  // the validator's operand types
  bool out_of_step_ = false;                     // they did not line up with stack_
  std::vector<uint32_t> pending_refs_;           // note_refs' slots
  std::vector<FieldType> fixed_inputs_;          // array.new_fixed's inputs
  rt::StructLayouts layouts_;                    // by module type index
  std::vector<uint32_t> local_slot_;             // local index -> first slot
  std::vector<bool> local_wide_;
  std::vector<ValType> label_types_;  // pool for Label::types_at (a stack)
  uint32_t max_height_ = 0;
  uint32_t pending_locals_ = 0;
  uint64_t offset_ = 0;
  uint64_t last_mapped_offset_ = UINT64_MAX;
  bool dead_ = false;
  uint32_t dead_depth_ = 0;
  Staged staged_[2];
  uint32_t nstaged_ = 0;
  bool building_ = false;  // word() appends to the last staged instruction
  // A staged instruction was dropped: the next instruction started gets its
  // own pc map entry, as it would have after the dropped one.
  bool new_entry_ = false;
  // Where the path after the last conditional branch starts (word) and the
  // branch's byte offset, for the `unreachable` attribution above.
  uint32_t cond_path_word_ = UINT32_MAX;
  uint64_t cond_offset_ = 0;
  std::vector<Operand> stack_;
  std::vector<Label> labels_;
};

}  // namespace ember::interp
