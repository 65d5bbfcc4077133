// Mutation test for serialized modules. Every module of the spec testsuite
// that compiles is serialized, by a plain engine and by one with fuel and
// epoch checks (and deterministic relaxed SIMD); each blob must load back and
// serialize to the same bytes. Then each blob is mutated many times (bit flips, byte and word
// overwrites, small and boundary values in 32-bit fields, insertions,
// deletions, truncation) and loaded, half of the cases with the checksum left
// stale (integrity check) and half with size and checksum recomputed, so the
// bounds-checked parser and the IR verifier see the damage. Each case must
// end in a clean Error (malformed, or internal "error") or a module that serializes
// again and instantiates (when it has no imports and no start function) --
// never a crash, a hang or an oversized allocation. Run it under ASan+UBSan
// for the strong form (docs/serialization.md, "Fuzzing").
//
// With --compiled, the engines compile eagerly (strategy "cranelift") and
// the blobs carry machine code (the NATV section): its key, function list
// and objects are parsed and checked, and damage to the code is refused by
// its digest even under a recomputed checksum -- mutated machine code must
// never reach the linker.
//
// usage: ember_mutate_serialized DIR [mutations-per-module] [seed] [--compiled]
//        (DIR is searched recursively for .wast files; with
//        EMBER_FUZZ_VERBOSE set, refusals are counted by reason)
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>

#include "binary/decoder.hh"
#include "runtime/runtime.hh"
#include "compile/serialize.hh"
#include "spec_corpus.hh"
#include "compile/compile.hh"
#include "interp/code.hh"
#include "jit/jit.hh"
#include "validate/validate.hh"

namespace fs = std::filesystem;
using Bytes = std::vector<uint8_t>;

namespace {

constexpr size_t kHeader = 32;

void put32(Bytes& b, size_t at, uint32_t v) {
  if (at + 4 <= b.size()) std::memcpy(b.data() + at, &v, 4);
}

// `payload`: where the module sections start (after header and key).
void mutate(Bytes& b, std::mt19937_64& rng, bool keep_size, size_t payload) {
  auto pick = [&](size_t n) { return n ? size_t(rng() % n) : 0; };
  // Mostly in the payload, where the parser and verifier live; sometimes in
  // the key and the header.
  auto where = [&] {
    unsigned r = unsigned(rng() % 8);
    if (r == 0 || b.size() <= kHeader) return pick(b.size());
    if (r == 1 || b.size() <= payload) return kHeader + pick(b.size() - kHeader);
    return payload + pick(b.size() - payload);
  };
  static const uint32_t kValues[] = {0,       1,          2,           3,           4,
                                     7,       8,          0xFF,        0x100,       0xFFFF,
                                     0x10000, 0x7FFFFFFF, 0x80000000u, 0xFFFFFFFEu, 0xFFFFFFFFu};
  int rounds = 1 + int(rng() % 3);
  for (int r = 0; r < rounds && !b.empty(); r++) {
    int kind = keep_size ? int(rng() % 5) : int(rng() % 8);
    switch (kind) {
      case 0: b[where()] ^= uint8_t(1u << (rng() % 8)); break;
      case 1: b[where()] = uint8_t(rng()); break;
      case 2:
        put32(b, where() & ~size_t(3), kValues[rng() % (sizeof kValues / sizeof *kValues)]);
        break;
      case 3: {  // nudge a 32-bit field by a small amount
        size_t at = where() & ~size_t(3);
        if (at + 4 <= b.size()) {
          uint32_t v;
          std::memcpy(&v, b.data() + at, 4);
          put32(b, at, v + uint32_t(int32_t(rng() % 9) - 4));
        }
        break;
      }
      case 4: put32(b, where(), uint32_t(rng())); break;
      case 5: b.insert(b.begin() + long(where()), 1 + pick(8), uint8_t(rng())); break;
      case 6: {
        size_t at = where();
        b.erase(b.begin() + long(at), b.begin() + long(std::min(b.size(), at + 1 + pick(16))));
        break;
      }
      case 7: b.resize(pick(b.size() + 1)); break;
    }
  }
}

// Recomputes the size field and the checksum, so the damage passes the
// integrity check and reaches the parser.
void reseal(Bytes& b) {
  if (b.size() < kHeader) return;
  uint64_t size = b.size();
  std::memcpy(b.data() + 16, &size, 8);
  ember::rt::reseal(b);
}

using Outcomes = std::map<std::string, uint64_t>;

void print(const char* what, uint64_t cases, const Outcomes& o) {
  std::printf("%s: %llu cases:", what, (unsigned long long)cases);
  for (const auto& [k, n] : o) std::printf(" %s=%llu", k.c_str(), (unsigned long long)n);
  std::printf("\n");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s DIR [mutations-per-module] [seed]\n", argv[0]);
    return 2;
  }
  int per_module = argc > 2 ? std::atoi(argv[2]) : 20;
  uint64_t seed = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 1;
  const bool compiled = argc > 4 && std::strcmp(argv[4], "--compiled") == 0;
  if (compiled && !ember::jit::available()) {
    std::printf("this build has no compiled tier: nothing to do for --compiled\n");
    return 0;
  }
  std::vector<Bytes> binaries = ember::fuzz::load_spec_corpus(argv[1]).binaries;
  // Two engines: plain, and with fuel and epoch checks and deterministic
  // relaxed SIMD (more IR ops, other lowerings).
  auto plain = std::make_shared<ember::rt::EngineData>();
  plain->config.features = ember::FeatureSet::all();
  auto metered = std::make_shared<ember::rt::EngineData>();
  metered->config.features = ember::FeatureSet::all();
  metered->config.consume_fuel = true;
  metered->config.epoch_interruption = true;
  metered->config.relaxed_simd_deterministic = true;
  if (compiled) plain->config.strategy = metered->config.strategy = "cranelift";

