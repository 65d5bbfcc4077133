// Serialized modules: writer and bounds-checked reader (format: serialize.hh
// and docs/serialization.md).
#include "compile/serialize.hh"

#include <algorithm>
#include <bit>
#include <cstring>
#include <type_traits>

#include "binary/reader.hh"
#include "interp/code.hh"
#include "interp/interp.hh"
#include "compile/compile.hh"
#include "interp/ir_codec.hh"
#include "jit/jit.hh"
#include "support/hash.hh"
#include "validate/validate.hh"

#ifndef EMBER_VERSION_STRING
#define EMBER_VERSION_STRING "0.0.0-unversioned"
#endif

namespace ember::rt {

namespace {

constexpr size_t kHeaderSize = 32;
constexpr size_t kChecksumOffset = 24;

constexpr uint32_t tag(const char (&s)[5]) {
  return uint32_t(uint8_t(s[0])) | uint32_t(uint8_t(s[1])) << 8 | uint32_t(uint8_t(s[2])) << 16 |
         uint32_t(uint8_t(s[3])) << 24;
}

// ---- writer ----------------------------------------------------------------

class Out {
 public:
  std::vector<uint8_t> b;

  void u8(uint8_t v) { b.push_back(v); }
  void u16(uint16_t v) { raw(&v, 2); }
  void u32(uint32_t v) { raw(&v, 4); }
  void u64(uint64_t v) { raw(&v, 8); }
  void str(const std::string& s) {
    u32(uint32_t(s.size()));
    raw(s.data(), s.size());
  }
  void bytes(const std::vector<uint8_t>& v) {
    u32(uint32_t(v.size()));
    raw(v.data(), v.size());
  }
  void section(const char (&s)[5]) { u32(tag(s)); }
  void limits(const Limits& l) {
    u8(uint8_t((l.max ? 1 : 0) | (l.shared ? 2 : 0) | (l.is64 ? 4 : 0)));
    u64(l.min);
    u64(l.max.value_or(0));
  }
  void table(const TableType& t) {
    u32(t.elem.bits());
    limits(t.limits);
  }
  void memory(const MemoryType& t) {
    limits(t.limits);
    u8(t.page_size_log2);
  }
  void global(const GlobalType& g) {
    u32(g.type.bits());
    u8(g.mut ? 1 : 0);
  }
  void expr(const ConstExpr& e) {
    u32(uint32_t(e.instrs.size()));
    for (const ConstInstr& ci : e.instrs) {
      u16(uint16_t(ci.op));
      u64(ci.imm);
      u64(ci.imm_hi);
    }
    u64(e.offset);
  }

 private:
  // Host order is little-endian on every platform Ember builds for; the
  // reader assumes the same (static_assert below).
  void raw(const void* p, size_t n) {
    const uint8_t* q = static_cast<const uint8_t*>(p);
    b.insert(b.end(), q, q + n);
  }
};

static_assert(std::endian::native == std::endian::little,
              "serialized modules assume a little-endian host");

// ---- reader ----------------------------------------------------------------

// Text from a blob, safe to show in a message: printable ASCII, shortened.
std::string shown(const std::string& s) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < s.size() && out.size() < 40; i++) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out += char(c);
    } else {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  if (out.size() >= 40 && s.size() > out.size()) out += "...";
  return out;
}

// A cursor over untrusted bytes. The first failure sticks: later reads
// return zeros, so parsing code checks `failed()` at its decision points.
class In {
 public:
  In(const uint8_t* p, size_t n) : p_(p), end_(p + n) {}

  bool failed() const { return !why_.empty(); }
  const std::string& why() const { return why_; }
  size_t left() const { return size_t(end_ - p_); }
  const uint8_t* pos() const { return p_; }
  void fail(std::string why) {
    if (why_.empty()) why_ = std::move(why);
    p_ = end_;
  }

