// Portable form of translated code, and the verifier that loads it back.
//
// Place in the pipeline: serialization (src/compile/serialize.cc) stores a
// module's CompiledCode. In memory, an instruction's first word is its
// handler's offset in this build's dispatch loop and call_indirect carries an
// engine-canonical type id; neither means anything to another process. The
// portable form replaces the handler word by the IOp number and the type id
// by the module's type index. Loading reverses that while checking every
// instruction against its operand layout (below), so that a damaged or forged
// code array cannot make the dispatch loop index outside its frame, its
// function's code or the instance's arrays:
//   - every word starts an instruction of a known IOp whose operands fit in
//     its function's range; the function ends with an unconditional transfer;
//   - frame-slot operands (1 slot, 2 for v128 or a result pair) lie below frame_slots, and
//     SIMD lane indices below the lane count;
//   - branch offsets land on an instruction start of the same function;
//   - function/global/table/memory/elem/data/type operands are in range, and
//     call argument windows fit in the caller's frame;
//   - call_indirect names a funcref table; table.copy/table.init move
//     references between segments and tables of one reference type;
//   - loads/stores appear only in modules with a memory;
//   - try ranges lie in their function, innermost first; catch clauses name
//     a tag of the module, land on an instruction start of the function
//     (or return from it with exactly its results) and write their payload
//     and exnref within the frame;
//   - function ranges tile the word array in order, frame sizes are bounded,
//     param/result slot counts match the function types, pc_map is sorted;
//   - stack maps are sorted, each keyed by the last word of a call or
//     allocation, listing slots of its function's frame; reference locals
//     are locals of their function.
// What it does not prove is the slot type discipline (that a slot read as a
// reference was written as one): see docs/serialization.md, "Trust".
//
// Operand layouts are written here per IR op (ir_layout), derived from
// operators.def for the numeric/load/store ops; an op without a layout makes
// serialization of code using it fail with a clear error, never unsafe
// loading (tests check that every IOp has one).
#pragma once

#include <cstdint>
#include <vector>

#include "interp/code.hh"
#include "ir/module.hh"
#include "support/error.hh"

namespace ember::interp {

// What one operand word of an instruction means.
enum class Operand : uint8_t {
  Slot,       // frame slot index (one 8-byte slot)
  Slot2,      // frame slot index of a v128, or of a pair of results (two slots)
  Imm,        // immediate (any value)
  Branch,     // offset relative to the word holding it
  Func,       // function index
  LocalFunc,  // defined function of this module, relative to the current one
  Global,     // global index
  Table,      // table index
  Memory,     // memory index
  Elem,       // element segment index
  Data,       // data segment index
  TypeId,     // engine type id (in memory) / module type index (portable)
  Tag,        // tag index
  CallBase,   // first slot of a call's argument/result window
  Lane,       // SIMD lane index, below IrLayout::lanes
  Shift,      // shift count of an address form, below 32
  GcType,     // struct or array type index of the module
  Field,      // field index of the GcType operand before it (a struct type)
  CastType,   // a cast target: ValType bits, any concrete type one of the module's
};

struct IrLayout {
  bool known = false;       // false: no layout recorded for this op
  bool variable = false;    // BrTable: [op][i][n][off x (n+1)]
  bool terminator = false;  // control never falls through to the next word
  bool memory0 = false;     // accesses memory 0 (load/store)
  uint8_t count = 0;        // operand words after the opcode (fixed-size ops)
  uint8_t lanes = 0;        // Lane operands: number of lanes
  Operand ops[12] = {};
  // Bit k set: operand k is a Slot / a Slot2 / any other kind than Slot,
  // Slot2 and Imm (the verifier's fast path checks slot masks only).
  uint16_t slot1_mask = 0, slot2_mask = 0, other_mask = 0;
};

const IrLayout& ir_layout(IOp op);

// The words of the instruction at `at` in portable form (its opcode word
// an IOp number), from its layout.
inline uint32_t portable_length(const uint32_t* at) {
  const IrLayout& lay = ir_layout(IOp(at[0]));
  return lay.variable ? 3 + at[2] + 1 : 1 + lay.count;
}

// The variants of ir_derived.def (Plain: an operators.def row's own
// opcode).
enum class Variant : uint8_t {
  Plain,
  Imm,
  BrIf,
  BrIfNot,
  BrIfImm,
  BrIfNotImm,
  AddImm,
  Add,
  AddShl,
  A64,
  Mem,
  MemA64,
};

// Where an IR load or store keeps its operands: word positions in the
// instruction (0 is the opcode word; 0 below also means "none").
struct MemAccess {
  uint8_t size = 0;      // bytes accessed
  bool addr64 = false;   // the address is an i64 (memory64)
  uint8_t offset = 0;    // the memarg offset (immediate)
  uint8_t addr = 0;      // the address (slot)
  uint8_t mem = 0;       // the memory index (immediate); none: memory 0
  uint8_t add_imm = 0;   // AddImm forms: a constant added to the address
  uint8_t add_slot = 0;  // Add/AddShl forms: a slot added (shifted left) to it
  uint8_t shift = 0;     // AddShl forms: the shift count (immediate)
};
// The access form of the instruction whose handler word is `handler_word`;
// false when it is no load or store. Cold: it looks the word up in a map.
bool memory_access(uint32_t handler_word, MemAccess* out);
// The words of the translated instruction at `pc` (at most `avail`), or 0
// when its handler word is not one the codec knows.
uint32_t instruction_length(const uint32_t* pc, uint32_t avail);
const char* iop_name(IOp op);
// Instructions whose end a stack map may name (code.hh, StackMap): the
// calls, the allocations and throw.
bool is_safepoint(IOp op);
// The slots of StructNew's window of fields or ArrayNewFixed's of elements
// (a v128 takes two) for the instruction whose operand words are x
// (validated); 0 for any other instruction.
uint64_t gc_window_slots(IOp op, const uint32_t* x, const ModuleData& m);

// Hash of this build's IR: the IOp list with word counts and layouts, the
// operator and feature tables, and the dispatch loop's handler table.
uint64_t ir_fingerprint();

// The words of `code` (executable, as translated for module `m`) in portable
// form. Fails only if the code uses an op without a layout.
Expected<std::vector<uint32_t>> to_portable(const CompiledCode& code, const ModuleData& m);

// Verifies `code` (portable words and function table, as read from a blob)
// against `m`, whose type_ids must be interned in `types`, and makes it executable in
// place: handler words, engine type ids, FuncCode::entry and func_index.
// ErrorKind::Malformed naming the first problem otherwise. Verifies ranges
// of functions on `threads` threads (the calling one among them); the
// error reported is the same for any count.
Status from_portable(CompiledCode& code, const ModuleData& m, const TypeRegistry& types,
                     unsigned threads = 1);

}  // namespace ember::interp
