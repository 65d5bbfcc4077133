// Module-level validation and the compile_module driver.
//
// Checks the rules of the spec's module validation (types, imports, limits,
// globals, exports, start, segments, C.refs) and then validates + translates
// every function body with one FuncValidator pass each -- on several threads
// for large modules (parallel_compilation): each thread translates a
// contiguous range of bodies into its own CompiledCode and the ranges are
// concatenated in order. Translated code is position independent (branch
// offsets are relative, calls name function indices), so only the function
// ranges and pc_map words move, and the result is identical to the serial
// translation.
#include <algorithm>
#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <unordered_set>

#include "interp/code.hh"
#include "interp/translate.hh"
#include "validate/func_validate.hh"
#include "validate/validate.hh"

namespace ember {

namespace {

[[gnu::cold]] Error invalid(std::string msg, uint64_t offset = UINT64_MAX) {
  return Error(ErrorKind::Invalid, std::move(msg), offset);
}

Status check_table_type(const TableType& t) {
  if (t.limits.max && t.limits.min > *t.limits.max) {
    return invalid("size minimum must not be greater than maximum");
  }
  if (!t.limits.is64 && (t.limits.min > UINT32_MAX || (t.limits.max && *t.limits.max > UINT32_MAX))) {
    return invalid("table size must be at most 2^32-1");
  }
  return Status::Ok();
}

Status check_memory_type(const MemoryType& mt, const FeatureSet& f) {
  const Limits& l = mt.limits;
  uint64_t max_pages = l.is64 ? (uint64_t(1) << 48) : kMaxPages32;
  if (l.min > max_pages || (l.max && *l.max > max_pages)) {
    return invalid(l.is64 ? "memory size must be at most 2^48 pages"
                          : "memory size must be at most 65536 pages (4GiB)");
  }
  if (l.max && l.min > *l.max) return invalid("size minimum must not be greater than maximum");
  if (l.shared) {
    if (!f.has(Feature::Threads)) return invalid("shared memories require the threads feature");
    if (!l.max) return invalid("shared memory must have maximum");
  }
  if (l.is64 && !f.has(Feature::Memory64)) return invalid("memory64 is not enabled");
  return Status::Ok();
}

bool is_extended_const_op(Op op) {
  switch (op) {
    case Op::I32Add: case Op::I32Sub: case Op::I32Mul:
    case Op::I64Add: case Op::I64Sub: case Op::I64Mul:
      return true;
    default:
      return false;
  }
}

// v128 anywhere in a module's types needs the simd feature.
Status check_simd_types(const ModuleData& m, const FeatureSet& f) {
  if (f.has(Feature::Simd)) return Status::Ok();
  auto v128 = [](const std::vector<ValType>& ts) {
    for (ValType t : ts) {
      if (t == ValType::V128) return true;
    }
    return false;
  };
  for (const FuncType& t : m.types) {
    if (v128(t.params) || v128(t.results)) return invalid("v128 requires the simd feature");
  }
  for (const GlobalDecl& g : m.globals) {
    if (g.type.type == ValType::V128) return invalid("v128 requires the simd feature");
  }
  return Status::Ok();
}

// `full == false` (Module(..., validate=False)) skips the rules that only
// enforce the spec and that no later stage relies on for safety: feature
// gates of module-level constructs the runtime handles either way
// (multi-value types, mutable global imports, several tables or memories)
// and unique export names. Everything indices, types, limits and constant
// expressions need stays checked.
Status check_module(const ModuleData& m, const FeatureSet& f, bool full) {
  for (const FuncType& t : m.types) {
    if (full && t.results.size() > 1 && !f.has(Feature::MultiValue)) return invalid("invalid result arity");
  }
  EMBER_TRY(check_simd_types(m, f));
  for (const Import& im : m.imports) {
    switch (im.kind) {
      case ExternKind::Func:
        if (im.func_type >= m.types.size()) return invalid("unknown type");
        break;
      case ExternKind::Table: EMBER_TRY(check_table_type(im.table)); break;
      case ExternKind::Memory: EMBER_TRY(check_memory_type(im.memory, f)); break;
      case ExternKind::Global:
        if (full && im.global.mut && !f.has(Feature::MutableGlobal)) {
          return invalid("mutable globals cannot be imported");
        }
        break;
      case ExternKind::Tag: return invalid("tags are not supported");
    }
  }
  for (uint32_t t : m.funcs) {
    if (t >= m.types.size()) return invalid("unknown type");
  }
  if (full && m.tables.size() > 1 && !f.has(Feature::ReferenceTypes)) return invalid("multiple tables");
  for (const TableType& t : m.tables) EMBER_TRY(check_table_type(t));
  if (full && m.memories.size() > 1 && !f.has(Feature::MultiMemory)) return invalid("multiple memories");
  for (const MemoryType& mt : m.memories) EMBER_TRY(check_memory_type(mt, f));
  for (size_t i = m.num_imported_globals; i < m.globals.size(); i++) {
    const GlobalDecl& g = m.globals[i];
    EMBER_TRY(validate_const_expr(m, g.init, g.type.type, f));
  }
  std::unordered_set<std::string> names;
  for (const Export& e : m.exports) {
    if (!names.insert(e.name).second && full) return invalid("duplicate export name");
    switch (e.kind) {
      case ExternKind::Func:
        if (e.index >= m.funcs.size()) return invalid("unknown function");
        break;
      case ExternKind::Table:
        if (e.index >= m.tables.size()) return invalid("unknown table");
        break;
      case ExternKind::Memory:
        if (e.index >= m.memories.size()) return invalid("unknown memory");
        break;
      case ExternKind::Global:
        if (e.index >= m.globals.size()) return invalid("unknown global");
        break;
      case ExternKind::Tag: return invalid("tags are not supported");
    }
  }
  if (m.start) {
    if (*m.start >= m.funcs.size()) return invalid("unknown function");
    const FuncType& t = m.func_type(*m.start);
    if (!t.params.empty() || !t.results.empty()) return invalid("start function");
  }
  for (const ElemSegment& s : m.elems) {
    if (s.mode == SegmentMode::Active) {
      if (s.table >= m.tables.size()) return invalid("unknown table", s.offset_in_binary);
      const TableType& tt = m.tables[s.table];
      if (tt.elem != s.type) return invalid("type mismatch", s.offset_in_binary);
      EMBER_TRY(validate_const_expr(m, s.offset, tt.limits.is64 ? ValType::I64 : ValType::I32, f));
    }
    for (const ConstExpr& e : s.items) EMBER_TRY(validate_const_expr(m, e, s.type, f));
  }
  for (const DataSegment& d : m.datas) {
    if (d.mode != SegmentMode::Active) continue;
    if (d.memory >= m.memories.size()) return invalid("unknown memory " + std::to_string(d.memory));
    ValType at = m.memories[d.memory].limits.is64 ? ValType::I64 : ValType::I32;
    EMBER_TRY(validate_const_expr(m, d.offset, at, f));
  }
  return Status::Ok();
}

// C.refs: functions named by ref.func outside function bodies.
std::vector<bool> declared_funcs(const ModuleData& m) {
  std::vector<bool> refs(m.funcs.size(), false);
  auto scan = [&](const ConstExpr& e) {
    for (const ConstInstr& ci : e.instrs) {
      if (ci.op == Op::RefFunc && ci.imm < refs.size()) refs[ci.imm] = true;
    }
  };
  for (size_t i = m.num_imported_globals; i < m.globals.size(); i++) scan(m.globals[i].init);
  for (const ElemSegment& s : m.elems) {
    for (const ConstExpr& e : s.items) scan(e);
  }
  for (const Export& e : m.exports) {
    if (e.kind == ExternKind::Func && e.index < refs.size()) refs[e.index] = true;
  }
  return refs;
}

// ---- translation of the bodies, serial or parallel -----------------------------

constexpr uint64_t kParallelMinCodeBytes = 128 * 1024;
constexpr size_t kParallelMinFuncsPerThread = 16;
constexpr unsigned kMaxCompileThreads = 16;

// The first body of a range that failed, and why.
struct RangeResult {
  uint32_t failed_at = UINT32_MAX;
  Error error;
};

RangeResult translate_range(const ModuleContext& cx, const interp::TranslateOptions& opt, uint32_t from,
                            uint32_t to, CompiledCode& out, const std::atomic<uint32_t>* stop = nullptr) {
  interp::Translator tr(out, opt);
  for (uint32_t i = from; i < to; i++) {
    if (stop && stop->load(std::memory_order_relaxed) < i) return {};  // an earlier body failed
    Status st = validate_function(cx, i, tr);
    if (!st) return {i, st.take_error()};
  }
  return {};
}

// Appends `part` (translated on its own, word positions relative to it).
void append_code(CompiledCode& code, const CompiledCode& part) {
  uint32_t base = uint32_t(code.words.size());
  code.words.insert(code.words.end(), part.words.begin(), part.words.end());
  size_t f0 = code.funcs.size(), p0 = code.pc_map.size();
  code.funcs.insert(code.funcs.end(), part.funcs.begin(), part.funcs.end());
  code.pc_map.insert(code.pc_map.end(), part.pc_map.begin(), part.pc_map.end());
  for (size_t i = f0; i < code.funcs.size(); i++) {
    code.funcs[i].begin += base;
    code.funcs[i].end += base;
  }
  for (size_t i = p0; i < code.pc_map.size(); i++) code.pc_map[i].word += base;
}

RangeResult translate_parallel(const ModuleContext& cx, const interp::TranslateOptions& opt, unsigned threads,
                               CompiledCode& code) {
  const ModuleData& m = cx.m;
  // Contiguous ranges of about equal code size, several per thread so that
  // one large function does not leave the others idle.
  size_t nchunks = std::min<size_t>(m.bodies.size(), size_t(threads) * 4);
  uint64_t total = 0;
  for (const FuncBody& b : m.bodies) total += b.size;
  std::vector<uint32_t> bounds{0};
  uint64_t acc = 0;
  for (uint32_t i = 0; i < m.bodies.size(); i++) {
    acc += m.bodies[i].size;
    if (acc * nchunks >= total * bounds.size() && bounds.size() < nchunks) bounds.push_back(i + 1);
  }
  if (bounds.back() != m.bodies.size()) bounds.push_back(uint32_t(m.bodies.size()));
  size_t nparts = bounds.size() - 1;
  // One allocation per part: the translators append to their vectors all the
  // time, and neighbouring vector headers would share cache lines.
  std::vector<std::unique_ptr<CompiledCode>> parts(nparts);
  for (size_t c = 0; c < nparts; c++) {
    parts[c] = std::make_unique<CompiledCode>();
    parts[c]->funcs.reserve(bounds[c + 1] - bounds[c]);
  }
  std::vector<RangeResult> results(nparts);
  std::atomic<size_t> next{0};
  std::atomic<uint32_t> first_failure{UINT32_MAX};
  auto worker = [&] {
    for (size_t c; (c = next.fetch_add(1)) < nparts;) {
      try {
        results[c] = translate_range(cx, opt, bounds[c], bounds[c + 1], *parts[c], &first_failure);
      } catch (const std::bad_alloc&) {
        results[c] = {bounds[c], Error(ErrorKind::Exhaustion, "out of memory while compiling")};
      }
      uint32_t f = results[c].failed_at, cur = first_failure.load();
      while (f < cur && !first_failure.compare_exchange_weak(cur, f)) {
      }
    }
  };
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; t++) pool.emplace_back(worker);
  worker();
  for (std::thread& t : pool) t.join();
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

Status validate_module_level(const ModuleData& m, const FeatureSet& features, bool full) {
  if (m.bodies.size() + m.num_imported_funcs != m.funcs.size())
    return Error(ErrorKind::Malformed, "function and code section have inconsistent lengths");
  return check_module(m, features, full);
}

Status validate_const_expr(const ModuleData& m, const ConstExpr& e, ValType expected,
                           const FeatureSet& f) {
  std::vector<ValType> st;
  auto err = [&](const char* msg) { return invalid(msg, e.offset); };
  for (const ConstInstr& ci : e.instrs) {
    switch (ci.op) {
      case Op::I32Const: st.push_back(ValType::I32); break;
      case Op::I64Const: st.push_back(ValType::I64); break;
      case Op::F32Const: st.push_back(ValType::F32); break;
      case Op::F64Const: st.push_back(ValType::F64); break;
      case Op::V128Const:
        if (!f.has(Feature::Simd)) return err("constant expression required");
        st.push_back(ValType::V128);
        break;
      case Op::RefNull: st.push_back(ValType(uint8_t(ci.imm))); break;
      case Op::RefFunc:
        if (ci.imm >= m.funcs.size()) return invalid("unknown function " + std::to_string(ci.imm), e.offset);
        st.push_back(ValType::FuncRef);
        break;
      case Op::GlobalGet: {
        // Wasm 2.0: only imported globals are visible in constant expressions.
        if (ci.imm >= m.num_imported_globals) {
          return invalid("unknown global " + std::to_string(ci.imm), e.offset);
        }
        const GlobalType& gt = m.globals[ci.imm].type;
        if (gt.mut) return err("constant expression required");
        st.push_back(gt.type);
        break;
      }
      default: {
        if (!f.has(Feature::ExtendedConst) || !is_extended_const_op(ci.op)) {
          return err("constant expression required");
        }
        ValType t = *op_info(ci.op).in;
        if (st.size() < 2 || st[st.size() - 1] != t || st[st.size() - 2] != t) {
          return err("type mismatch");
        }
        st.pop_back();
        break;
      }
    }
  }
  if (st.size() != 1 || st[0] != expected) return err("type mismatch");
  return Status::Ok();
}

Status compile_module(ModuleData& m, const rt::EngineData& engine, bool validate) {
  const FeatureSet& f = engine.config.features;
  // The registry is internally synchronized; interning does not change the
  // engine's observable configuration.
  auto& registry = const_cast<rt::TypeRegistry&>(engine.types);
  m.type_ids.clear();
  for (const FuncType& t : m.types) m.type_ids.push_back(registry.intern(t));
  if (m.bodies.size() + m.num_imported_funcs != m.funcs.size()) {
    return Error(ErrorKind::Malformed, "function and code section have inconsistent lengths");
  }
  // A malformed body takes precedence over any validation error.
  auto prefer_malformed = [&](Error e, uint32_t from) -> Error {
    for (uint32_t i = from; i < m.bodies.size(); i++) {
      Status st = decode_function(m, i, f);
      if (!st) return st.take_error();
    }
    return e;
  };
  {
    Status st = check_module(m, f, validate);
    if (!st) return prefer_malformed(st.take_error(), 0);
  }
  ModuleContext cx{m, f, declared_funcs(m)};
  auto code = std::make_shared<CompiledCode>();
  interp::TranslateOptions opt{engine.config.consume_fuel, engine.config.epoch_interruption,
                               engine.config.relaxed_simd_deterministic,
                               engine.config.nan_canonicalization, m.num_imported_funcs};
  unsigned threads = compile_threads(m, engine.config);
  RangeResult r = threads > 1 ? translate_parallel(cx, opt, threads, *code)
                              : translate_range(cx, opt, 0, uint32_t(m.bodies.size()), *code);
  if (r.failed_at != UINT32_MAX) {
    if (r.error.kind() == ErrorKind::Malformed) return std::move(r.error);
    return prefer_malformed(std::move(r.error), r.failed_at);
  }
  for (interp::FuncCode& fc : code->funcs) fc.entry = code->words.data() + fc.begin;
  m.code = std::move(code);
  return Status::Ok();
}

}  // namespace ember
