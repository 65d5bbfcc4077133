// Mutation test for component binaries. Every .wasm under DIR (the
// committed components of tests/component, valid and invalid) is mutated
// many times (the byte mutations of mutate.hh, bytes moved by one, and
// splices of bytes from another component, so that sections meet
// unfamiliar neighbours) and goes
// through decode_component + validate_component, whose nested core modules
// are compiled (function bodies validated and translated). Each case must
// end in success or a clean Error of kind malformed, invalid or unsupported
// -- never a crash, a hang or an oversized allocation (run it in an
// EMBER_SANITIZE=ON build for the strong form).
//
// usage: ember_mutate_components DIR [mutations-per-file] [seed]
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "compile/compile.hh"
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
      outcomes[s ? "ok" : ember::error_kind_name(s.error().kind())]++;
    }
  }
  std::printf("components: %zu, %llu mutated cases:", corpus.size(), (unsigned long long)cases);
  bool good = true;
  for (const auto& [kind, n] : outcomes) {
    std::printf(" %s=%llu", kind.c_str(), (unsigned long long)n);
    if (kind != "ok" && kind != "malformed" && kind != "invalid" && kind != "unsupported")
      good = false;
  }
  std::printf("\n");
  if (!good) std::fprintf(stderr, "error: an outcome of an unexpected kind\n");
  return good ? 0 : 1;
}
