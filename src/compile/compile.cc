// The compile driver: validation plus lowering of every function body,
// serial or on several threads (see compile.hh).
#include "compile/compile.hh"

#include <algorithm>
#include <atomic>
#include <memory>
#include <thread>

#include "interp/code.hh"
#include "interp/interp.hh"
#include "interp/translate.hh"
#include "jit/jit.hh"
#include "support/parallel.hh"
#include "validate/func_validate.hh"
#include "validate/validate.hh"

namespace ember {

namespace {

// ---- translation of the bodies, serial or parallel -----------------------------

constexpr uint64_t kParallelMinCodeBytes = 128 * 1024;
constexpr size_t kParallelMinFuncsPerThread = 16;
constexpr unsigned kMaxCompileThreads = 16;

// The first body of a range that failed, and why.
struct RangeResult {
  uint32_t failed_at = UINT32_MAX;
  Error error;
};

RangeResult translate_range(const ModuleContext& cx, const interp::TranslateOptions& opt,
                            uint32_t from, uint32_t to, CompiledCode& out,
                            const std::atomic<uint32_t>* stop = nullptr) {
  interp::Translator tr(out, opt);
  for (uint32_t i = from; i < to; i++) {
    if (stop && stop->load(std::memory_order_relaxed) < i) return {};  // an earlier body failed
    Status st = validate_function(cx, i, tr);
    if (!st) return {i, st.take_error()};
  }
  return {};
}

// Appends `part` (translated on its own: word positions and table indices
// relative to it), rebasing every position and index into the whole.
void append_code(CompiledCode& code, const CompiledCode& part) {
  const uint32_t base = uint32_t(code.words.size());
  const uint32_t tries0 = uint32_t(code.tries.size()), handlers0 = uint32_t(code.handlers.size());
  const uint32_t refs0 = uint32_t(code.ref_slots.size());
  code.words.insert(code.words.end(), part.words.begin(), part.words.end());
  for (interp::FuncCode f : part.funcs) {
    f.begin += base;
    f.end += base;
    f.tries_begin += tries0;
    f.tries_end += tries0;
    f.ref_locals_begin += refs0;
    f.ref_locals_end += refs0;
    code.funcs.push_back(f);
  }
  for (interp::PcMapEntry e : part.pc_map) code.pc_map.push_back({e.word + base, e.offset});
  for (interp::TryRange r : part.tries) {
    r.begin += base;
    r.end += base;
    if (r.count != interp::kDelegate) r.first += handlers0;
    else if (r.first != interp::kDelegateToCaller) r.first += tries0;
    code.tries.push_back(r);
  }
  for (interp::CatchHandler h : part.handlers) {
    if (h.target != interp::kReturnTarget) h.target += base;
    code.handlers.push_back(h);
  }
  for (interp::StackMap sm : part.stack_maps)
    code.stack_maps.push_back({sm.word + base, sm.first + refs0, sm.count});
  code.ref_slots.insert(code.ref_slots.end(), part.ref_slots.begin(), part.ref_slots.end());
}

RangeResult translate_parallel(const ModuleContext& cx, const interp::TranslateOptions& opt,
                               unsigned threads, CompiledCode& code) {
  const ModuleData& m = cx.m;
  // Contiguous ranges of about equal code size, several per thread.
  const std::vector<uint32_t> bounds =
      balanced_ranges(uint32_t(m.bodies.size()), std::min<size_t>(m.bodies.size(), threads * 4),
                      [&](uint32_t i) { return m.bodies[i].size; });
  size_t nparts = bounds.size() - 1;
  // One allocation per part: the translators append to their vectors all the
  // time, and neighbouring vector headers would share cache lines.
  std::vector<std::unique_ptr<CompiledCode>> parts(nparts);
  for (size_t c = 0; c < nparts; c++) {
    parts[c] = std::make_unique<CompiledCode>();
    parts[c]->funcs.reserve(bounds[c + 1] - bounds[c]);
  }
  std::vector<RangeResult> results(nparts);
  std::atomic<uint32_t> first_failure{UINT32_MAX};
  for_each_part(nparts, threads, [&](size_t c) {
    try {
      results[c] = translate_range(cx, opt, bounds[c], bounds[c + 1], *parts[c], &first_failure);
    } catch (const std::bad_alloc&) {
      results[c] = {bounds[c], Error(ErrorKind::Exhaustion, "out of memory while compiling")};
    }
    uint32_t f = results[c].failed_at, cur = first_failure.load();
    while (f < cur && !first_failure.compare_exchange_weak(cur, f)) {}
    return true;
  });
  size_t words = 0, funcs = 0, pcs = 0;
  for (size_t c = 0; c < nparts; c++) {
    if (results[c].failed_at != UINT32_MAX) return std::move(results[c]);
    words += parts[c]->words.size();
    funcs += parts[c]->funcs.size();
    pcs += parts[c]->pc_map.size();
  }
  code.words.reserve(words);
  code.funcs.reserve(funcs);
  code.pc_map.reserve(pcs);
  for (size_t c = 0; c < nparts; c++) {
    append_code(code, *parts[c]);
    parts[c].reset();
  }
  return {};
}

}  // namespace

unsigned compile_threads(const ModuleData& m, const rt::EngineConfig& config) {
  if (!config.parallel_compilation) return 1;
  uint64_t bytes = 0;
  for (const FuncBody& b : m.bodies) bytes += b.size;
  if (bytes < kParallelMinCodeBytes) return 1;
  unsigned hw = std::max(1u, std::thread::hardware_concurrency());
  size_t by_funcs = m.bodies.size() / kParallelMinFuncsPerThread;
  return unsigned(std::max<size_t>(1, std::min<size_t>({hw, by_funcs, kMaxCompileThreads})));
}

Status compile_native(CompiledCode& code, const ModuleData& m, const rt::EngineConfig& config) {
  if (config.strategy == "cranelift") return jit::compile_module(code, m, config);
  jit::prepare_tiering(code, config);
  return Status::Ok();
}

Status compile_module(ModuleData& m, const rt::EngineData& engine, bool validate) {
  const FeatureSet& f = engine.config.features;
  // The registry is internally synchronized; interning does not change the
  // engine's observable configuration.
  auto& registry = const_cast<TypeRegistry&>(engine.types);
  // A malformed body takes precedence over any validation error.
  auto prefer_malformed = [&](Error e, uint32_t from) -> Error {
    for (uint32_t i = from; i < m.bodies.size(); i++) {
      Status st = decode_function(m, i, f);
      if (!st) return st.take_error();
    }
    return e;
  };
  {
    Status st = intern_types(m, registry);
    if (st) st = validate_module_level(m, f, registry, validate);
    if (!st) return prefer_malformed(st.take_error(), 0);
  }
  ModuleContext cx{m, f, declared_funcs(m), &registry};
  auto code = std::make_shared<CompiledCode>();
  interp::TranslateOptions opt{engine.config.consume_fuel,
                               engine.config.epoch_interruption,
                               engine.config.relaxed_simd_deterministic,
                               engine.config.nan_canonicalization,
                               jit::tiers_up(engine.config),
                               m.num_imported_funcs};
  unsigned threads = compile_threads(m, engine.config);
  RangeResult r = threads > 1 ? translate_parallel(cx, opt, threads, *code)
                              : translate_range(cx, opt, 0, uint32_t(m.bodies.size()), *code);
  if (r.failed_at != UINT32_MAX) {
    if (r.error.kind() == ErrorKind::Malformed) return std::move(r.error);
    return prefer_malformed(std::move(r.error), r.failed_at);
  }
  for (interp::FuncCode& fc : code->funcs) fc.entry = code->words.data() + fc.begin;
  EMBER_TRY(compile_native(*code, m, engine.config));
  m.code = std::move(code);
  m.tier = &interp::kTier;
  return Status::Ok();
}

}  // namespace ember
