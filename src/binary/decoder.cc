// Binary decoder: module preamble, section framing and every section's
// contents except function bodies (see decoder.hh for the contract).
#include "binary/decoder.hh"

#include <algorithm>

#include "binary/operator_reader.hh"
#include "binary/reader.hh"

namespace ember {
namespace {

// Section ids and their required order (the data count section, 12, sits
// between the element (9) and code (10) sections; the tag section, 13,
// between the memory (5) and global (6) sections).
enum SectionId : uint8_t {
  kCustom = 0,
  kType = 1,
  kImport = 2,
  kFunction = 3,
  kTable = 4,
  kMemory = 5,
  kGlobal = 6,
  kExport = 7,
  kStart = 8,
  kElement = 9,
  kCode = 10,
  kData = 11,
  kDataCount = 12,
  kTag = 13,
};

int section_rank(uint8_t id) {
  // The tag section (exceptions) sits between the memory and global sections.
  static const int kRank[] = {0, 1, 2, 3, 4, 5, 7, 8, 9, 10, 12, 13, 11, 6};
  return id < sizeof(kRank) / sizeof(kRank[0]) ? kRank[id] : -1;
}

class Decoder {
 public:
  Decoder(std::shared_ptr<ModuleData> m, const FeatureSet& f) : m_(std::move(m)), features_(f) {}

  Status run();
  std::shared_ptr<ModuleData> take() { return std::move(m_); }

 private:
  Status section(uint8_t id, Reader& r, uint64_t start);
  Status custom_section(Reader& r, uint64_t end);
  Status type_section(Reader& r);
  Status sub_type(Reader& r, uint32_t group_begin, uint32_t group_size);
  void resolve_group_kinds(uint32_t begin);
  Expected<FieldType> field_type(Reader& r);
  Status val_types(Reader& r, std::vector<ValType>* out);
  Status import_section(Reader& r);
  Status function_section(Reader& r);
  Status table_section(Reader& r);
  Status memory_section(Reader& r);
  Status global_section(Reader& r);
  Status export_section(Reader& r);
  Status start_section(Reader& r);
  Status element_section(Reader& r);
  Status code_section(Reader& r);
  Status data_section(Reader& r);
  Status datacount_section(Reader& r);
  Status tag_section(Reader& r);
  Expected<uint32_t> tag_type(Reader& r);

  Expected<ValType> val_type(Reader& r);
  Expected<ValType> ref_type(Reader& r);
  // Table limits when `mem` is null; else a memory type's limits and page
  // size, both written to *mem.
  Expected<Limits> limits(Reader& r, MemoryType* mem);
  Expected<MemoryType> memory_type(Reader& r);
  Expected<TableType> table_type(Reader& r);
  Expected<GlobalType> global_type(Reader& r);
  Expected<ConstExpr> const_expr(Reader& r);
  // Reads a vector count and checks it against the bytes left, so that a
  // huge declared count fails before anything is allocated for it.
  Expected<uint32_t> count(Reader& r, size_t min_elem_size = 1);