  uint8_t u8() { return uint8_t(fixed(1)); }
  uint16_t u16() { return uint16_t(fixed(2)); }
  uint32_t u32() { return uint32_t(fixed(4)); }
  uint64_t u64() { return fixed(8); }
  // A vector count whose items take at least `min_item` bytes each.
  uint32_t count(size_t min_item) {
    uint32_t n = u32();
    if (uint64_t(n) * std::max<size_t>(min_item, 1) > left()) {
      fail("a count exceeds the bytes left");
      return 0;
    }
    return n;
  }
  std::string str() {
    uint32_t n = count(1);
    std::string s(reinterpret_cast<const char*>(p_), n);
    p_ += n;
    return s;
  }
  // A name the embeddings hand out as text (import, export, module,
  // function and custom section names): valid UTF-8, as the binary
  // decoder requires of a .wasm file, checked by the same function.
  std::string name(const char* what) {
    std::string s = str();
    if (!is_valid_utf8(reinterpret_cast<const uint8_t*>(s.data()), s.size()))
      fail(std::string(what) + " \"" + shown(s) + "\" is not valid UTF-8");
    return s;
  }
  std::vector<uint8_t> bytes() {
    uint32_t n = count(1);
    std::vector<uint8_t> v(p_, p_ + n);
    p_ += n;
    return v;
  }
  void expect(const char (&s)[5]) {
    if (u32() != tag(s)) fail(std::string("section ") + s + " missing");
  }
  ValType val_type() {
    uint32_t b = u32();
    ValType t = ValType::I32;
    if (!failed() && !ValType::from_bits(b, &t)) fail("bad value type");
    return t;
  }
  ValType ref_type() {
    ValType t = val_type();
    if (!failed() && !is_ref(t)) fail("bad reference type");
    return t;
  }
  bool flag() {
    uint8_t b = u8();
    if (b > 1) fail("bad flag");
    return b == 1;
  }
  Limits limits() {
    Limits l;
    uint8_t f = u8();
    if (f & ~7u) fail("bad limits");
    l.min = u64();
    uint64_t max = u64();
    if (f & 1) l.max = max;
    l.shared = f & 2;
    l.is64 = f & 4;
    return l;
  }
  TableType table() {
    TableType t;
    t.elem = ref_type();
    t.limits = limits();
    return t;
  }
  MemoryType memory() {
    MemoryType t;
    t.limits = limits();
    t.page_size_log2 = u8();
    if (t.page_size_log2 != 0 && t.page_size_log2 != 16) fail("bad page size");
    return t;
  }
  GlobalType global() {
    GlobalType g;
    g.type = val_type();
    g.mut = flag();
    return g;
  }
  ConstExpr expr() {
    ConstExpr e;
    uint32_t n = count(18);
    e.instrs.reserve(n);
    for (uint32_t i = 0; i < n && !failed(); i++) {
      ConstInstr ci;
      uint16_t op = u16();
      if (op >= kOpCount) fail("bad operator in a constant expression");
      ci.op = Op(op);
      ci.imm = u64();
      ci.imm_hi = u64();
      e.instrs.push_back(ci);
    }
    e.offset = u64();
    return e;
  }
  // Vectors of plain 32-bit words (code words; pc map entries = 2 words).
  void u32_vec_into(std::vector<uint32_t>& out) { bulk_into(out, 4); }
  void pairs_into(std::vector<interp::PcMapEntry>& out) { bulk_into(out, 8); }

 private:
  template <typename T>
  void bulk_into(std::vector<T>& out, size_t item) {
    static_assert(std::is_trivially_copyable_v<T>);
    uint32_t n = count(item);
    out.resize(n);
    if (n) std::memcpy(out.data(), p_, size_t(n) * item);
    p_ += size_t(n) * item;
  }
  uint64_t fixed(size_t n) {
    if (left() < n) {
      fail("unexpected end");
      return 0;
    }
    uint64_t v = 0;
    std::memcpy(&v, p_, n);
    p_ += n;
    return v;
  }

  const uint8_t* p_;
  const uint8_t* end_;
  std::string why_;
};

[[gnu::cold]] Error corrupt(const std::string& what) {
  return Error(ErrorKind::Malformed, "serialized module is corrupted: " + what);
}
[[gnu::cold]] Error incompatible(const std::string& what) {
  return Error(ErrorKind::Internal, "serialized module is incompatible with this engine: " + what);
}

void write_key(Out& o, const EngineConfig& c) {
  o.str(ember_version());
  o.u64(build_fingerprint());
  auto key = config_key(c);
  o.u32(uint32_t(key.size()));
  for (const auto& [name, value] : key) {
    o.str(name);
    o.u64(value);
  }
}

const char* on_off(uint64_t v) {
  return v ? "on" : "off";
}

// The key's configuration entries (after the version and build).
std::vector<std::pair<std::string, uint64_t>> read_config(In& in) {
  std::vector<std::pair<std::string, uint64_t>> out;
  for (uint32_t i = 0, n = in.count(5); i < n && !in.failed(); i++) {
    std::string name = in.str();
    out.emplace_back(std::move(name), in.u64());
  }
  return out;
}

