// Tables expanded from operators.def, traps.def and features.def.
#include "ir/types.hh"

#include <array>
#include <unordered_map>

#include "support/leb128.hh"

namespace ember {

namespace {
constexpr std::optional<ValType> kNone = std::nullopt;
#define EMBER_VT_None kNone
#define EMBER_VT_I32 std::optional<ValType>(ValType::I32)
#define EMBER_VT_I64 std::optional<ValType>(ValType::I64)
#define EMBER_VT_F32 std::optional<ValType>(ValType::F32)
#define EMBER_VT_F64 std::optional<ValType>(ValType::F64)
#define EMBER_VT_V128 std::optional<ValType>(ValType::V128)

const OpInfo kOps[] = {
#define EMBER_OP(name, prefix, code, text, imm, kind, in, out, size, feature) \
  {Op::name,      prefix,        code,           text, ImmKind::imm,          \
   SigKind::kind, EMBER_VT_##in, EMBER_VT_##out, size, Feature::feature},
#include "ir/operators.def"
};
static_assert(sizeof(kOps) / sizeof(kOps[0]) == kOpCount);

struct CodeKey {
  uint8_t prefix;
  uint32_t code;
  bool operator==(const CodeKey& o) const { return prefix == o.prefix && code == o.code; }
};
struct CodeKeyHash {
  size_t operator()(const CodeKey& k) const { return (size_t(k.prefix) << 32) ^ k.code; }
};

const std::unordered_map<CodeKey, const OpInfo*, CodeKeyHash>& code_map() {
  static const auto* m = [] {
    auto* map = new std::unordered_map<CodeKey, const OpInfo*, CodeKeyHash>();
    for (const OpInfo& i : kOps) map->emplace(CodeKey{i.prefix, i.code}, &i);
    return map;
  }();
  return *m;
}

const std::unordered_map<std::string_view, const OpInfo*>& mnemonic_map() {
  static const auto* m = [] {
    auto* map = new std::unordered_map<std::string_view, const OpInfo*>();
    // First entry wins: `select` resolves to the untyped Op::Select.
    for (const OpInfo& i : kOps) map->emplace(i.mnemonic, &i);
    return map;
  }();
  return *m;
}

struct TrapRow {
  const char* spec;
  int code;
  const char* wasmtime;
};
const TrapRow kTraps[] = {
    {"", -1, ""},
#define EMBER_TRAP(name, spec, code, wt) {spec, code, wt},
#include "ir/traps.def"
};

struct FeatureRow {
  const char* name;
  bool on;
};
const FeatureRow kFeatures[] = {
    {"core", true},
#define EMBER_FEATURE(name, text, on) {text, on},
#include "ir/features.def"
};
}  // namespace

const OpInfo& op_info(Op op) {
  return kOps[static_cast<size_t>(op)];
}

const OpInfo* op_by_code(uint8_t prefix, uint32_t code) {
  auto it = code_map().find(CodeKey{prefix, code});
  return it == code_map().end() ? nullptr : it->second;
}

const OpInfo* op_by_mnemonic(std::string_view m) {
  auto it = mnemonic_map().find(m);
  return it == mnemonic_map().end() ? nullptr : it->second;
}

const char* trap_spec_message(TrapCode c) {
  return kTraps[static_cast<size_t>(c)].spec;
}
const char* trap_wasmtime_message(TrapCode c) {
  return kTraps[static_cast<size_t>(c)].wasmtime;
}
int trap_wasmtime_code(TrapCode c) {
  return kTraps[static_cast<size_t>(c)].code;
}

namespace {
constexpr uint32_t kAnyCode = UINT32_MAX;
struct PendingOp {
  uint8_t prefix;
  uint32_t code;
  PendingConstruct c;
};
// Ends with a row of prefix 0xFF (no prefix) that stands for nothing.
constexpr PendingOp kPendingOps[] = {
#define EMBER_PENDING_OP(prefix, code, name, feature, what) \
  {prefix, code, {name, Feature::feature, what}},
#include "ir/pending.def"
    {0xFF, 0, {"", Feature::Core, ""}},
};
struct PendingType {
  uint8_t byte;
  PendingConstruct c;
};
// Ends with a row of byte 0 that stands for nothing (the table may be empty).
constexpr PendingType kPendingTypes[] = {
#define EMBER_PENDING_TYPE(byte, name, feature, what) {byte, {name, Feature::feature, what}},
#include "ir/pending.def"
    {0, {"", Feature::Core, ""}},
};
// How an error names a proposal (wasmtime's spelling where it has one).
}  // namespace

const char* proposal_name(Feature f) {
  switch (f) {
    case Feature::Exceptions: return "exceptions";
    case Feature::FunctionReferences: return "function references";
    case Feature::Gc: return "gc";
    case Feature::Threads: return "threads";
    default: return feature_name(f);
  }
}

const PendingConstruct* pending_op_by_code(uint8_t prefix, uint32_t code) {
  for (const PendingOp& p : kPendingOps)
    if (p.prefix == prefix && (p.code == code || p.code == kAnyCode)) return &p.c;
  return nullptr;
}

const PendingConstruct* pending_op_by_mnemonic(std::string_view m) {
  for (const PendingOp& p : kPendingOps)
    if (p.code != kAnyCode && p.prefix != 0xFF && m == p.c.name) return &p.c;
  return nullptr;
}

const PendingConstruct* pending_type_by_byte(uint8_t b) {
  for (const PendingType& p : kPendingTypes)
    if (p.byte == b && p.byte != 0) return &p.c;
  return nullptr;
}

std::string pending_message(const PendingConstruct& p, const FeatureSet& features, bool* invalid) {
  *invalid = !features.has(p.feature);
  if (*invalid) return std::string(proposal_name(p.feature)) + " support is not enabled";
  std::string name = p.name;
  return (name.empty() ? "" : name + ": ") + p.what + " are not supported yet";
}

FeatureSet FeatureSet::defaults() {
  FeatureSet s;
  for (size_t i = 1; i < kFeatureCount; i++) s.set(static_cast<Feature>(i), kFeatures[i].on);
  return s;
}

FeatureSet FeatureSet::all() {
  FeatureSet s;
  for (size_t i = 1; i < kFeatureCount; i++) s.set(static_cast<Feature>(i), true);
  return s;
}

const char* feature_name(Feature f) {
  return kFeatures[static_cast<size_t>(f)].name;
}

bool feature_from_name(std::string_view name, Feature* out) {
  for (size_t i = 1; i < kFeatureCount; i++) {
    if (name == kFeatures[i].name) {
      *out = static_cast<Feature>(i);
      return true;
    }
  }
  return false;
}

const char* heap_kind_name(HeapKind h) {
  switch (h) {
    case HeapKind::Func: return "func";
    case HeapKind::Extern: return "extern";
    case HeapKind::Exn: return "exn";
    case HeapKind::Any: return "any";
    case HeapKind::Eq: return "eq";
    case HeapKind::I31: return "i31";
    case HeapKind::Struct: return "struct";
    case HeapKind::Array: return "array";
    case HeapKind::None: return "none";
    case HeapKind::NoExtern: return "noextern";
    case HeapKind::NoFunc: return "nofunc";
    case HeapKind::NoExn: return "noexn";
  }
  return "?";
}

bool heap_kind_from_byte(uint8_t b, HeapKind* out) {
  if (b < 0x69 || b > 0x74) return false;
  *out = HeapKind(b);
  return true;
}

std::string val_type_name(ValType t) {
  switch (t.kind()) {
    case ValKind::I32: return "i32";
    case ValKind::I64: return "i64";
    case ValKind::F32: return "f32";
    case ValKind::F64: return "f64";
    case ValKind::V128: return "v128";
    case ValKind::Bottom: return "(bottom)";
    default: break;
  }
  if (t.has_index())
    return std::string(t.nullable() ? "(ref null " : "(ref ") + std::to_string(t.index()) + ")";
  // The nullable abstract types by their shorthands: funcref, nullfuncref.
  const std::string h = heap_kind_name(t.heap());
  if (t.nullable()) {
    if (t.heap() == HeapKind::None) return "nullref";
    return h.starts_with("no") ? "null" + h.substr(2) + "ref" : h + "ref";
  }
  return "(ref " + h + ")";
}

bool val_type_from_byte(uint8_t b, ValType* out) {
  HeapKind h;
  if (heap_kind_from_byte(b, &h)) {
    *out = ValType::ref(h, true);
    return true;
  }
  switch (b) {
    case 0x7F: *out = ValType::I32; return true;
    case 0x7E: *out = ValType::I64; return true;
    case 0x7D: *out = ValType::F32; return true;
    case 0x7C: *out = ValType::F64; return true;
    case 0x7B: *out = ValType::V128; return true;
    default: return false;
  }
}

void put_val_type(std::vector<uint8_t>& out, ValType t) {
  if (!t.is_ref()) {
    out.push_back(uint8_t(t.kind()));
    return;
  }
  if (t.nullable() && !t.has_index()) {
    out.push_back(uint8_t(t.heap()));
    return;
  }
  out.push_back(t.nullable() ? 0x63 : 0x64);
  put_heap_type(out, t);
}

void put_heap_type(std::vector<uint8_t>& out, ValType t) {
  if (!t.has_index()) {
    out.push_back(uint8_t(t.heap()));
    return;
  }
  put_sleb(out, int64_t(t.index()));  // s33
}

bool ValType::from_bits(uint32_t b, ValType* out) {
  const ValType t(b);
  const uint8_t code = t.code();
  if (t.is_ref()) {
    if (!t.has_index() && t.index() != 0) return false;
    const HeapKind h = t.heap();
    if (t.has_index() && h != HeapKind::Func && h != HeapKind::Struct && h != HeapKind::Array)
      return false;
  } else if (!(code >= 0x7B && code <= 0x7F) || (b >> 8) != 0) {
    return false;
  }
  *out = t;
  return true;
}

std::string FuncType::to_string() const {
  std::string s = "(";
  for (size_t i = 0; i < params.size(); i++) {
    if (i) s += ", ";
    s += val_type_name(params[i]);
  }
  s += ") -> (";
  for (size_t i = 0; i < results.size(); i++) {
    if (i) s += ", ";
    s += val_type_name(results[i]);
  }
  return s + ")";
}

std::string memory_size_error(const MemoryType& t) {
  std::string most;
  if (t.page_size_log2 == 16) most = t.limits.is64 ? "2^48 pages" : "65536 pages (4GiB)";
  else if (t.page_size_log2 == 0) most = t.limits.is64 ? "2^64-1 pages" : "2^32-1 pages (4GiB)";
  else most = std::to_string(t.max_pages()) + " pages";
  return "memory size must be at most " + most;
}

const char* extern_kind_name(ExternKind k) {
  switch (k) {
    case ExternKind::Func: return "func";
    case ExternKind::Table: return "table";
    case ExternKind::Memory: return "memory";
    case ExternKind::Global: return "global";
    case ExternKind::Tag: return "tag";
  }
  return "?";
}

}  // namespace ember
