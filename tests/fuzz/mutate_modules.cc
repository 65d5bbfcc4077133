// Mutation test for the front end. Binary: every module of the spec testsuite,
// mutated many times (bit flips, byte overwrites, insertions, deletions,
// truncation, LEB128 stretching), goes through decode + validate + translate.
// Text: every module's WAT source, mutated the same way (plus token-shaped
// insertions), goes through the WAT parser. Each case must end in success or
// a clean Error of a known kind -- never a crash, a hang or an oversized
// allocation (run under ASan+UBSan for the strong form).
//
// With --run, every mutated binary that compiles is also run: instantiated
// with zero-valued imports whose functions collect garbage (modules with a
// shared memory, which a wait could block on forever, are skipped) under
// fuel and store limits, and each exported function called with zero
// arguments. That must end in results, a
// Trap or a WasmError of a known kind -- with EMBER_GC_STRESS=1 in the
// environment, with a collection before every allocation.
//
// usage: ember_mutate_modules DIR [mutations-per-module] [seed] [--run]
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>

#include "binary/decoder.hh"
#include "ember/ember.hh"
#include "runtime/store_data.hh"
#include "mutate.hh"
#include "spec_corpus.hh"
#include "text/wat.hh"
#include "compile/compile.hh"
#include "validate/validate.hh"

namespace fs = std::filesystem;
using Bytes = std::vector<uint8_t>;

namespace {

using ember::fuzz::mutate;

// Text mutations that keep the input token-shaped often enough to reach the
// parser's deeper paths: splice in a keyword, a number or a bracket.
void mutate_text(std::string& t, std::mt19937_64& rng) {
  static const char* const kTokens[] = {"(",
                                        ")",
                                        " $x ",
                                        " 0 ",
                                        " -1 ",
                                        " 0x1p+1 ",
                                        " nan:0x1 ",
                                        " inf ",
                                        " \"\\ff\" ",
                                        " i32 ",
                                        " func ",
                                        " (result i32) ",
                                        " block ",
                                        " end ",
                                        " (param $p i64) ",
                                        " offset=4294967296 ",
                                        " align=3 ",
                                        " ;; ",
                                        " (; ",
                                        " ;) "};
  if (rng() % 2) {
    mutate(t, rng);
    return;
  }
  const char* tok = kTokens[rng() % (sizeof kTokens / sizeof *kTokens)];
  t.insert(rng() % (t.size() + 1), tok);
}

using Outcomes = std::map<std::string, uint64_t>;

void note(Outcomes& out, ember::Status s) {
  out[s ? "ok" : ember::error_kind_name(s.error().kind())]++;
}

// Only malformed/invalid/ok are legitimate outcomes of compiling bytes or
// text, and unsupported: a construct of src/ir/pending.def, named.
bool report(const char* what, uint64_t cases, const Outcomes& outcomes) {
  std::printf("%s: %llu mutated cases:", what, (unsigned long long)cases);
  for (const auto& [k, n] : outcomes) std::printf(" %s=%llu", k.c_str(), (unsigned long long)n);
  std::printf("\n");
  bool good = true;
  for (const auto& [k, n] : outcomes)
    if (k != "ok" && k != "malformed" && k != "invalid" && k != "unsupported") {
      std::fprintf(stderr, "error: unexpected outcome kind %s in %s\n", k.c_str(), what);
      good = false;
    }
  return good;
}

bool has_shared_memory(const ember::ModuleData& m) {
  for (const ember::MemoryType& t : m.memories)
    if (t.limits.shared) return true;
  return false;
}

// One call or instantiation's outcome: how it ended, by kind.
template <class F>
void outcome(Outcomes& out, F&& f) {
  try {
    f();
    out["ran"]++;
  } catch (const ember::Trap&) {
    out["trapped"]++;
  } catch (const ember::WasmError& e) {
    out[std::string("error:") + ember::error_kind_name(e.kind())]++;
    const ember::ErrorKind k = e.kind();
    if (k == ember::ErrorKind::Internal || k == ember::ErrorKind::Malformed ||
        k == ember::ErrorKind::Invalid)
      std::fprintf(stderr, "unexpected: %s\n", e.what());  // (report_runs fails the run)
  }
}

bool non_null_ref(ember::ValType t) {
  return t.is_ref() && !t.nullable();
}

// An extern for each import, zero-valued: a function returns zeros after
// running a full collection (so every host call is a collection inside
// wasm), a global holds zero, a table nulls, a memory its minimum. False
// where zero is no value of the type (a non-nullable reference).
bool provide_imports(ember::Store& store, const ember::Module& m, std::vector<ember::Extern>* out) {
  using ember::ExternKind;
  const uint64_t zero[2] = {0, 0};
  for (const ember::ImportType& im : m.imports()) {
    const ember::ExternType& t = im.type;
    switch (t.kind) {
      case ExternKind::Func: {
        const std::vector<ember::ValType>& rs = t.func.results;
        if (std::any_of(rs.begin(), rs.end(), non_null_ref)) return false;
        size_t n = 0;
        for (ember::ValType r : rs) n += r == ember::ValType::V128 ? 2 : 1;
        out->push_back(
            ember::Func::create(store, t.func, [&store, n](ember::Caller&, uint64_t* slots) {
              store.gc();
              std::fill(slots, slots + n, 0);
            }));
        break;
      }
      case ExternKind::Global:
        if (non_null_ref(t.global.type)) return false;
        out->push_back(ember::Global::create(
            store, t.global, ember::Val::from_slots(t.global.type, zero, store.raw())));
        break;
      case ExternKind::Table:
        if (non_null_ref(t.table.elem)) return false;
        out->push_back(ember::Table::create(store, t.table, ember::Val::null(t.table.elem)));
        break;
      case ExternKind::Memory: out->push_back(ember::Memory::create(store, t.memory)); break;
      case ExternKind::Tag: out->push_back(ember::Tag::create(store, t.tag)); break;
    }
  }
  return true;
}

// Runs a module that compiled (see the header): the engine counts fuel, the
// store has small limits, and every call gets a fresh allowance.
void run_module(const Bytes& bytes, Outcomes& out) {
  static const ember::Engine engine = [] {
    ember::Config c;
    c.features(ember::FeatureSet::defaults());
    c.consume_fuel(true);
    return ember::Engine(c);
  }();
  constexpr uint64_t kFuel = 20000;
  ember::Module m = ember::Module::from_binary(engine, bytes);
  if (has_shared_memory(*m.raw())) {
    out["skipped"]++;
    return;
  }
  ember::Store store(engine);
  store.set_limits(int64_t{16} << 20, 10000, 4, 8, 8);
  store.set_fuel(kFuel);
  std::vector<ember::Extern> imports;
  bool provided = false;
  outcome(out, [&] { provided = provide_imports(store, m, &imports); });
  if (!provided) {
    out["skipped"]++;
    return;
  }
  std::optional<ember::Instance> inst;
  outcome(out, [&] { inst.emplace(store, m, imports); });
  if (!inst) return;
  const uint64_t zero[2] = {0, 0};
  for (const auto& [name, ext] : inst->exports()) {
    std::optional<ember::Func> f = ext.func();
    if (!f) continue;
    const std::vector<ember::ValType>& ps = f->type().params;
    if (std::any_of(ps.begin(), ps.end(), non_null_ref)) {
      out["no zero arguments"]++;
      continue;
    }
    std::vector<ember::Val> args;
    for (ember::ValType t : ps) args.push_back(ember::Val::from_slots(t, zero, store.raw()));
    store.set_fuel(kFuel);
    outcome(out, [&] { f->call(args); });
  }
  store.gc();
}

// What running may legitimately end in: results, a trap, or an error of
// these kinds (a limit, a value of the wrong type for a parameter, a
// feature the engine leaves off).
bool report_runs(uint64_t modules, const Outcomes& outcomes) {
  std::printf("run: %llu modules:", (unsigned long long)modules);
  for (const auto& [k, n] : outcomes) std::printf(" %s=%llu", k.c_str(), (unsigned long long)n);
  std::printf("\n");
  bool good = true;
  for (const auto& [k, n] : outcomes)
    if (k == "error:error" || k == "error:malformed" || k == "error:invalid") {
      std::fprintf(stderr, "error: a module that compiled ended in %s when run\n", k.c_str());
      good = false;
    }
  return good;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s DIR [mutations-per-module] [seed]\n", argv[0]);
    return 2;
  }
  int per_module = argc > 2 ? std::atoi(argv[2]) : 20;
  uint64_t seed = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 1;
  const bool run = argc > 4 && std::string(argv[4]) == "--run";
  ember::fuzz::SpecCorpus corpus = ember::fuzz::load_spec_corpus(argv[1]);
  if (corpus.binaries.empty() || corpus.texts.empty()) {
    std::fprintf(stderr, "error: no modules found in %s\n", argv[1]);
    return 1;
  }
  ember::rt::EngineData engine;
  engine.config.features = ember::FeatureSet::defaults();
  std::mt19937_64 rng(seed);

