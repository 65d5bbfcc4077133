// irdump: prints the interpreter IR Ember produces for a module's functions.
//
//   irdump FILE.wasm              one line per defined function: index, name,
//                                 IR words, frame slots
//   irdump FILE.wasm F...         the IR of functions F (function index space)
//   irdump FILE.wasm --stats      static counts of every IR opcode
//   irdump --handlers             every opcode's handler offset from the
//                                 dispatch loop's base label (for mapping
//                                 profiler samples to handlers)
//
// A profiling aid for bench/ (see docs/performance.md): it links Ember's
// internal library and decodes CompiledCode words back into opcodes using the
// dispatch loop's handler table. Operand notation: lN is a local (params
// first), sN an operand-stack slot (N counted from the first stack slot),
// #N an immediate, @N a branch target (word index in the function), fN a
// function index. Build with bench/tools/build-irdump.sh.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "binary/decoder.hh"
#include "interp/code.hh"
#include "interp/ir_codec.hh"
#include "interp/interp_state.hh"
#include "runtime/store_data.hh"
#include "compile/compile.hh"
#include "validate/validate.hh"

using namespace ember;
using interp::IOp;

namespace {

// The IR op at a handler word, and its length (from the engine's own
// operand layouts, interp/ir_codec.hh).
struct Decoder {
  std::unordered_map<int32_t, size_t> by_handler;
  Decoder() {
    const int32_t* table = interp::handler_table();
    for (size_t i = 0; i < interp::kIOpCount; i++) by_handler.emplace(table[i], i);
  }
  IOp op_at(uint32_t w) const {
    auto it = by_handler.find(int32_t(w));
    if (it == by_handler.end()) {
      std::fprintf(stderr, "irdump: unknown handler word %u\n", w);
      std::exit(1);
    }
    return IOp(it->second);
  }
  static unsigned length(const uint32_t* p, IOp op) {
    const interp::IrLayout& l = interp::ir_layout(op);
    return l.variable ? 4 + p[2] : 1 + l.count;  // BrTable: op i n off[n] default
  }
};

void print_operand(interp::Operand kind, uint32_t w, uint32_t word_pos,
                   const interp::FuncCode& fc) {
  using interp::Operand;
  switch (kind) {
    case Operand::Slot:
    case Operand::Slot2:
    case Operand::CallBase:
      if (w < fc.num_locals) std::printf(" l%u", w);
      else std::printf(" s%u", w - fc.num_locals);
      break;
    case Operand::Branch: std::printf(" @%u", word_pos + int32_t(w) - fc.begin); break;
    case Operand::Func: std::printf(" f%u", w); break;
    case Operand::LocalFunc: std::printf(" f%+d", int32_t(w)); break;
    case Operand::Imm: std::printf(" #%d", int32_t(w)); break;
    default: std::printf(" %u", w); break;
  }
}

void dump_function(const ModuleData& m, const CompiledCode& cc, const Decoder& dec,
                   uint32_t func_index) {
  uint32_t defined = func_index - m.num_imported_funcs;
  const interp::FuncCode& fc = cc.funcs.at(defined);
  auto name = m.names.funcs.find(func_index);
  std::printf("function %u%s%s: params %u, locals %u, frame %u slots, %u words\n", func_index,
              name == m.names.funcs.end() ? "" : " ",
              name == m.names.funcs.end() ? "" : name->second.c_str(), fc.num_params, fc.num_locals,
              fc.frame_slots, fc.end - fc.begin);
  for (uint32_t pos = fc.begin; pos < fc.end;) {
    const uint32_t* p = &cc.words[pos];
    IOp op = dec.op_at(p[0]);
    const interp::IrLayout& l = interp::ir_layout(op);
    unsigned len = Decoder::length(p, op);
    std::printf("  %5u  %-22s", pos - fc.begin, interp::iop_name(op));
    if (l.variable) {
      std::printf(" s%d [", int(p[1]) - int(fc.num_locals));
      for (uint32_t k = 0; k <= p[2]; k++)
        std::printf("%s@%u", k ? " " : "", pos + 3 + k + int32_t(p[3 + k]) - fc.begin);
      std::printf("]");
    } else {
      for (unsigned k = 1; k < len; k++) print_operand(l.ops[k - 1], p[k], pos + k, fc);
    }
    std::printf("\n");
    pos += len;
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && std::string(argv[1]) == "--handlers") {
    const int32_t* table = interp::handler_table();
    for (size_t i = 0; i < interp::kIOpCount; i++)
      std::printf("%d %s\n", table[i], interp::iop_name(IOp(i)));
    return 0;
  }
  if (argc < 2) {
    std::fprintf(stderr, "usage: irdump FILE.wasm [--stats | FUNC...]\n");
    return 2;
  }
  std::ifstream in(argv[1], std::ios::binary);
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), {});
  if (bytes.empty()) {
    std::fprintf(stderr, "irdump: cannot read %s\n", argv[1]);
    return 1;
  }
  rt::EngineData engine;
  auto m = decode_module(std::move(bytes), engine.config.features);
  if (!m) {
    std::fprintf(stderr, "irdump: decode failed\n");
    return 1;
  }
  if (!compile_module(**m, engine)) {
    std::fprintf(stderr, "irdump: validation failed\n");
    return 1;
  }
  const ModuleData& md = **m;
  const CompiledCode& cc = *md.code;
  Decoder dec;
  if (argc == 2) {
    for (uint32_t i = 0; i < cc.funcs.size(); i++) {
      const interp::FuncCode& fc = cc.funcs[i];
      uint32_t fi = i + md.num_imported_funcs;
      auto name = md.names.funcs.find(fi);
      std::printf("%5u %-32s %6u words, %4u slots\n", fi,
                  name == md.names.funcs.end() ? "-" : name->second.c_str(), fc.end - fc.begin,
                  fc.frame_slots);
    }
    return 0;
  }
  if (std::string(argv[2]) == "--stats") {
    std::map<std::string, unsigned> counts;
    for (const interp::FuncCode& fc : cc.funcs) {
      for (uint32_t pos = fc.begin; pos < fc.end;) {
        IOp op = dec.op_at(cc.words[pos]);
        counts[interp::iop_name(op)]++;
        pos += Decoder::length(&cc.words[pos], op);
      }
    }
    std::vector<std::pair<unsigned, std::string>> sorted;
    for (auto& [n, c] : counts) sorted.emplace_back(c, n);
    std::sort(sorted.rbegin(), sorted.rend());
    for (auto& [c, n] : sorted) std::printf("%7u  %s\n", c, n.c_str());
    return 0;
  }
  for (int i = 2; i < argc; i++) dump_function(md, cc, dec, uint32_t(std::atoi(argv[i])));
  return 0;
}