Status check_key(In& in, const EngineConfig& c) {
  std::string version = in.str();
  uint64_t build = in.u64();
  if (in.failed()) return corrupt(in.why());
  if (version != ember_version())
    return incompatible("it was produced by Ember " + shown(version) + ", this is Ember " +
                        ember_version());
  if (build != build_fingerprint())
    return incompatible("it was produced by another build of Ember " +
                        std::string(ember_version()) +
                        " (translated-code fingerprint differs); compile it again");
  auto mine = config_key(c);
  auto theirs = read_config(in);
  if (in.failed()) return corrupt(in.why());
  std::vector<std::string> diffs;
  std::vector<bool> seen(mine.size(), false);
  for (const auto& [name, value] : theirs) {
    auto it =
        std::find_if(mine.begin(), mine.end(), [&](const auto& e) { return e.first == name; });
    if (it == mine.end()) {
      diffs.push_back(shown(name) + " is unknown to this engine");
      continue;
    }
    seen[size_t(it - mine.begin())] = true;
    if (it->second != value) {
      diffs.push_back(name + " is " + (name == "tier" ? std::to_string(value) : on_off(value)) +
                      " in the module but " +
                      (name == "tier" ? std::to_string(it->second) : on_off(it->second)) +
                      " in the engine");
    }
  }
  for (size_t i = 0; i < mine.size(); i++)
    if (!seen[i]) diffs.push_back(mine[i].first + " is missing from the module");
  if (!diffs.empty()) {
    std::string msg = "configuration differs: ";
    for (size_t i = 0; i < diffs.size(); i++) msg += (i ? "; " : "") + diffs[i];
    return incompatible(msg);
  }
  return Status::Ok();
}

// NATV: the machine code of an eagerly compiled module (jit.hh's
// NativeImage), or a 0 byte. Its key (LLVM version, triple, CPU, features,
// layouts) comes first; a digest over the whole payload before NATV and the
// rest of NATV binds the machine code to the exact module and code it was
// compiled from (types, memories, globals and IR the code assumes). Machine
// code cannot be checked the way IR is (a blob is trusted input), but
// damage to it or to what it assumes, even under a recomputed checksum, is
// refused; a damaged key is refused by the key check, or names a target the
// code also runs on.
constexpr uint64_t kNativeDigestSeed = 0x6e61746976652d31ull;  // "native-1"

uint64_t native_digest(std::span<const uint8_t> module, std::span<const uint8_t> rest) {
  return checksum64(rest, checksum64(module, kNativeDigestSeed));
}

// `payload_at`: where the payload (TYPE) starts in o.b.
void write_native(Out& o, const CompiledCode& code, size_t payload_at) {
  const size_t module_end = o.b.size();
  o.section("NATV");
  jit::NativeImage image;
  if (!jit::native_image(code, &image)) {
    o.u8(0);
    return;
  }
  o.u8(1);
  o.str(image.llvm_version);
  o.str(image.triple);
  o.str(image.cpu);
  o.str(image.features);
  o.u64(image.layout);
  const size_t rest_at = o.b.size();
  o.str(image.opt_level);
  o.str(image.skipped_reason);
  o.u32(uint32_t(image.funcs.size()));
  for (uint32_t f : image.funcs) o.u32(f);
  o.u32(uint32_t(image.objects.size()));
  for (const std::vector<uint8_t>& object : image.objects) o.bytes(object);
  std::span<const uint8_t> all(o.b);
  o.u64(native_digest(all.subspan(payload_at, module_end - payload_at), all.subspan(rest_at)));
}

// Reads NATV into *image (present: true). `module`: the payload before it.
bool read_native(In& in, std::span<const uint8_t> module, size_t nfuncs, jit::NativeImage* image) {
  in.expect("NATV");
  if (!in.flag()) return false;
  image->llvm_version = in.str();
  image->triple = in.str();
  image->cpu = in.str();
  image->features = in.str();
  image->layout = in.u64();
  for (const std::string* field :
       {&image->llvm_version, &image->triple, &image->cpu, &image->features})
    if (!std::all_of(field->begin(), field->end(), [](char c) { return c > 0x20 && c < 0x7f; }))
      in.fail("bad machine code key");
  const uint8_t* rest_at = in.pos();
  image->opt_level = in.str();
  image->skipped_reason = in.str();
  for (uint32_t i = 0, n = in.count(4); i < n && !in.failed(); i++) {
    uint32_t f = in.u32();
    if (f >= nfuncs || (!image->funcs.empty() && f <= image->funcs.back()))
      in.fail("bad compiled function list");
    image->funcs.push_back(f);
  }
  for (uint32_t i = 0, n = in.count(4); i < n && !in.failed(); i++)
    image->objects.push_back(in.bytes());
  std::span<const uint8_t> rest(rest_at, size_t(in.pos() - rest_at));
  uint64_t digest = in.u64();
  if (!in.failed() && native_digest(module, rest) != digest)
    in.fail("machine code digest mismatch");
  return true;
}

// Words per function in the CODE section's function table.
constexpr size_t kFuncWords = 10;

