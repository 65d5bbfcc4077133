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
#include "interp/interp_state.hh"
#include "runtime/store_data.hh"
#include "validate/validate.hh"

using namespace ember;
using interp::IOp;

namespace {

struct OpInfo {
  const char* name;
  unsigned words;    // 0: variable (BrTable)
  const char* form;  // one letter per operand word: s slot, i imm, o branch, f func, x other
};

const std::vector<OpInfo>& op_infos() {
  static const std::vector<OpInfo> infos = {
#define EMBER_OP(name, prefix, code, text, imm, kind, in, out, size, feature) \
  EMBER_INFO_##kind(name, text)
#define EMBER_INFO_Special(name, text)
#define EMBER_INFO_Unary(name, text) {text, 3, "ss"},
#define EMBER_INFO_Binary(name, text) {text, 4, "sss"},
#define EMBER_INFO_Load(name, text) {text, 4, "sis"},
#define EMBER_INFO_Store(name, text) {text, 4, "iss"},
#include "ir/operators.def"
#define EMBER_IROP(name, words) {#name, words, nullptr},
#include "interp/ir_ops.def"
  };
  return infos;
}

// Operand forms of the IR-only operators (ir_ops.def documents the layouts).
const char* ir_form(const std::string& n) {
  static const std::unordered_map<std::string, const char*> forms = {
      {"Copy", "ss"}, {"Const32", "si"}, {"Const64", "sii"}, {"Br", "o"},
      {"BrIf", "so"}, {"BrIfNot", "so"}, {"Return", ""}, {"Return1", "s"},
      {"Call", "fs"}, {"ReturnCall", "fs"}, {"CallIndirect", "iisx"},
      {"ReturnCallIndirect", "iisx"}, {"Select", "ssss"}, {"GlobalGet", "si"},
      {"GlobalSet", "is"}, {"MemorySize", "si"}, {"MemoryGrow", "sis"},
      {"MemoryFill", "isss"}, {"MemoryCopy", "iisss"}, {"BrIfI32Eqz", "so"},
      {"BrIfI32Nez", "so"}, {"Fuel", "i"}, {"Epoch", ""}, {"Unreachable", ""},
  };
  auto it = forms.find(n);
  if (it != forms.end()) return it->second;
  if (n.rfind("BrIfI32", 0) == 0) return "sso";
  if (n.size() > 3 && n.compare(n.size() - 3, 3, "Imm") == 0) return "ssi";
  return nullptr;
}

struct Decoder {
  std::unordered_map<int32_t, size_t> by_handler;
  Decoder() {
    const int32_t* table = interp::handler_table();
    for (size_t i = 0; i < interp::kIOpCount; i++) by_handler.emplace(table[i], i);
  }
  size_t op_at(uint32_t w) const {
    auto it = by_handler.find(int32_t(w));
    if (it == by_handler.end()) {
      std::fprintf(stderr, "irdump: unknown handler word %u\n", w);
      std::exit(1);
    }
    return it->second;
  }
  unsigned length(const uint32_t* p, size_t op) const {
    const OpInfo& info = op_infos()[op];
    return info.words ? info.words : 4 + p[2];  // BrTable: op i n off[n] default
  }
};

void dump_function(const ModuleData& m, const CompiledCode& cc, const Decoder& dec,
                   uint32_t func_index) {
  uint32_t defined = func_index - m.num_imported_funcs;
  const interp::FuncCode& fc = cc.funcs.at(defined);
  auto name = m.names.funcs.find(func_index);
  std::printf("function %u%s%s: params %u, locals %u, frame %u slots, %u words\n", func_index,
              name == m.names.funcs.end() ? "" : " ", name == m.names.funcs.end() ? "" :
              name->second.c_str(), fc.num_params, fc.num_locals, fc.frame_slots,
              fc.end - fc.begin);
  for (uint32_t pos = fc.begin; pos < fc.end;) {
    const uint32_t* p = &cc.words[pos];
    size_t op = dec.op_at(p[0]);
    const OpInfo& info = op_infos()[op];
    unsigned len = dec.length(p, op);
    const char* form = op < interp::kIOpCount && info.form ? info.form : ir_form(info.name);
    std::printf("  %5u  %-22s", pos - fc.begin, info.name);
    if (std::string(info.name) == "BrTable") {
      std::printf(" s%d [", int(p[1]) - int(fc.num_locals));
      for (uint32_t k = 0; k <= p[2]; k++)
        std::printf("%s@%u", k ? " " : "", pos + 3 + k + int32_t(p[3 + k]) - fc.begin);
      std::printf("]");
    } else {
      for (unsigned k = 1; k < len; k++) {
        char f = form && form[k - 1] ? form[k - 1] : 'x';
        uint32_t w = p[k];
        switch (f) {
          case 's':
            if (w < fc.num_locals) std::printf(" l%u", w);
            else std::printf(" s%u", w - fc.num_locals);
            break;
          case 'o': std::printf(" @%u", pos + k + int32_t(w) - fc.begin); break;
          case 'f': std::printf(" f%u", w); break;
          case 'i': std::printf(" #%d", int32_t(w)); break;
          default: std::printf(" %u", w); break;
        }
      }
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
      std::printf("%d %s\n", table[i], op_infos()[i].name);
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
        size_t op = dec.op_at(cc.words[pos]);
        counts[op_infos()[op].name]++;
        pos += dec.length(&cc.words[pos], op);
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