  Outcomes binary, runs;
  uint64_t binary_cases = 0, run_cases = 0;
  for (const Bytes& original : corpus.binaries) {
    for (int i = 0; i < per_module; i++) {
      Bytes b = original;
      mutate(b, rng);
      binary_cases++;
      Bytes kept = run ? b : Bytes{};
      auto m = ember::decode_module(std::move(b), engine.config.features);
      if (!m) {
        binary[ember::error_kind_name(m.error().kind())]++;
        continue;
      }
      ember::Status st = ember::compile_module(**m, engine);
      const bool compiled = bool(st);
      note(binary, std::move(st));
      if (run && compiled) {
        run_cases++;
        run_module(kept, runs);
      }
    }
  }

  Outcomes text;
  uint64_t text_cases = 0;
  for (const std::string& original : corpus.texts) {
    for (int i = 0; i < per_module; i++) {
      std::string t = original;
      mutate_text(t, rng);
      text_cases++;
      auto bin = ember::wat_to_wasm(t);
      if (!bin) {
        text[ember::error_kind_name(bin.error().kind())]++;
        continue;
      }
      auto m = ember::decode_module(std::move(*bin), engine.config.features);
      if (!m) {
        text[ember::error_kind_name(m.error().kind())]++;
        continue;
      }
      note(text, ember::compile_module(**m, engine));
    }
  }
  bool good = report("binary", binary_cases, binary);
  good = report("text", text_cases, text) && good;
  if (run) good = report_runs(run_cases, runs) && good;
  return good ? 0 : 1;
}