void write_module(Out& o, const ModuleData& m, const std::vector<uint32_t>& portable_words) {
  const size_t payload_at = o.b.size();
  o.section("TYPE");
  o.u32(uint32_t(m.types.size()));
  for (size_t i = 0; i < m.types.size(); i++) {
    const FuncType& t = m.types[i];
    const TypeDecl& d = m.type_decls[i];
    o.u32(d.group_begin);
    o.u32(d.group_size);
    o.u32(d.super ? *d.super : UINT32_MAX);
    o.u8(d.final ? 1 : 0);
    o.u8(uint8_t(d.kind));
    o.u32(uint32_t(d.fields.size()));
    for (const FieldType& f : d.fields) {
      o.u32(f.type.bits());
      o.u8(f.packed);
      o.u8(f.mut ? 1 : 0);
    }
    o.u32(uint32_t(t.params.size()));
    for (ValType v : t.params) o.u32(v.bits());
    o.u32(uint32_t(t.results.size()));
    for (ValType v : t.results) o.u32(v.bits());
  }
  o.section("IMPT");
  o.u32(uint32_t(m.imports.size()));
  for (const Import& im : m.imports) {
    o.str(im.module);
    o.str(im.name);
    o.u8(uint8_t(im.kind));
    switch (im.kind) {
      case ExternKind::Func: o.u32(im.func_type); break;
      case ExternKind::Table: o.table(im.table); break;
      case ExternKind::Memory: o.memory(im.memory); break;
      case ExternKind::Global: o.global(im.global); break;
      case ExternKind::Tag: o.u32(im.tag_type); break;
    }
  }
  // Index spaces: only the defined entries (imports are rebuilt from IMPT).
  o.section("FUNC");
  o.u32(uint32_t(m.funcs.size() - m.num_imported_funcs));
  for (size_t i = m.num_imported_funcs; i < m.funcs.size(); i++) o.u32(m.funcs[i]);
  o.section("TABL");
  o.u32(uint32_t(m.tables.size() - m.num_imported_tables));
  for (size_t i = m.num_imported_tables; i < m.tables.size(); i++) o.table(m.tables[i]);
  o.section("TINI");
  o.u32(uint32_t(m.table_inits.size()));
  for (const auto& [table, init] : m.table_inits) {
    o.u32(table);
    o.expr(init);
  }
  o.section("MEMS");
  o.u32(uint32_t(m.memories.size() - m.num_imported_memories));
  for (size_t i = m.num_imported_memories; i < m.memories.size(); i++) o.memory(m.memories[i]);
  o.section("TAGS");
  o.u32(uint32_t(m.tags.size() - m.num_imported_tags));
  for (size_t i = m.num_imported_tags; i < m.tags.size(); i++) o.u32(m.tags[i]);
  o.section("GLOB");
  o.u32(uint32_t(m.globals.size() - m.num_imported_globals));
  for (size_t i = m.num_imported_globals; i < m.globals.size(); i++) {
    o.global(m.globals[i].type);
    o.expr(m.globals[i].init);
  }
  o.section("EXPT");
  o.u32(uint32_t(m.exports.size()));
  for (const Export& e : m.exports) {
    o.str(e.name);
    o.u8(uint8_t(e.kind));
    o.u32(e.index);
  }
  o.section("STRT");
  o.u8(m.start ? 1 : 0);
  o.u32(m.start.value_or(0));
  o.section("ELEM");
  o.u32(uint32_t(m.elems.size()));
  for (const ElemSegment& s : m.elems) {
    o.u8(uint8_t(s.mode));
    o.u32(s.table);
    o.expr(s.offset);
    o.u32(s.type.bits());
    o.u32(uint32_t(s.items.size()));
    for (const ConstExpr& e : s.items) o.expr(e);
    o.u64(s.offset_in_binary);
  }
  o.section("DATA");
  o.u32(uint32_t(m.datas.size()));
  for (const DataSegment& d : m.datas) {
    o.u8(uint8_t(d.mode));
    o.u32(d.memory);
    o.expr(d.offset);
    o.bytes(d.bytes);
  }
  o.section("DCNT");
  o.u8(m.data_count ? 1 : 0);
  o.u32(m.data_count.value_or(0));
  o.section("BODY");
  o.u32(uint32_t(m.bodies.size()));
  for (const FuncBody& b : m.bodies) {
    o.u32(b.offset);
    o.u32(b.size);
  }
  o.u64(m.code_section_offset);
  o.section("CUST");
  o.u32(uint32_t(m.customs.size()));
  for (const CustomSection& c : m.customs) {
    o.str(c.name);
    o.bytes(c.data);
  }
  o.section("NAME");
  o.str(m.names.module_name);
  std::vector<std::pair<uint32_t, const std::string*>> names;
  for (const auto& [i, n] : m.names.funcs) names.emplace_back(i, &n);
  std::sort(names.begin(), names.end());  // deterministic blobs
  o.u32(uint32_t(names.size()));
  for (const auto& [i, n] : names) {
    o.u32(i);
    o.str(*n);
  }
  o.section("CODE");
  const CompiledCode& code = *m.code;
  o.u32(uint32_t(code.funcs.size() * kFuncWords));
  for (const interp::FuncCode& f : code.funcs) {
    o.u32(f.begin);
    o.u32(f.end);
    o.u32(f.num_params);
    o.u32(f.num_locals);
    o.u32(f.num_results);
    o.u32(f.frame_slots);
    o.u32(f.tries_begin);
    o.u32(f.tries_end);
    o.u32(f.ref_locals_begin);
    o.u32(f.ref_locals_end);
  }
  o.u32(uint32_t(portable_words.size()));
  for (uint32_t w : portable_words) o.u32(w);
  o.u32(uint32_t(code.pc_map.size()));
  for (const interp::PcMapEntry& e : code.pc_map) {
    o.u32(e.word);
    o.u32(e.offset);
  }
  static_assert(sizeof(interp::PcMapEntry) == 8, "pc map entries are read as two words");
  o.u32(uint32_t(code.tries.size() * 4));
  for (const interp::TryRange& r : code.tries) {
    o.u32(r.begin);
    o.u32(r.end);
    o.u32(r.first);
    o.u32(r.count);
  }
  o.u32(uint32_t(code.handlers.size() * 5));
  for (const interp::CatchHandler& h : code.handlers) {
    o.u32(h.kind);
    o.u32(h.tag);
    o.u32(h.dst);
    o.u32(h.target);
    o.u32(h.ref_dst);
  }
  o.u32(uint32_t(code.stack_maps.size() * 3));
  for (const interp::StackMap& sm : code.stack_maps) {
    o.u32(sm.word);
    o.u32(sm.first);
    o.u32(sm.count);
  }
  o.u32(uint32_t(code.ref_slots.size()));
  for (uint32_t r : code.ref_slots) o.u32(r);
  write_native(o, code, payload_at);
  o.section("END!");
}