  // Genuine blobs: each must load and serialize to the same bytes.
  struct Blob {
    Bytes bytes;
    std::shared_ptr<ember::rt::EngineData> engine;
  };
  std::vector<Blob> blobs;
  bool good = true;
  for (size_t i = 0; i < binaries.size() * 2; i++) {
    const Bytes& wasm = binaries[i / 2];
    const std::shared_ptr<ember::rt::EngineData>& engine = i % 2 ? metered : plain;
    auto m = ember::decode_module(wasm, engine->config.features);
    if (!m || !ember::compile_module(**m, *engine)) continue;
    auto blob = ember::rt::serialize_module(**m, *engine);
    if (!blob) {
      std::fprintf(stderr, "error: a compiled module does not serialize: %s\n",
                   blob.error().describe().c_str());
      good = false;
      continue;
    }
    auto back = ember::rt::deserialize_module(*blob, *engine);
    if (!back) {
      std::fprintf(stderr, "error: a genuine blob is refused: %s\n",
                   back.error().describe().c_str());
      good = false;
      continue;
    }
    auto again = ember::rt::serialize_module(**back, *engine);
    if (!again || *again != *blob) {
      std::fprintf(stderr, "error: serialize(deserialize(blob)) differs from blob\n");
      good = false;
    }
    if (compiled && (**m).code->native_funcs && !(**back).code->native_from_image) {
      std::fprintf(stderr, "error: a compiled module's blob did not bring its machine code\n");
      good = false;
    }
    blobs.push_back(Blob{std::move(*blob), engine});
  }
  if (blobs.empty()) {
    std::fprintf(stderr, "error: no modules found in %s\n", argv[1]);
    return 1;
  }
  std::printf("genuine: %zu blobs round-trip (plain and with fuel + epochs%s)\n", blobs.size(),
              compiled ? ", machine code" : "");

  std::mt19937_64 rng(seed);
  const bool verbose = std::getenv("EMBER_FUZZ_VERBOSE") != nullptr;
  Outcomes stale, resealed, reasons;
  uint64_t stale_cases = 0, resealed_cases = 0, instantiated = 0, linked_mutants = 0;
  for (const Blob& blob : blobs) {
    const Bytes& original = blob.bytes;
    const std::shared_ptr<ember::rt::EngineData>& engine = blob.engine;
    const size_t payload = kHeader + ember::rt::compatibility_key(engine->config).size();
    for (int i = 0; i < per_module; i++) {
      bool do_reseal = i % 2 == 1;
      Bytes b = original;
      mutate(b, rng, do_reseal && rng() % 2, payload);
      if (do_reseal) reseal(b);
      (do_reseal ? resealed_cases : stale_cases)++;
      Outcomes& out = do_reseal ? resealed : stale;
      (void)ember::rt::summarize_blob(b);  // (`ember inspect`'s reader: must not crash either)
      auto m = ember::rt::deserialize_module(b, *engine);
      if (!m) {
        out[ember::error_kind_name(m.error().kind())]++;
        if (verbose) {
          std::string why;  // digits folded, cut short: one line per reason
          for (char c : m.error().message().substr(0, 90)) {
            bool digit = c >= '0' && c <= '9';
            if (!digit || why.empty() || why.back() != '#') why += digit ? '#' : c;
          }
          reasons[why.substr(0, why.find(" ("))]++;
        }
        continue;
      }
      out[b == original ? "ok-unchanged" : "ok"]++;
      // An accepted mutant must be usable: serializable again, and
      // instantiable when that runs no code and needs no imports.
      if (!ember::rt::serialize_module(**m, *engine)) {
        std::fprintf(stderr, "error: an accepted blob does not serialize again\n");
        good = false;
      }
      // Changed blobs that still link their machine code: the digest binds
      // the code to everything but the key, so these changed only the key
      // (a CPU name, features the code does not need).
      if (compiled && (*m)->code->native_from_image && do_reseal && b != original) linked_mutants++;
      if ((*m)->imports.empty() && !(*m)->start) {
        ember::rt::StoreData store;
        store.engine = engine;
        auto inst = ember::rt::instantiate(store, *m, {});
        if (inst) instantiated++;
      }
    }
  }
  print("stale checksum", stale_cases, stale);
  print("resealed", resealed_cases, resealed);
  std::printf("accepted mutants instantiated: %llu\n", (unsigned long long)instantiated);
  if (compiled)
    std::printf("accepted mutants with machine code linked: %llu\n",
                (unsigned long long)linked_mutants);
  for (const auto& [why, n] : reasons)
    std::printf("  %8llu  %s\n", (unsigned long long)n, why.c_str());
  for (const Outcomes* o : {&stale, &resealed})
    for (const auto& [k, n] : *o)
      if (k != "ok" && k != "ok-unchanged" && k != "malformed" && k != "error") {
        std::fprintf(stderr, "error: unexpected outcome kind %s\n", k.c_str());
        good = false;
      }
  return good ? 0 : 1;
}
