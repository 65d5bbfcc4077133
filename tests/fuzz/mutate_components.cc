// Mutation test for component binaries. Every .wasm under DIR (the
// committed components of tests/component, valid and invalid) is mutated
// many times (the byte mutations of mutate.hh, bytes moved by one, and
// splices of bytes from another component, so that sections meet
// unfamiliar neighbours) and goes
// through decode_component + validate_component, whose nested core modules
// are compiled (function bodies validated and translated). A component that
// validates is then instantiated through the public API (include/ember/
// component.hh; every import a stand-in that traps) and each exported
// function it has called
// with zero values of its parameter types. Each case must end in success
// or a clean error of kind malformed, invalid, unsupported, unlinkable,
// trap or exhaustion -- never a crash, a hang, an oversized allocation or
// an internal error (run it in an EMBER_SANITIZE=ON build for the strong
// form).
//
// usage: ember_mutate_components DIR [mutations-per-file] [seed]
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "compile/compile.hh"
#include "ember/component.hh"
#include "ember/errors.hh"
#include "component/decoder.hh"
#include "component/validate.hh"
#include "mutate.hh"
#include "runtime/store_data.hh"

namespace fs = std::filesystem;
using Bytes = std::vector<uint8_t>;

namespace {

std::vector<Bytes> load(const fs::path& dir) {
  std::vector<Bytes> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.path().extension() != ".wasm") continue;
    std::ifstream in(e.path(), std::ios::binary);
    Bytes b(std::istreambuf_iterator<char>(in), {});
    if (ember::comp::is_component(b)) out.push_back(std::move(b));
  }
  return out;
}

// Moves one byte up or down by one: indices, counts and opcodes change to
// their neighbours, so the bytes stay well-formed more often than random
// ones and reach the validator.
void nudge(Bytes& b, std::mt19937_64& rng) {
  if (b.size() <= 8) return;
  uint8_t& x = b[8 + rng() % (b.size() - 8)];
  x = uint8_t(rng() % 2 ? x + 1 : x - 1);
}

// Inserts up to 64 bytes taken from `other` at a random place of `b`.
void splice(Bytes& b, const Bytes& other, std::mt19937_64& rng) {
  if (other.empty()) return;
  size_t from = rng() % other.size();
  size_t n = std::min<size_t>(other.size() - from, 1 + rng() % 64);
  size_t at = rng() % (b.size() + 1);
  b.insert(b.begin() + ptrdiff_t(at), other.begin() + ptrdiff_t(from),
           other.begin() + ptrdiff_t(from + n));
}

namespace cm = ember::component;

// The zero value of `t`: 0, "", [], the first case with a zero payload;
// nullopt for a type with a handle in it (no resource to pass).
std::optional<cm::Value> zero(const cm::Type& t, int depth = 0) {
  if (depth > 32) return std::nullopt;
  cm::Value v;
  switch (t.kind()) {
    case cm::TypeKind::Own:
    case cm::TypeKind::Borrow:
    case cm::TypeKind::ErrorContext:
    case cm::TypeKind::Other: return std::nullopt;
    case cm::TypeKind::Record:
    case cm::TypeKind::Tuple:
      for (size_t i = 0; i < t.child_count(); i++) {
        auto f = zero(*t.child(i), depth + 1);
        if (!f) return std::nullopt;
        v.items.push_back(*f);
      }
      return v;
    case cm::TypeKind::Variant:
      if (auto p = t.child(0)) {
        auto z = zero(*p, depth + 1);
        if (!z) return std::nullopt;
        v.items.push_back(*z);
      }
      return v;
    case cm::TypeKind::Result:
      if (auto p = t.ok()) {
        auto z = zero(*p, depth + 1);
        if (!z) return std::nullopt;
        v.items.push_back(*z);
      }
      return v;
    default: return v;  // numbers, char 0, strings, lists, enums, flags, option none
  }
}

// Instantiates a valid component and calls what it exports; the kind of
// the first error, or "ok".
std::string run(const ember::Engine& engine, const Bytes& b) {
  try {
    ember::Store store(engine);
    store.set_fuel(100000);
    cm::Component c = cm::Component::from_binary(engine, b);
    cm::Linker linker(engine);
    linker.define_unknown_imports_as_traps(c);
    cm::Instance inst = cm::Instance::instantiate(store, c, linker);
    std::vector<std::string> top;
    for (const cm::ExternInfo& e : c.exports()) {
      if (e.sort != "func") continue;
      auto f = inst.get_func(top, e.name);
      if (!f) return "internal";
      cm::FuncType ty = f->type();
      std::vector<cm::Value> args;
      for (const auto& [name, t] : ty.params) {
        auto z = zero(t);
        if (!z) break;
        args.push_back(*z);
      }
      if (args.size() != ty.params.size()) continue;
      try {
        f->call(store, args);
      } catch (const ember::Trap&) {}
    }
    return "ok";
  } catch (const ember::Trap&) {
    return "trap";
  } catch (const ember::WasmError& e) {
    if (e.kind() == ember::ErrorKind::Internal) {
      static std::set<std::string> seen;  // each internal error once, to see what broke
      if (seen.insert(e.what()).second) std::fprintf(stderr, "internal error: %s\n", e.what());
    }
    return ember::error_kind_name(e.kind());
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s DIR [mutations-per-file] [seed]\n", argv[0]);
    return 2;
  }
  int per_file = argc > 2 ? std::atoi(argv[2]) : 1000;
  uint64_t seed = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 1;
  std::vector<Bytes> corpus = load(argv[1]);
  if (corpus.empty()) {
    std::fprintf(stderr, "error: no components found in %s\n", argv[1]);
    return 1;
  }
  ember::rt::EngineData engine;
  engine.config.features = ember::FeatureSet::defaults();
  const ember::FeatureSet& features = engine.config.features;
  ember::comp::CoreModuleCheck compile = [&](ember::ModuleData& m) {
    return ember::compile_module(m, engine);
  };
  ember::Config config;
  config.consume_fuel(true);
  config.shared_memory(true);  // as the validation above allows shared memories
  ember::Engine api_engine(config);
  std::mt19937_64 rng(seed);
  std::map<std::string, uint64_t> outcomes;
  uint64_t cases = 0;
  for (const Bytes& original : corpus) {
    for (int i = 0; i < per_file; i++) {
      Bytes b = original;
      switch (rng() % 4) {
        case 0: splice(b, corpus[rng() % corpus.size()], rng); break;
        case 1: nudge(b, rng); break;
        default: ember::fuzz::mutate(b, rng); break;
      }
      cases++;
      auto c = ember::comp::decode_component(b, features);
      if (!c) {
        outcomes[ember::error_kind_name(c.error().kind())]++;
        continue;
      }
      auto s = ember::comp::validate_component(**c, features, compile);
      if (!s) {
        outcomes[ember::error_kind_name(s.error().kind())]++;
        continue;
      }
      outcomes["run: " + run(api_engine, b)]++;
    }
  }
  std::printf("components: %zu, %llu mutated cases:", corpus.size(), (unsigned long long)cases);
  bool good = true;
  for (const auto& [kind, n] : outcomes) {
    std::printf(" %s=%llu", kind.c_str(), (unsigned long long)n);
    static const std::set<std::string> kFine = {"malformed", "invalid",          "unsupported",
                                                "run: ok",   "run: unsupported", "run: unlinkable",
                                                "run: trap", "run: exhaustion"};
    if (!kFine.count(kind)) good = false;
  }
  std::printf("\n");
  if (!good) std::fprintf(stderr, "error: an outcome of an unexpected kind\n");
  return good ? 0 : 1;
}