// Parses the payload into `m` (index spaces rebuilt, imports first) and
// any machine code into *image (*has_image).
Status read_module(In& in, ModuleData& m, CompiledCode& code, jit::NativeImage* image,
                   bool* has_image) {
  const uint8_t* payload_at = in.pos();
  in.expect("TYPE");
  for (uint32_t i = 0, n = in.count(26); i < n && !in.failed(); i++) {
    TypeDecl d;
    d.group_begin = in.u32();
    d.group_size = in.u32();
    uint32_t super = in.u32();
    if (super != UINT32_MAX) d.super = super;
    d.final = in.flag();
    uint8_t kind = in.u8();
    if (kind > uint8_t(CompKind::Array)) in.fail("bad type kind");
    d.kind = CompKind(kind);
    for (uint32_t k = 0, nf = in.count(6); k < nf && !in.failed(); k++) {
      FieldType f;
      f.type = in.val_type();
      uint8_t packed = in.u8();
      if (packed != FieldType::None && packed != FieldType::I8 && packed != FieldType::I16)
        in.fail("bad field type");
      f.packed = FieldType::Packed(packed);
      f.mut = in.flag();
      d.fields.push_back(f);
    }
    if ((d.kind == CompKind::Array && d.fields.size() != 1) ||
        (d.kind == CompKind::Func && !d.fields.empty()))
      in.fail("bad type definition");
    FuncType t;
    for (uint32_t k = 0, np = in.count(4); k < np && !in.failed(); k++)
      t.params.push_back(in.val_type());
    for (uint32_t k = 0, nr = in.count(4); k < nr && !in.failed(); k++)
      t.results.push_back(in.val_type());
    m.types.push_back(std::move(t));
    m.type_decls.push_back(d);
  }
  in.expect("IMPT");
  for (uint32_t i = 0, n = in.count(9); i < n && !in.failed(); i++) {
    Import im;
    im.module = in.name("import module name");
    im.name = in.name("import name");
    uint8_t kind = in.u8();
    switch (kind) {
      case uint8_t(ExternKind::Func):
        im.kind = ExternKind::Func;
        im.func_type = in.u32();
        m.funcs.push_back(im.func_type);
        m.num_imported_funcs++;
        break;
      case uint8_t(ExternKind::Table):
        im.kind = ExternKind::Table;
        im.table = in.table();
        m.tables.push_back(im.table);
        m.num_imported_tables++;
        break;
      case uint8_t(ExternKind::Memory):
        im.kind = ExternKind::Memory;
        im.memory = in.memory();
        m.memories.push_back(im.memory);
        m.num_imported_memories++;
        break;
      case uint8_t(ExternKind::Global):
        im.kind = ExternKind::Global;
        im.global = in.global();
        m.globals.push_back(GlobalDecl{im.global, {}});
        m.num_imported_globals++;
        break;
      case uint8_t(ExternKind::Tag):
        im.kind = ExternKind::Tag;
        im.tag_type = in.u32();
        m.tags.push_back(im.tag_type);
        m.num_imported_tags++;
        break;
      default: in.fail("bad import kind"); break;
    }
    m.imports.push_back(std::move(im));
  }
  in.expect("FUNC");
  for (uint32_t i = 0, n = in.count(4); i < n && !in.failed(); i++) m.funcs.push_back(in.u32());
  in.expect("TABL");
  for (uint32_t i = 0, n = in.count(18); i < n && !in.failed(); i++) m.tables.push_back(in.table());
  in.expect("TINI");
  for (uint32_t i = 0, n = in.count(4 + 4 + 8); i < n && !in.failed(); i++) {
    uint32_t table = in.u32();
    m.table_inits.emplace_back(table, in.expr());
  }
  in.expect("MEMS");
  for (uint32_t i = 0, n = in.count(18); i < n && !in.failed(); i++)
    m.memories.push_back(in.memory());
  in.expect("TAGS");
  for (uint32_t i = 0, n = in.count(4); i < n && !in.failed(); i++) m.tags.push_back(in.u32());
  in.expect("GLOB");
  for (uint32_t i = 0, n = in.count(14); i < n && !in.failed(); i++) {
    GlobalDecl g;
    g.type = in.global();
    g.init = in.expr();
    m.globals.push_back(std::move(g));
  }
  in.expect("EXPT");
  for (uint32_t i = 0, n = in.count(9); i < n && !in.failed(); i++) {
    Export e;
    e.name = in.name("export name");
    uint8_t kind = in.u8();
    if (kind > uint8_t(ExternKind::Tag)) in.fail("bad export kind");
    e.kind = ExternKind(kind);
    e.index = in.u32();
    m.exports.push_back(std::move(e));
  }
  in.expect("STRT");
  bool has_start = in.flag();
  uint32_t start = in.u32();
  if (has_start) m.start = start;
  in.expect("ELEM");
  for (uint32_t i = 0, n = in.count(30); i < n && !in.failed(); i++) {
    ElemSegment s;
    uint8_t mode = in.u8();
    if (mode > uint8_t(SegmentMode::Declarative)) in.fail("bad segment mode");
    s.mode = SegmentMode(mode);
    s.table = in.u32();
    s.offset = in.expr();
    s.type = in.ref_type();
    for (uint32_t k = 0, ni = in.count(12); k < ni && !in.failed(); k++)
      s.items.push_back(in.expr());
    s.offset_in_binary = in.u64();
    m.elems.push_back(std::move(s));
  }
  in.expect("DATA");
  for (uint32_t i = 0, n = in.count(21); i < n && !in.failed(); i++) {
    DataSegment d;
    uint8_t mode = in.u8();
    if (mode > uint8_t(SegmentMode::Passive)) in.fail("bad segment mode");
    d.mode = SegmentMode(mode);
    d.memory = in.u32();
    d.offset = in.expr();
    d.bytes = in.bytes();
    m.datas.push_back(std::move(d));
  }
  in.expect("DCNT");
  bool has_count = in.flag();
  uint32_t data_count = in.u32();
  if (has_count) m.data_count = data_count;
  in.expect("BODY");
  for (uint32_t i = 0, n = in.count(8); i < n && !in.failed(); i++) {
    FuncBody b;
    b.offset = in.u32();
    b.size = in.u32();
    m.bodies.push_back(b);
  }
  m.code_section_offset = in.u64();
  in.expect("CUST");
  for (uint32_t i = 0, n = in.count(8); i < n && !in.failed(); i++) {
    CustomSection c;
    c.name = in.name("custom section name");
    c.data = in.bytes();
    m.customs.push_back(std::move(c));
  }
  in.expect("NAME");
  m.names.module_name = in.name("module name");
  uint32_t nnames = in.count(8);
  m.names.funcs.reserve(nnames);
  for (uint32_t i = 0, n = nnames; i < n && !in.failed(); i++) {
    uint32_t index = in.u32();
    m.names.funcs[index] = in.name("function name");
  }
  in.expect("CODE");
  std::vector<uint32_t> table;  // kFuncWords per function
  in.u32_vec_into(table);
  if (table.size() % kFuncWords != 0) in.fail("bad function table");
  code.funcs.resize(table.size() / kFuncWords);
  for (size_t i = 0; i < code.funcs.size(); i++) {
    const uint32_t* t = &table[kFuncWords * i];
    interp::FuncCode& f = code.funcs[i];
    f.begin = t[0];
    f.end = t[1];
    f.num_params = t[2];
    f.num_locals = t[3];
    f.num_results = t[4];
    f.frame_slots = t[5];
    f.tries_begin = t[6];
    f.tries_end = t[7];
    f.ref_locals_begin = t[8];
    f.ref_locals_end = t[9];
  }
  in.u32_vec_into(code.words);
  in.pairs_into(code.pc_map);
  std::vector<uint32_t> tries, handlers;  // 4 and 5 words each
  in.u32_vec_into(tries);
  in.u32_vec_into(handlers);
  if (tries.size() % 4 != 0 || handlers.size() % 5 != 0) in.fail("bad handler tables");
  for (size_t i = 0; i + 4 <= tries.size(); i += 4)
    code.tries.push_back({tries[i], tries[i + 1], tries[i + 2], tries[i + 3]});
  for (size_t i = 0; i + 5 <= handlers.size(); i += 5) {
    const uint32_t* h = &handlers[i];
    code.handlers.push_back({h[0], h[1], h[2], h[3], h[4]});
  }
  std::vector<uint32_t> maps;  // 3 words each
  in.u32_vec_into(maps);
  if (maps.size() % 3 != 0) in.fail("bad stack maps");
  for (size_t i = 0; i + 3 <= maps.size(); i += 3)
    code.stack_maps.push_back({maps[i], maps[i + 1], maps[i + 2]});
  in.u32_vec_into(code.ref_slots);
  *has_image = read_native(in, std::span<const uint8_t>(payload_at, size_t(in.pos() - payload_at)),
                           code.funcs.size(), image);
  in.expect("END!");
  if (in.failed()) return corrupt(in.why());
  if (in.left() != 0) return corrupt("bytes after the end section");

  // Consistency the decoder guarantees for freshly decoded modules.
  if (m.bodies.size() != m.funcs.size() - m.num_imported_funcs)
    return corrupt("function and body counts differ");
  if (m.data_count && *m.data_count != m.datas.size())
    return corrupt("data count differs from the data segments");
  return Status::Ok();
}

}  // namespace