  std::shared_ptr<ModuleData> m_;
  FeatureSet features_;
  uint32_t declared_funcs_ = 0;
  bool saw_function_section_ = false;
  bool saw_code_section_ = false;
};

// wasmparser's limit on the number of types of one module.
constexpr uint64_t kMaxTypes = 1000000;

Expected<uint32_t> Decoder::count(Reader& r, size_t min_elem_size) {
  uint64_t at = r.offset();
  EMBER_ASSIGN(uint32_t n, r.u32());
  if (uint64_t(n) * min_elem_size > r.remaining())
    return r.fail_at("unexpected end of section or function", at);
  return n;
}

Status Decoder::run() {
  const std::vector<uint8_t>& b = m_->bytes;
  Reader r(b.data(), b.size());
  static const uint8_t kMagic[4] = {0x00, 0x61, 0x73, 0x6D};
  if (b.size() < 4 || !std::equal(kMagic, kMagic + 4, b.data()))
    return r.fail("magic header not detected");
  r.skip(4);
  if (r.remaining() < 4) return r.fail("unexpected end");
  static const uint8_t kVersion[4] = {0x01, 0x00, 0x00, 0x00};
  static const uint8_t kComponent[4] = {0x0D, 0x00, 0x01, 0x00};  // (component/decoder.cc)
  if (std::equal(kComponent, kComponent + 4, r.pos()))
    return r.fail(
        "unknown binary version: expected a WebAssembly module but was given a WebAssembly "
        "component");
  if (!std::equal(kVersion, kVersion + 4, r.pos())) return r.fail("unknown binary version");
  r.skip(4);

  int last_rank = 0;
  while (!r.at_end()) {
    uint64_t start = r.offset();
    EMBER_ASSIGN(uint8_t id, r.u8());
    int rank = section_rank(id);
    if (rank < 0) return r.fail_at("malformed section id", start);
    EMBER_ASSIGN(uint32_t size, r.u32());
    if (size > r.remaining()) return r.fail("length out of bounds");
    if (id != kCustom) {
      if (rank <= last_rank) return r.fail_at("unexpected content after last section", start);
      last_rank = rank;
    }
    Reader sec(r.pos(), size, r.offset());
    r.skip(size);
    EMBER_TRY(section(id, sec, start));
    if (!sec.at_end()) return sec.fail("section size mismatch");
  }
  if (declared_funcs_ != 0 && !saw_code_section_)
    return r.fail("function and code section have inconsistent lengths");
  if (m_->data_count && m_->datas.size() != *m_->data_count)
    return r.fail("data count and data section have inconsistent lengths");
  return Status::Ok();
}

Status Decoder::section(uint8_t id, Reader& r, uint64_t) {
  switch (id) {
    case kCustom: return custom_section(r, r.offset() + r.remaining());
    case kType: return type_section(r);
    case kImport: return import_section(r);
    case kFunction: return function_section(r);
    case kTable: return table_section(r);
    case kMemory: return memory_section(r);
    case kGlobal: return global_section(r);
    case kExport: return export_section(r);
    case kStart: return start_section(r);
    case kElement: return element_section(r);
    case kCode: return code_section(r);
    case kData: return data_section(r);
    case kDataCount: return datacount_section(r);
    case kTag: return tag_section(r);
  }
  return r.fail("malformed section id");
}

// ---- types -------------------------------------------------------------

Expected<ValType> Decoder::val_type(Reader& r) {
  return read_val_type(r, features_, *m_);
}

Expected<ValType> Decoder::ref_type(Reader& r) {
  return read_ref_type(r, features_, *m_);
}

Expected<Limits> Decoder::limits(Reader& r, MemoryType* mem) {
  const bool memory = mem != nullptr;
  uint64_t at = r.offset();
  EMBER_ASSIGN(uint8_t flags, r.u8());
  Limits l;
  // A flag of a known proposal that is off names the proposal, as wasmtime
  // does; other bits are malformed. The page-size flag is the exception:
  // with custom page sizes off it is invalid, which is the validator's to
  // say (ModuleData::page_size_flag_at).
  uint8_t known = memory ? 0x0F : 0x05;  // max, shared and page size (memories), 64-bit
  if (flags & ~known) return r.fail_at("integer too large", at);
  if ((flags & 0x02) && !features_.has(Feature::Threads))
    return r.fail_at("threads must be enabled for shared memories", at);
  if ((flags & 0x04) && !features_.has(Feature::Memory64))
    return r.fail_at(memory ? "memory64 must be enabled for 64-bit memories"
                            : "memory64 must be enabled for 64-bit tables",
                     at);
  l.shared = flags & 0x02;
  l.is64 = flags & 0x04;
  unsigned bits = l.is64 ? 64 : 32;
  EMBER_ASSIGN(l.min, r.uleb(bits));
  if (flags & 0x01) {
    EMBER_ASSIGN(uint64_t mx, r.uleb(bits));
    l.max = mx;
  }
  if (flags & 0x08) {
    // The page size's log2. Which sizes are valid is the validator's
    // question; one whose size does not fit in 64 bits is malformed.
    uint64_t p_at = r.offset();
    EMBER_ASSIGN(uint32_t p, r.u32());
    if (p >= 64) return r.fail_at("invalid custom page size", p_at);
    mem->page_size_log2 = uint8_t(p);
    if (m_->page_size_flag_at == UINT64_MAX) m_->page_size_flag_at = at;
  }
  if (memory) mem->limits = l;
  return l;
}

Expected<MemoryType> Decoder::memory_type(Reader& r) {
  MemoryType t;
  EMBER_TRY(limits(r, &t));
  return t;
}

Expected<TableType> Decoder::table_type(Reader& r) {
  TableType t;
  EMBER_ASSIGN(t.elem, ref_type(r));
  EMBER_ASSIGN(t.limits, limits(r, nullptr));
  return t;
}

Expected<GlobalType> Decoder::global_type(Reader& r) {
  GlobalType g;
  EMBER_ASSIGN(g.type, val_type(r));
  uint64_t at = r.offset();
  EMBER_ASSIGN(uint8_t mut, r.u8());
  if (mut > 1) return r.fail_at("malformed mutability", at);
  g.mut = mut == 1;
  return g;
}

// The type section: recursion groups (0x4E) of subtypes (0x50 `sub`, 0x4F
// `sub final`, with at most one supertype) of composite types; a bare
// composite type is a final group of one. Composite types: functions,
// structs and arrays (whose objects come with GC).
Status Decoder::type_section(Reader& r) {
  EMBER_ASSIGN(uint32_t n, count(r, 2));  // the smallest entry: `(struct)`
  m_->types.reserve(n);
  for (uint32_t i = 0; i < n; i++) {
    uint64_t at = r.offset();
    uint32_t group = 1;
    if (!r.at_end() && *r.pos() == 0x4E) {
      r.skip(1);
      if (!features_.has(Feature::Gc)) return not_enabled(Feature::Gc, at);
      EMBER_ASSIGN(group, count(r, 1));
    }
    const uint32_t begin = uint32_t(m_->types.size());
    if (uint64_t(begin) + group > kMaxTypes) return r.fail_at("too many types", at);
    for (uint32_t k = 0; k < group; k++) EMBER_TRY(sub_type(r, begin, group));
    resolve_group_kinds(begin);
  }
  return Status::Ok();
}

// References to later types of the same group were read before their
// definitions: give them their definitions' kinds now.
void Decoder::resolve_group_kinds(uint32_t begin) {
  for (size_t i = begin; i < m_->types.size(); i++) {
    for (std::vector<ValType>* ts : {&m_->types[i].params, &m_->types[i].results})
      for (ValType& t : *ts) t = with_def_kind(t, *m_);
    for (FieldType& f : m_->type_decls[i].fields) f.type = with_def_kind(f.type, *m_);
  }
}

// A vector of value types (a signature's parameters or results).
Status Decoder::val_types(Reader& r, std::vector<ValType>* out) {
  EMBER_ASSIGN(uint32_t n, count(r));
  out->reserve(n);
  for (uint32_t k = 0; k < n; k++) {
    EMBER_ASSIGN(ValType t, val_type(r));
    out->push_back(t);
  }
  return Status::Ok();
}

// A struct field or array element: a value type or i8/i16, then mutability.
Expected<FieldType> Decoder::field_type(Reader& r) {
  FieldType f;
  if (!r.at_end() && (*r.pos() == FieldType::I8 || *r.pos() == FieldType::I16)) {
    f.packed = FieldType::Packed(*r.pos());
    r.skip(1);
  } else {
    EMBER_ASSIGN(f.type, val_type(r));
  }
  uint64_t at = r.offset();
  EMBER_ASSIGN(uint8_t mut, r.u8());
  if (mut > 1) return r.fail_at("malformed mutability", at);
  f.mut = mut == 1;
  return f;
}

Status Decoder::sub_type(Reader& r, uint32_t group_begin, uint32_t group_size) {
  uint64_t at = r.offset();
  EMBER_ASSIGN(uint8_t form, r.u8());
  TypeDecl d;
  d.group_begin = group_begin;
  d.group_size = group_size;
  if (form == 0x50 || form == 0x4F) {
    if (!features_.has(Feature::Gc)) return not_enabled(Feature::Gc, at);
    d.final = form == 0x4F;
    EMBER_ASSIGN(uint32_t nsup, r.u32());
    if (nsup > 1) return r.fail_at("multiple supertypes", at);
    if (nsup == 1) {
      EMBER_ASSIGN(uint32_t sup, r.u32());
      d.super = sup;
    }
    at = r.offset();
    EMBER_ASSIGN(form, r.u8());
  }
  if (form == 0x5F || form == 0x5E) {
    if (!features_.has(Feature::Gc)) return not_enabled(Feature::Gc, at);
    d.kind = form == 0x5F ? CompKind::Struct : CompKind::Array;
    uint32_t n = 1;
    if (d.kind == CompKind::Struct) {
      EMBER_ASSIGN(n, count(r, 2));
    }
    for (uint32_t k = 0; k < n; k++) {
      EMBER_ASSIGN(FieldType f, field_type(r));
      d.fields.push_back(f);
    }
    m_->types.emplace_back();
    m_->type_decls.push_back(std::move(d));
    return Status::Ok();
  }
  if (form != 0x60) {
    if (pending_type_by_byte(form)) return type_byte_error(form, features_, at, "");
    return r.fail_at("integer representation too long", at);
  }
  FuncType ft;
  EMBER_TRY(val_types(r, &ft.params));
  EMBER_TRY(val_types(r, &ft.results));
  m_->types.push_back(std::move(ft));
  m_->type_decls.push_back(d);
  return Status::Ok();
}

// ---- imports and declarations -------------------------------------------

Status Decoder::import_section(Reader& r) {
  EMBER_ASSIGN(uint32_t n, count(r, 4));
  m_->imports.reserve(n);
  for (uint32_t i = 0; i < n; i++) {
    Import im;
    EMBER_ASSIGN(im.module, r.name());
    EMBER_ASSIGN(im.name, r.name());
    uint64_t at = r.offset();
    EMBER_ASSIGN(uint8_t kind, r.u8());
    switch (kind) {
      case 0: {
        im.kind = ExternKind::Func;
        EMBER_ASSIGN(im.func_type, r.u32());
        m_->funcs.push_back(im.func_type);
        m_->num_imported_funcs++;
        break;
      }
      case 1: {
        im.kind = ExternKind::Table;
        EMBER_ASSIGN(im.table, table_type(r));
        m_->tables.push_back(im.table);
        m_->num_imported_tables++;
        break;
      }
      case 2: {
        im.kind = ExternKind::Memory;
        EMBER_ASSIGN(im.memory, memory_type(r));
        m_->memories.push_back(im.memory);
        m_->num_imported_memories++;
        break;
      }
      case 3: {
        im.kind = ExternKind::Global;
        EMBER_ASSIGN(im.global, global_type(r));
        m_->globals.push_back(GlobalDecl{im.global, {}});
        m_->num_imported_globals++;
        break;
      }
      case 4: {
        // Without exceptions (Wasm 2.0) kind 4 is no kind at all.
        if (!features_.has(Feature::Exceptions))
          return r.fail_at("malformed import kind: exceptions proposal not enabled", at);
        im.kind = ExternKind::Tag;
        EMBER_ASSIGN(im.tag_type, tag_type(r));
        m_->tags.push_back(im.tag_type);
        m_->num_imported_tags++;
        break;
      }
      default: return r.fail_at("malformed import kind", at);
    }
    m_->imports.push_back(std::move(im));
  }
  return Status::Ok();
}

Status Decoder::function_section(Reader& r) {
  EMBER_ASSIGN(uint32_t n, count(r));
  saw_function_section_ = true;
  declared_funcs_ = n;
  m_->funcs.reserve(m_->funcs.size() + n);
  for (uint32_t i = 0; i < n; i++) {
    EMBER_ASSIGN(uint32_t t, r.u32());
    m_->funcs.push_back(t);
  }
  return Status::Ok();
}

// A table is `tabletype` or `0x40 0x00 tabletype expr` (an initializer
// expression, function references).
Status Decoder::table_section(Reader& r) {
  EMBER_ASSIGN(uint32_t n, count(r, 2));
  for (uint32_t i = 0; i < n; i++) {
    const uint64_t at = r.offset();
    const bool has_init = !r.at_end() && *r.pos() == 0x40;
    if (has_init) {
      r.skip(1);
      EMBER_ASSIGN(uint8_t zero, r.u8());
      if (zero != 0) return r.fail_at("malformed table", at);
      if (!features_.has(Feature::FunctionReferences))
        return Error(ErrorKind::Invalid,
                     "tables with expression initializers require the function-references "
                     "proposal",
                     at);
    }
    EMBER_ASSIGN(TableType t, table_type(r));
    if (has_init) {
      EMBER_ASSIGN(ConstExpr init, const_expr(r));
      m_->table_inits.emplace_back(uint32_t(m_->tables.size()), std::move(init));
    }
    m_->tables.push_back(t);
  }
  return Status::Ok();
}

Status Decoder::memory_section(Reader& r) {
  EMBER_ASSIGN(uint32_t n, count(r, 2));
  for (uint32_t i = 0; i < n; i++) {
    EMBER_ASSIGN(MemoryType t, memory_type(r));
    m_->memories.push_back(t);
  }
  return Status::Ok();
}

// A tag type: attribute 0 (exception), then the index of a function type
// (without results: the validator checks). Exceptions only.
Expected<uint32_t> Decoder::tag_type(Reader& r) {
  const uint64_t at = r.offset();
  if (!features_.has(Feature::Exceptions))
    return Error(ErrorKind::Invalid, "exceptions proposal not enabled", at);
  EMBER_ASSIGN(uint8_t attribute, r.u8());
  if (attribute != 0) return r.fail_at("malformed tag attribute", at);
  return r.u32();
}

Status Decoder::tag_section(Reader& r) {
  EMBER_ASSIGN(uint32_t n, count(r, 2));
  for (uint32_t i = 0; i < n; i++) {
    EMBER_ASSIGN(uint32_t t, tag_type(r));
    m_->tags.push_back(t);
  }
  return Status::Ok();
}

Status Decoder::global_section(Reader& r) {
  EMBER_ASSIGN(uint32_t n, count(r, 3));
  for (uint32_t i = 0; i < n; i++) {
    GlobalDecl g;
    EMBER_ASSIGN(g.type, global_type(r));
    EMBER_ASSIGN(g.init, const_expr(r));
    m_->globals.push_back(std::move(g));
  }
  return Status::Ok();
}

Status Decoder::export_section(Reader& r) {
  EMBER_ASSIGN(uint32_t n, count(r, 3));
  m_->exports.reserve(n);
  for (uint32_t i = 0; i < n; i++) {
    Export e;
    EMBER_ASSIGN(e.name, r.name());
    uint64_t at = r.offset();
    EMBER_ASSIGN(uint8_t kind, r.u8());
    if (kind == 4 && !features_.has(Feature::Exceptions))
      return r.fail_at("malformed export kind: exceptions proposal not enabled", at);
    if (kind > 4) return r.fail_at("malformed export kind", at);
    e.kind = static_cast<ExternKind>(kind);
    EMBER_ASSIGN(e.index, r.u32());
    m_->exports.push_back(std::move(e));
  }
  return Status::Ok();
}

Status Decoder::start_section(Reader& r) {
  EMBER_ASSIGN(uint32_t f, r.u32());
  m_->start = f;
  return Status::Ok();
}

// ---- constant expressions --------------------------------------------------

// A constant expression: any operators up to `end`, decoded by the operator
// reader; which of them are constant is the validator's question.
Expected<ConstExpr> Decoder::const_expr(Reader& r) {
  ConstExpr e;
  e.offset = r.offset();
  OperatorReader ops(r, *m_, features_, OperatorReader::Context::ConstExpr);
  Instr in;
  for (;;) {
    if (!r.at_end() && *r.pos() == 0x0B) {
      r.skip(1);
      return e;
    }
    EMBER_TRY(ops.next(&in));
    ConstInstr ci{in.op()};
    switch (in.info->imm) {
      case ImmKind::Global:
      case ImmKind::Func:
      case ImmKind::Type: ci.imm = in.index[0]; break;
      case ImmKind::TypeCount:
        ci.imm = in.index[0];
        ci.imm_hi = in.index[1];
        break;
      case ImmKind::HeapType: ci.imm = in.ref.bits(); break;
      case ImmKind::I32:
      case ImmKind::I64:
      case ImmKind::F32:
      case ImmKind::F64: ci.imm = in.bits; break;
      case ImmKind::V128:
        ci.imm = in.bits;
        ci.imm_hi = in.bits_hi;
        break;
      default: break;  // not a constant operator: the validator refuses it
    }
    e.instrs.push_back(ci);
  }
}

// ---- segments ----------------------------------------------------------------

Status Decoder::element_section(Reader& r) {
  EMBER_ASSIGN(uint32_t n, count(r, 2));
  for (uint32_t i = 0; i < n; i++) {
    ElemSegment seg;
    seg.offset_in_binary = r.offset();
    EMBER_ASSIGN(uint32_t flags, r.u32());
    if (flags > 7) return r.fail_at("malformed elements segment kind", seg.offset_in_binary);
    bool passive_or_declarative = flags & 1;
    bool explicit_table = flags & 2;
    bool exprs = flags & 4;
    if (passive_or_declarative) {
      seg.mode = explicit_table ? SegmentMode::Declarative : SegmentMode::Passive;
    } else {
      seg.mode = SegmentMode::Active;
      if (explicit_table) {
        EMBER_ASSIGN(seg.table, r.u32());
      }
      EMBER_ASSIGN(seg.offset, const_expr(r));
    }
    // Function indices are `(ref func)` (never null); flag 4's expressions
    // are implicitly funcref; the other forms name their type.
    seg.type = exprs ? ValType::FuncRef : ValType::ref(HeapKind::Func, false);
    if (flags & 3) {
      if (exprs) {
        EMBER_ASSIGN(seg.type, ref_type(r));
      } else {
        uint64_t at = r.offset();
        EMBER_ASSIGN(uint8_t kind, r.u8());
        if (kind != 0x00) return r.fail_at("malformed element kind", at);
      }
    }
    EMBER_ASSIGN(uint32_t items, count(r));
    seg.items.reserve(items);
    for (uint32_t k = 0; k < items; k++) {
      if (exprs) {
        EMBER_ASSIGN(ConstExpr e, const_expr(r));
        seg.items.push_back(std::move(e));
      } else {
        ConstExpr e;
        e.offset = r.offset();
        EMBER_ASSIGN(uint32_t f, r.u32());
        e.instrs.push_back(ConstInstr{Op::RefFunc, f});
        seg.items.push_back(std::move(e));
      }
    }
    m_->elems.push_back(std::move(seg));
  }
  return Status::Ok();
}

Status Decoder::datacount_section(Reader& r) {
  EMBER_ASSIGN(uint32_t n, r.u32());
  m_->data_count = n;
  return Status::Ok();
}

Status Decoder::data_section(Reader& r) {
  EMBER_ASSIGN(uint32_t n, count(r, 2));
  for (uint32_t i = 0; i < n; i++) {
    DataSegment seg;
    uint64_t at = r.offset();
    EMBER_ASSIGN(uint32_t flags, r.u32());
    if (flags > 2) return r.fail_at("malformed data segment kind", at);
    if (flags == 1) {
      seg.mode = SegmentMode::Passive;
    } else {
      if (flags == 2) {
        EMBER_ASSIGN(seg.memory, r.u32());
      }
      EMBER_ASSIGN(seg.offset, const_expr(r));
    }
    EMBER_ASSIGN(uint32_t len, r.u32());
    if (len > r.remaining()) return r.fail("unexpected end of section or function");
    EMBER_ASSIGN(const uint8_t* d, r.bytes(len));
    seg.bytes.assign(d, d + len);
    m_->datas.push_back(std::move(seg));
  }
  return Status::Ok();
}

// ---- code ------------------------------------------------------------------

Status Decoder::code_section(Reader& r) {
  saw_code_section_ = true;
  m_->code_section_offset = r.offset();
  uint64_t at = r.offset();
  EMBER_ASSIGN(uint32_t n, count(r));
  if (n != declared_funcs_)
    return r.fail_at("function and code section have inconsistent lengths", at);
  m_->bodies.reserve(n);
  for (uint32_t i = 0; i < n; i++) {
    EMBER_ASSIGN(uint32_t size, r.u32());
    if (size > r.remaining()) return r.fail("unexpected end of section or function");
    if (size == 0) return r.fail("unexpected end");
    m_->bodies.push_back(FuncBody{uint32_t(r.offset()), size});
    r.skip(size);
  }
  return Status::Ok();
}

// ---- custom sections and names ------------------------------------------

void decode_names(ModuleData& m, Reader r) {
  uint8_t last_id = 0;
  bool first = true;
  while (!r.at_end()) {
    auto id = r.u8();
    auto size = id ? r.u32() : Expected<uint32_t>(Error(ErrorKind::Malformed, ""));
    if (!id || !size || *size > r.remaining()) return;
    if (!first && *id <= last_id) return;
    first = false;
    last_id = *id;
    Reader sub(r.pos(), *size, r.offset());
    r.skip(*size);
    if (*id == 0) {
      auto name = sub.name();
      if (name) m.names.module_name = std::move(*name);
    } else if (*id == 1) {
      auto n = sub.u32();
      if (!n) return;
      for (uint32_t i = 0; i < *n; i++) {
        auto idx = sub.u32();
        if (!idx) return;
        auto name = sub.name();
        if (!name) return;
        m.names.funcs.emplace(*idx, std::move(*name));
      }
    }
  }
}

Status Decoder::custom_section(Reader& r, uint64_t) {
  EMBER_ASSIGN(std::string name, r.name());
  CustomSection cs;
  cs.name = std::move(name);
  cs.data.assign(r.pos(), r.pos() + r.remaining());
  if (cs.name == "name") decode_names(*m_, Reader(r.pos(), r.remaining(), r.offset()));
  r.skip(r.remaining());
  m_->customs.push_back(std::move(cs));
  return Status::Ok();
}

}  // namespace

Expected<std::shared_ptr<ModuleData>> decode_module(std::vector<uint8_t> bytes,
                                                    const FeatureSet& features) {
  auto m = std::make_shared<ModuleData>();
  m->bytes = std::move(bytes);
  Decoder d(m, features);
  EMBER_TRY(d.run());
  return d.take();
}

}  // namespace ember