// ---- public -------------------------------------------------------------------

bool is_serialized(std::span<const uint8_t> bytes) {
  return bytes.size() >= sizeof kSerializedMagic &&
         std::equal(kSerializedMagic, kSerializedMagic + sizeof kSerializedMagic, bytes.data());
}

const char* ember_version() {
  return EMBER_VERSION_STRING;
}

uint64_t build_fingerprint() {
  return interp::ir_fingerprint() ^ kSerializedFormat;
}

std::vector<std::pair<std::string, uint64_t>> config_key(const EngineConfig& c) {
  std::vector<std::pair<std::string, uint64_t>> key;
  // The execution tier whose code the blob holds (1 = the interpreter's
  // register IR; every strategy selects it today).
  key.emplace_back("tier", 1);
  for (size_t i = 1; i < kFeatureCount; i++)
    key.emplace_back(std::string("wasm_") + feature_name(Feature(i)),
                     c.features.has(Feature(i)) ? 1 : 0);
  key.emplace_back("consume_fuel", c.consume_fuel);
  key.emplace_back("epoch_interruption", c.epoch_interruption);
  key.emplace_back("signals_based_traps", c.signals_based_traps);
  key.emplace_back("nan_canonicalization", c.nan_canonicalization);
  // Not the strategy: a blob's TierUp instructions (strategy "auto") do
  // nothing in an engine that does not tier, and a blob without them runs
  // interpreted in one that does (decision 42).
  key.emplace_back("relaxed_simd_deterministic", c.relaxed_simd_deterministic);
  return key;
}

std::vector<uint8_t> compatibility_key(const EngineConfig& c) {
  Out o;
  write_key(o, c);
  return std::move(o.b);
}

Expected<std::vector<uint8_t>> serialize_module(const ModuleData& m, const EngineData& engine) {
  if (!m.code)
    return Error(ErrorKind::Internal, "cannot serialize: the module has no translated code");
  EMBER_ASSIGN(std::vector<uint32_t> words, interp::to_portable(*m.code, m));
  Out o;
  o.b.reserve(kHeaderSize + 256 + words.size() * 4 + m.code->pc_map.size() * 8);
  o.b.insert(o.b.end(), kSerializedMagic, kSerializedMagic + sizeof kSerializedMagic);
  o.u32(kSerializedFormat);
  o.u32(0);  // flags
  o.u64(0);  // size, patched below
  o.u64(0);  // checksum, patched below
  write_key(o, engine.config);
  write_module(o, m, words);
  uint64_t size = o.b.size();
  std::memcpy(o.b.data() + 16, &size, 8);
  reseal(o.b);
  return std::move(o.b);
}

void reseal(std::vector<uint8_t>& blob) {
  if (blob.size() < kHeaderSize) return;
  uint64_t sum = checksum64(std::span<const uint8_t>(blob).subspan(kHeaderSize));
  std::memcpy(blob.data() + kChecksumOffset, &sum, 8);
}

namespace {

// The body of a blob whose header holds: magic, this format, size, checksum.
Expected<std::span<const uint8_t>> checked_body(std::span<const uint8_t> blob) {
  if (!is_serialized(blob))
    return Error(ErrorKind::Malformed, "not a serialized Ember module (magic header not found)");
  if (blob.size() < kHeaderSize) return corrupt("truncated header");
  In header(blob.data() + 8, kHeaderSize - 8);
  uint32_t format = header.u32();
  uint32_t flags = header.u32();
  uint64_t size = header.u64();
  uint64_t sum = header.u64();
  if (format != kSerializedFormat)
    return incompatible("serialized format version " + std::to_string(format) +
                        ", this build reads version " + std::to_string(kSerializedFormat));
  if (flags != 0) return corrupt("unknown flags");
  if (size != blob.size())
    return corrupt(size > blob.size() ? "truncated (" + std::to_string(blob.size()) + " of " +
                                            std::to_string(size) + " bytes)"
                                      : "trailing bytes after the module");
  std::span<const uint8_t> body = blob.subspan(kHeaderSize);
  if (checksum64(body) != sum) return corrupt("checksum mismatch");
  return body;
}

}  // namespace

Expected<BlobSummary> summarize_blob(std::span<const uint8_t> blob) {
  EMBER_ASSIGN(std::span<const uint8_t> body, checked_body(blob));
  In in(body.data(), body.size());
  BlobSummary out;
  out.format = kSerializedFormat;
  out.version = shown(in.str());
  in.u64();  // build fingerprint
  for (auto& [name, value] : read_config(in)) out.config.emplace_back(shown(name), value);
  if (in.failed()) return corrupt(in.why());
  ModuleData m;
  CompiledCode code;
  jit::NativeImage image;
  EMBER_TRY(read_module(in, m, code, &image, &out.has_machine_code));
  out.functions = m.funcs.size() - m.num_imported_funcs;
  out.imports = m.imports.size();
  out.exports = m.exports.size();
  if (!out.has_machine_code) return out;
  out.llvm_version = image.llvm_version;
  out.triple = image.triple;
  out.cpu = image.cpu;
  out.features = image.features;
  out.opt_level = shown(image.opt_level);
  out.compiled = image.funcs.size();
  out.objects = image.objects.size();
  for (const std::vector<uint8_t>& o : image.objects) out.object_bytes += o.size();
  out.unusable_here = jit::image_mismatch(image);
  return out;
}

Expected<std::shared_ptr<ModuleData>> deserialize_module(std::span<const uint8_t> blob,
                                                         const EngineData& engine) {
  EMBER_ASSIGN(std::span<const uint8_t> body, checked_body(blob));
  In in(body.data(), body.size());
  EMBER_TRY(check_key(in, engine.config));
  auto m = std::make_shared<ModuleData>();
  auto code = std::make_shared<CompiledCode>();
  jit::NativeImage image;
  bool has_image = false;
  EMBER_TRY(read_module(in, *m, *code, &image, &has_image));
  // Machine code is used by an engine that runs compiled code (any strategy
  // but the interpreter's, in a build with the tier); it must fit this
  // process. Others run the blob's IR and ignore it.
  const bool use_image = has_image && jit::available() && engine.config.strategy != "interpreter";
  if (use_image) {
    std::string why = jit::image_mismatch(image);
    if (!why.empty()) return incompatible(why);
  }
  // Module-level validity (indices, types, constant expressions, segments):
  // what instantiation and reflection rely on. The validate=False subset, so
  // that every module this engine can compile also loads back.
  // The registry is internally synchronized (see compile_module).
  auto& registry = const_cast<TypeRegistry&>(engine.types);
  Status st = intern_types(*m, registry);
  if (st) st = validate_module_level(*m, engine.config.features, registry, /*full=*/false);
  if (!st) return corrupt(st.error().message());
  // On as many threads as compiling the module would use (parallel
  // compilation, large modules only).
  EMBER_TRY(interp::from_portable(*code, *m, registry, compile_threads(*m, engine.config)));
  if (use_image) EMBER_TRY(jit::load_native_image(*code, *m, engine.config, image));
  else EMBER_TRY(compile_native(*code, *m, engine.config));
  m->code = std::move(code);
  m->tier = &interp::kTier;
  return m;
}

}  // namespace ember::rt
