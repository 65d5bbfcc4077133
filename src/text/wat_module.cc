// WAT module fields -> binary sections (pass 1 and pass 2); see wat_parser.hh.
#include <algorithm>
#include <bit>

#include "text/literals.hh"
#include "text/wat.hh"
#include "text/wat_parser.hh"

namespace ember {
namespace text {

// ---- byte output -----------------------------------------------------------

void put_name(Buf& b, std::string_view s) {
  put_uleb(b, s.size());
  b.insert(b.end(), s.begin(), s.end());
}

void put_bytes(Buf& b, const Buf& src) {
  b.insert(b.end(), src.begin(), src.end());
}

// ---- tokens ------------------------------------------------------------------

const Token& WatParser::peek(size_t k) const {
  size_t i = pos_ + k;
  return tl_.toks[i < tl_.toks.size() ? i : tl_.toks.size() - 1];
}

bool WatParser::at_keyword(std::string_view kw, size_t k) const {
  const Token& t = peek(k);
  return t.kind == Tok::Keyword && t.text == kw;
}

bool WatParser::at_lparen_kw(std::string_view kw) const {
  return at(Tok::LParen) && at_keyword(kw, 1);
}

Error WatParser::error_at(const Token& t, std::string msg) const {
  return Error::at_text(ErrorKind::Malformed, std::move(msg), t.line, t.col);
}

Status WatParser::expect(Tok k) {
  if (!at(k)) return error(at(Tok::Eof) ? "unexpected end of input" : "unexpected token");
  next();
  return Status::Ok();
}

Status WatParser::expect_lparen_kw(std::string_view kw) {
  if (!at_lparen_kw(kw)) return error("unexpected token, expected (" + std::string(kw));
  pos_ += 2;
  return Status::Ok();
}

Status WatParser::skip_sexpr() {
  EMBER_TRY(expect(Tok::LParen));
  for (uint32_t depth = 1; depth > 0;) {
    if (at(Tok::Eof)) return error("unexpected end of input");
    const Token& t = next();
    if (t.kind == Tok::LParen) depth++;
    else if (t.kind == Tok::RParen) depth--;
  }
  return Status::Ok();
}

// ---- small syntax pieces -------------------------------------------------------

namespace {
// The reference types' shorthand keywords: `funcref` = (ref null func), ...
struct RefShorthand {
  const char* name;
  HeapKind heap;
};
constexpr RefShorthand kRefShorthands[] = {
    {"funcref", HeapKind::Func},
    {"externref", HeapKind::Extern},
    {"exnref", HeapKind::Exn},
    {"anyref", HeapKind::Any},
    {"eqref", HeapKind::Eq},
    {"i31ref", HeapKind::I31},
    {"structref", HeapKind::Struct},
    {"arrayref", HeapKind::Array},
    {"nullref", HeapKind::None},
    {"nullfuncref", HeapKind::NoFunc},
    {"nullexternref", HeapKind::NoExtern},
    {"nullexnref", HeapKind::NoExn},
};
const RefShorthand* ref_shorthand(std::string_view name) {
  for (const RefShorthand& r : kRefShorthands)
    if (name == r.name) return &r;
  return nullptr;
}
}  // namespace

bool heap_keyword(std::string_view name, HeapKind* out) {
  for (uint32_t b = 0x69; b <= 0x74; b++) {
    if (name == heap_kind_name(HeapKind(b))) {
      *out = HeapKind(b);
      return true;
    }
  }
  return false;
}

bool WatParser::at_reftype(size_t k) const {
  const Token& t = peek(k);
  if (t.kind == Tok::Keyword) return ref_shorthand(t.text) != nullptr;
  return t.kind == Tok::LParen && peek(k + 1).kind == Tok::Keyword && peek(k + 1).text == "ref";
}

Expected<ValType> WatParser::parse_heaptype(bool nullable) {
  HeapKind h;
  if (at(Tok::Keyword) && heap_keyword(peek().text, &h)) {
    next();
    return ValType::ref(h, nullable);
  }
  if (at(Tok::Id) || at(Tok::Number)) {
    EMBER_ASSIGN(uint32_t idx, parse_index(type_sp_, "type"));
    if (idx > ValType::kMaxIndex) return error("unknown type");
    return ValType::ref_index(idx, nullable);
  }
  if (at(Tok::Keyword)) return type_error(peek());
  return error("malformed reference type");
}

Expected<ValType> WatParser::parse_valtype() {
  const Token& t = peek();
  if (t.kind == Tok::Keyword) {
    ValType v;
    if (t.text == "i32") v = ValType::I32;
    else if (t.text == "i64") v = ValType::I64;
    else if (t.text == "f32") v = ValType::F32;
    else if (t.text == "f64") v = ValType::F64;
    else if (t.text == "v128") v = ValType::V128;
    else if (const RefShorthand* r = ref_shorthand(t.text)) v = ValType::ref(r->heap, true);
    else return type_error(t);
    next();
    return v;
  }
  if (at_lparen_kw("ref")) {
    pos_ += 2;
    bool nullable = false;
    if (at_keyword("null")) {
      next();
      nullable = true;
    }
    EMBER_ASSIGN(ValType v, parse_heaptype(nullable));
    EMBER_TRY(expect(Tok::RParen));
    return v;
  }
  return error("unexpected token, expected a value type");
}

// A value type Ember does not implement yet names its proposal (ir/pending.def).
Error WatParser::type_error(const Token& t) const {
  std::string_view name = t.text;
  for (uint32_t b = 0x40; b < 0x80; b++) {
    const PendingConstruct* p = pending_type_by_byte(uint8_t(b));
    if (!p || name != p->name) continue;
    return Error::at_text(ErrorKind::Unsupported,
                          std::string(name) + ": " + p->what + " are not supported yet", t.line,
                          t.col);
  }
  return error_at(t, "unexpected token, expected a value type");
}

Expected<ValType> WatParser::parse_reftype() {
  if (!at_reftype()) {
    if (at(Tok::Keyword)) {
      Error e = type_error(peek());
      if (e.kind() == ErrorKind::Unsupported) return e;
    }
    return error("malformed reference type");
  }
  return parse_valtype();
}

Expected<uint64_t> WatParser::parse_u64_lit(uint64_t max) {
  if (!at(Tok::Number)) return error("unexpected token, expected a number");
  uint64_t v;
  switch (parse_uint(peek().text, max, &v)) {
    case LitResult::Ok: next(); return v;
    case LitResult::Range: return error("constant out of range");
    default: return error("malformed number");
  }
}

Expected<uint32_t> WatParser::parse_index(const IndexSpace& sp, const char* what) {
  if (at(Tok::Id)) {
    auto it = sp.ids.find(peek().text);
    if (it == sp.ids.end())
      return error(std::string("unknown ") + what + " " + std::string(peek().text));
    next();
    return it->second;
  }
  if (!at(Tok::Number))
    return error(std::string("unexpected token, expected a ") + what + " index");
  EMBER_ASSIGN(uint64_t v, parse_u64_lit(UINT32_MAX));
  return uint32_t(v);
}

Expected<std::string> WatParser::parse_name() {
  if (!at(Tok::String)) return error("unexpected token, expected a string");
  const std::string& s = tl_.string_of(next());
  if (!is_valid_utf8(s)) return error_at(peek(), "malformed UTF-8 encoding");
  return s;
}

Status WatParser::parse_functype_body(FuncType* ft) {
  while (at_lparen_kw("param")) {
    pos_ += 2;
    if (at(Tok::Id)) {
      next();
      EMBER_ASSIGN(ValType v, parse_valtype());
      ft->params.push_back(v);
    } else {
      while (!at(Tok::RParen)) {
        EMBER_ASSIGN(ValType v, parse_valtype());
        ft->params.push_back(v);
      }
    }
    EMBER_TRY(expect(Tok::RParen));
  }
  while (at_lparen_kw("result")) {
    pos_ += 2;
    while (!at(Tok::RParen)) {
      EMBER_ASSIGN(ValType v, parse_valtype());
      ft->results.push_back(v);
    }
    EMBER_TRY(expect(Tok::RParen));
  }
  return Status::Ok();
}

Expected<TypeUse> WatParser::parse_typeuse(bool allow_param_ids) {
  TypeUse tu;
  if (at_lparen_kw("type")) {
    pos_ += 2;
    EMBER_ASSIGN(uint32_t idx, parse_index(type_sp_, "type"));
    tu.index = idx;
    EMBER_TRY(expect(Tok::RParen));
  }
  while (at_lparen_kw("param")) {
    tu.has_inline = true;
    pos_ += 2;
    if (at(Tok::Id)) {
      if (!allow_param_ids) return error("unexpected token");
      tu.param_ids.push_back(next().text);
      EMBER_ASSIGN(ValType v, parse_valtype());
      tu.sig.params.push_back(v);
    } else {
      while (!at(Tok::RParen)) {
        EMBER_ASSIGN(ValType v, parse_valtype());
        tu.sig.params.push_back(v);
        tu.param_ids.push_back({});
      }
    }
    EMBER_TRY(expect(Tok::RParen));
  }
  while (at_lparen_kw("result")) {
    tu.has_inline = true;
    pos_ += 2;
    while (!at(Tok::RParen)) {
      EMBER_ASSIGN(ValType v, parse_valtype());
      tu.sig.results.push_back(v);
    }
    EMBER_TRY(expect(Tok::RParen));
  }
  return tu;
}

Expected<uint32_t> WatParser::resolve_typeuse(const TypeUse& tu) {
  if (tu.index) {
    if (tu.has_inline) {
      if (*tu.index >= types_.size()) return error("unknown type");
      if (!(types_[*tu.index] == tu.sig)) return error("inline function type");
    }
    return *tu.index;
  }
  // The first plain definition (a final function type with no supertype,
  // alone in its recursion group, `(rec (type ...))` or not) of the same
  // signature, else a new one.
  for (size_t i = 0; i < types_.size(); i++) {
    const TypeDecl& d = type_decls_[i];
    if (d.kind == CompKind::Func && types_[i] == tu.sig && d.group_size == 1 && d.final && !d.super)
      return uint32_t(i);
  }
  types_.push_back(tu.sig);
  type_decls_.push_back(
      TypeDecl{std::nullopt, true, uint32_t(types_.size() - 1), 1, CompKind::Func, {}});
  return uint32_t(types_.size() - 1);
}

void WatParser::defer_invalid(const Token& where, std::string msg) {
  if (!deferred_)
    deferred_ = Error::at_text(ErrorKind::Invalid, std::move(msg), where.line, where.col);
}

Expected<uint8_t> WatParser::parse_pagesize() {
  pos_ += 2;  // (pagesize
  const Token& where = peek();
  EMBER_ASSIGN(uint64_t size, parse_u64_lit(UINT64_MAX));
  if (size == 0 || (size & (size - 1)) != 0) return error_at(where, "invalid custom page size");
  EMBER_TRY(expect(Tok::RParen));
  return uint8_t(std::countr_zero(size));
}

// In Wasm 3.0 limits are read as u64 whatever the index type: a 32-bit
// table or memory with a larger limit is invalid, not malformed. The binary
// format cannot say such a limit, so the parser notes the error and reports
// it once the rest of the module has parsed (malformed text still comes
// first). In 2.0 they are u32 literals.
Status WatParser::parse_limits(bool is64, Buf& out, bool memory) {
  const Token& where = peek();
  const uint64_t max_val = is64 || u64_limits_ ? UINT64_MAX : UINT32_MAX;
  EMBER_ASSIGN(uint64_t min, parse_u64_lit(max_val));
  std::optional<uint64_t> max;
  if (at(Tok::Number)) {
    EMBER_ASSIGN(uint64_t m, parse_u64_lit(max_val));
    max = m;
  }
  uint8_t flags = (max ? 1 : 0) | (is64 ? 4 : 0);
  if (at_keyword("shared")) {
    next();
    flags |= 2;
  }
  MemoryType mt;
  mt.limits.is64 = is64;
  if (memory && at_lparen_kw("pagesize")) {
    EMBER_ASSIGN(mt.page_size_log2, parse_pagesize());
    flags |= 8;
  }
  if (!is64 && (min > UINT32_MAX || max.value_or(0) > UINT32_MAX)) {
    defer_invalid(where, memory ? memory_size_error(mt) : "table size must be at most 2^32-1");
    min = std::min<uint64_t>(min, UINT32_MAX);
    if (max) max = std::min<uint64_t>(*max, UINT32_MAX);
  }
  out.push_back(flags);
  put_uleb(out, min);
  if (max) put_uleb(out, *max);
  if (flags & 8) put_uleb(out, mt.page_size_log2);
  return Status::Ok();
}

Status WatParser::parse_table_type(Buf& out) {
  bool is64 = false;
  if (at_keyword("i64") || at_keyword("i32")) is64 = next().text == "i64";
  Buf lim;
  EMBER_TRY(parse_limits(is64, lim, false));
  EMBER_ASSIGN(ValType t, parse_reftype());
  put_val_type(out, t);
  put_bytes(out, lim);
  return Status::Ok();
}

Status WatParser::parse_memory_type(Buf& out) {
  bool is64 = false;
  if (at_keyword("i64") || at_keyword("i32")) is64 = next().text == "i64";
  return parse_limits(is64, out, true);
}

Status WatParser::parse_global_type(Buf& out) {
  bool mut = false;
  if (at_lparen_kw("mut")) {
    pos_ += 2;
    mut = true;
  }
  EMBER_ASSIGN(ValType t, parse_valtype());
  if (mut) EMBER_TRY(expect(Tok::RParen));
  put_val_type(out, t);
  out.push_back(mut ? 1 : 0);
  return Status::Ok();
}

// ---- pass 1: identifiers and explicit types ------------------------------------

Status WatParser::define(IndexSpace& sp, const char* what) {
  uint32_t index = sp.count++;
  if (!at(Tok::Id)) return Status::Ok();
  if (!sp.ids.emplace(peek().text, index).second)
    return error(std::string("duplicate ") + what + " " + std::string(peek().text));
  next();
  return Status::Ok();
}

Status WatParser::note_import(const Token& where, bool is_import, const char* kind) {
  if (is_import && first_def_) return error_at(where, std::string("import after ") + first_def_);
  if (!is_import && !first_def_) first_def_ = kind;
  return Status::Ok();
}

Status WatParser::scan_definition(const Token& kw) {
  const std::string_view k = kw.text;
  IndexSpace& sp = k == "func"     ? func_sp_
                   : k == "table"  ? table_sp_
                   : k == "memory" ? mem_sp_
                   : k == "tag"    ? tag_sp_
                                   : global_sp_;
  const char* what = k == "func"     ? "function"
                     : k == "table"  ? "table"
                     : k == "memory" ? "memory"
                     : k == "tag"    ? "tag"
                                     : "global";
  EMBER_TRY(define(sp, what));
  bool is_import = false;
  // Look at the direct children for (import ...), (elem ...), (data ...).
  while (!at(Tok::RParen) && !at(Tok::Eof)) {
    if (at(Tok::LParen)) {
      if (at_keyword("import", 1)) is_import = true;
      if (k == "table" && at_keyword("elem", 1)) elem_sp_.count++;
      if (k == "memory" && at_keyword("data", 1)) data_sp_.count++;
      EMBER_TRY(skip_sexpr());
    } else {
      next();
    }
  }
  // A tag definition does not close the imports (as in wasmtime's parser:
  // the text format's rule predates tags).
  if (k == "tag" && !is_import) return Status::Ok();
  return note_import(kw, is_import, what);
}

Status WatParser::scan_field() {
  const size_t start = pos_;
  EMBER_TRY(expect(Tok::LParen));
  const Token& kw = peek();
  if (kw.kind != Tok::Keyword) return error("unexpected token");
  next();
  const std::string_view k = kw.text;
  if (k == "type") {
    EMBER_TRY(define(type_sp_, "type"));
    type_fields_.push_back({start, std::nullopt});
  } else if (k == "rec") {
    uint32_t n = 0;
    for (; at_lparen_kw("type"); n++) {
      const size_t at = pos_;
      pos_ += 2;
      EMBER_TRY(define(type_sp_, "type"));
      pos_ = at;
      EMBER_TRY(skip_sexpr());
    }
    type_fields_.push_back({start, n});
  } else if (k == "import") {
    EMBER_TRY(parse_name());
    EMBER_TRY(parse_name());
    if (!at(Tok::LParen)) return error("unexpected token");
    next();
    const Token& dk = peek();
    IndexSpace* sp = dk.text == "func"     ? &func_sp_
                     : dk.text == "table"  ? &table_sp_
                     : dk.text == "memory" ? &mem_sp_
                     : dk.text == "global" ? &global_sp_
                     : dk.text == "tag"    ? &tag_sp_
                                           : nullptr;
    if (dk.kind != Tok::Keyword || !sp) return error("unexpected token");
    next();
    EMBER_TRY(define(*sp, sp == &func_sp_    ? "function"
                          : sp == &table_sp_ ? "table"
                          : sp == &mem_sp_   ? "memory"
                          : sp == &tag_sp_   ? "tag"
                                             : "global"));
    EMBER_TRY(note_import(kw, true, ""));
  } else if (k == "func" || k == "table" || k == "memory" || k == "global" || k == "tag") {
    EMBER_TRY(scan_definition(kw));
  } else if (k == "elem") {
    EMBER_TRY(define(elem_sp_, "elem segment"));
  } else if (k == "data") {
    EMBER_TRY(define(data_sp_, "data segment"));
  } else if (k != "export" && k != "start") {
    return error_at(kw, "unknown module field " + std::string(k));
  }
  pos_ = start;
  return skip_sexpr();
}

// ---- types ------------------------------------------------------------------------

Status WatParser::parse_type_fields() {
  const size_t saved = pos_;
  for (const TypeField& f : type_fields_) {
    pos_ = f.start;
    const uint32_t begin = uint32_t(types_.size());
    if (!f.rec) {
      EMBER_TRY(parse_type_def(begin, 1));
      continue;
    }
    pos_ += 2;  // (rec
    for (uint32_t i = 0; i < *f.rec; i++) EMBER_TRY(parse_type_def(begin, *f.rec));
    EMBER_TRY(expect(Tok::RParen));
  }
  pos_ = saved;
  return Status::Ok();
}

// `(type $id? subtype)`, subtype = `(sub final? $super? comptype)` | comptype.
Status WatParser::parse_type_def(uint32_t group_begin, uint32_t group_size) {
  pos_ += 2;  // (type
  if (at(Tok::Id)) next();
  TypeDecl d;
  d.group_begin = group_begin;
  d.group_size = group_size;
  const bool sub = at_lparen_kw("sub");
  if (sub) {
    pos_ += 2;
    d.final = false;
    if (at_keyword("final")) {
      next();
      d.final = true;
    }
    if (at(Tok::Id) || at(Tok::Number)) {
      EMBER_ASSIGN(uint32_t super, parse_index(type_sp_, "type"));
      d.super = super;
    }
  }
  FuncType ft;
  IndexSpace fields;  // a struct's field names
  if (at_lparen_kw("struct") || at_lparen_kw("array")) {
    d.kind = peek(1).text == "struct" ? CompKind::Struct : CompKind::Array;
    pos_ += 2;
    if (d.kind == CompKind::Array) {
      EMBER_ASSIGN(FieldType f, parse_field_type());
      d.fields.push_back(f);
    } else {
      EMBER_TRY(parse_struct_fields(&d.fields, &fields));
    }
  } else {
    EMBER_TRY(expect_lparen_kw("func"));
    EMBER_TRY(parse_functype_body(&ft));
  }
  EMBER_TRY(expect(Tok::RParen));
  if (sub) EMBER_TRY(expect(Tok::RParen));
  EMBER_TRY(expect(Tok::RParen));  // nothing may follow the type
  if (!fields.ids.empty()) field_sp_.emplace(uint32_t(types_.size()), std::move(fields));
  types_.push_back(std::move(ft));
  type_decls_.push_back(d);
  return Status::Ok();
}

// `(field $name fieldtype)` or `(field fieldtype*)`, repeated; names are
// unique within the struct, and `names` maps each to its field index.
Status WatParser::parse_struct_fields(std::vector<FieldType>* out, IndexSpace* names) {
  while (at_lparen_kw("field")) {
    pos_ += 2;
    const bool named = at(Tok::Id);
    if (named) {
      const Token& id = next();
      if (!names->ids.emplace(id.text, uint32_t(out->size())).second)
        return error_at(id, "duplicate field");
    }
    while (!at(Tok::RParen)) {
      EMBER_ASSIGN(FieldType f, parse_field_type());
      out->push_back(f);
      if (named) break;
    }
    EMBER_TRY(expect(Tok::RParen));
  }
  return Status::Ok();
}

// `storagetype` or `(mut storagetype)`; storagetype = valtype | i8 | i16.
Expected<FieldType> WatParser::parse_field_type() {
  FieldType f;
  const bool mut = at_lparen_kw("mut");
  if (mut) pos_ += 2;
  f.mut = mut;
  if (at_keyword("i8") || at_keyword("i16")) {
    f.packed = next().text == "i8" ? FieldType::I8 : FieldType::I16;
  } else {
    EMBER_ASSIGN(f.type, parse_valtype());
  }
  if (mut) EMBER_TRY(expect(Tok::RParen));
  return f;
}

// ---- pass 2: fields ------------------------------------------------------------

namespace {
// The name an identifier gives to the name section: `$f` -> "f" (a quoted
// `$"f g"` is spelt `$f g` by the lexer).
std::string id_name(std::string_view id) {
  id.remove_prefix(1);
  return std::string(id);
}
}  // namespace

void WatParser::add_func_name(uint32_t index, const Token& id) {
  func_names_.emplace_back(index, id_name(id.text));
}

Status WatParser::parse_field() {
  const std::string_view k = peek(1).text;
  if (k == "type" || k == "rec") return skip_sexpr();
  if (k == "import") return parse_import();
  if (k == "func") return parse_func();
  if (k == "table") return parse_table();
  if (k == "memory") return parse_memory();
  if (k == "global") return parse_global();
  if (k == "tag") return parse_tag();
  if (k == "export") return parse_export();
  if (k == "start") return parse_start();
  if (k == "elem") return parse_elem();
  return parse_data();
}

Status WatParser::parse_import() {
  pos_ += 2;
  EMBER_ASSIGN(std::string mod, parse_name());
  EMBER_ASSIGN(std::string field, parse_name());
  put_name(imports_, mod);
  put_name(imports_, field);
  n_imports_++;
  EMBER_TRY(expect(Tok::LParen));
  const std::string_view k = next().text;
  const Token* id = at(Tok::Id) ? &next() : nullptr;
  if (k == "func") {
    if (id) add_func_name(cur_func_, *id);
    cur_func_++;
    EMBER_ASSIGN(TypeUse tu, parse_typeuse(true));
    EMBER_ASSIGN(uint32_t ti, resolve_typeuse(tu));
    imports_.push_back(0);
    put_uleb(imports_, ti);
  } else if (k == "table") {
    cur_table_++;
    imports_.push_back(1);
    EMBER_TRY(parse_table_type(imports_));
  } else if (k == "memory") {
    cur_mem_++;
    imports_.push_back(2);
    EMBER_TRY(parse_memory_type(imports_));
  } else if (k == "tag") {
    cur_tag_++;
    imports_.push_back(4);
    EMBER_TRY(parse_tag_type(imports_));
  } else {
    cur_global_++;
    imports_.push_back(3);
    EMBER_TRY(parse_global_type(imports_));
  }
  EMBER_TRY(expect(Tok::RParen));
  return expect(Tok::RParen);
}

// A tag type: attribute 0 (exception), then the type index of its typeuse.
Status WatParser::parse_tag_type(Buf& out) {
  EMBER_ASSIGN(TypeUse tu, parse_typeuse(false));
  EMBER_ASSIGN(uint32_t ti, resolve_typeuse(tu));
  out.push_back(0x00);
  put_uleb(out, ti);
  return Status::Ok();
}

// `(tag $id? (export ...)* (import ...)? typeuse)`.
Status WatParser::parse_tag() {
  pos_ += 2;
  const uint32_t index = cur_tag_++;
  if (at(Tok::Id)) next();
  EMBER_TRY(parse_inline_exports(ExternKind::Tag, index));
  if (at_lparen_kw("import")) {
    EMBER_TRY(parse_inline_import(ExternKind::Tag, index));
    EMBER_TRY(parse_tag_type(imports_));
    return expect(Tok::RParen);
  }
  n_tags_++;
  EMBER_TRY(parse_tag_type(tags_));
  return expect(Tok::RParen);
}

Status WatParser::parse_inline_exports(ExternKind kind, uint32_t index) {
  while (at_lparen_kw("export")) {
    pos_ += 2;
    EMBER_ASSIGN(std::string name, parse_name());
    EMBER_TRY(expect(Tok::RParen));
    put_name(exports_, name);
    exports_.push_back(uint8_t(kind));
    put_uleb(exports_, index);
    n_exports_++;
  }
  return Status::Ok();
}

// `(import "m" "n")` inside a definition: writes the import head.
Status WatParser::parse_inline_import(ExternKind kind, uint32_t) {
  pos_ += 2;
  EMBER_ASSIGN(std::string mod, parse_name());
  EMBER_ASSIGN(std::string field, parse_name());
  EMBER_TRY(expect(Tok::RParen));
  put_name(imports_, mod);
  put_name(imports_, field);
  imports_.push_back(uint8_t(kind));
  n_imports_++;
  return Status::Ok();
}

Status WatParser::parse_func() {
  pos_ += 2;
  const uint32_t index = cur_func_++;
  std::optional<Token> id;
  if (at(Tok::Id)) id = next();
  EMBER_ASSIGN(std::optional<std::string> name, take_name_annotation());
  if (name) func_names_.emplace_back(index, std::move(*name));
  else if (id) add_func_name(index, *id);
  EMBER_TRY(parse_inline_exports(ExternKind::Func, index));
  const bool is_import = at_lparen_kw("import");
  if (is_import) EMBER_TRY(parse_inline_import(ExternKind::Func, index));
  EMBER_ASSIGN(TypeUse tu, parse_typeuse(true));
  EMBER_ASSIGN(uint32_t ti, resolve_typeuse(tu));
  if (is_import) {
    put_uleb(imports_, ti);
    return expect(Tok::RParen);
  }
  func_types_.push_back(ti);
  body_func_ = index;
  const size_t body_begin = pos_;
  EMBER_TRY(parse_func_body(tu, ti));
  body_ranges_.emplace_back(body_begin, pos_);
  return Status::Ok();
}

Status WatParser::parse_func_body(const TypeUse& tu, uint32_t type_index) {
  FuncCtx ctx;
  if (tu.has_inline || !tu.index) {
    for (std::string_view id : tu.param_ids) {
      uint32_t i = ctx.locals.count++;
      if (!id.empty() && !ctx.locals.ids.emplace(id, i).second)
        return error("duplicate local " + std::string(id));
    }
  } else if (type_index < types_.size()) {
    ctx.locals.count = uint32_t(types_[type_index].params.size());
  }
  std::vector<std::pair<uint32_t, ValType>> runs;
  auto add_local = [&](ValType v) {
    if (!runs.empty() && runs.back().second == v) runs.back().first++;
    else runs.emplace_back(1, v);
    return ctx.locals.count++;
  };
  while (at_lparen_kw("local")) {
    pos_ += 2;
    if (at(Tok::Id)) {
      std::string_view id = next().text;
      EMBER_ASSIGN(ValType v, parse_valtype());
      if (!ctx.locals.ids.emplace(id, add_local(v)).second)
        return error("duplicate local " + std::string(id));
    } else {
      while (!at(Tok::RParen)) {
        EMBER_ASSIGN(ValType v, parse_valtype());
        add_local(v);
      }
    }
    EMBER_TRY(expect(Tok::RParen));
  }
  Buf body;
  put_uleb(body, runs.size());
  for (auto& [n, v] : runs) {
    put_uleb(body, n);
    put_val_type(body, v);
  }
  fn_ = &ctx;
  labels_.clear();
  Status st = parse_expr(body);
  fn_ = nullptr;
  EMBER_TRY(std::move(st));
  put_uleb(codes_, body.size());
  put_bytes(codes_, body);
  return expect(Tok::RParen);
}

Status WatParser::parse_table() {
  pos_ += 2;
  const uint32_t index = cur_table_++;
  if (at(Tok::Id)) next();
  EMBER_TRY(parse_inline_exports(ExternKind::Table, index));
  if (at_lparen_kw("import")) {
    EMBER_TRY(parse_inline_import(ExternKind::Table, index));
    EMBER_TRY(parse_table_type(imports_));
    return expect(Tok::RParen);
  }
  n_tables_++;
  bool is64 = false;
  if ((at_keyword("i64") || at_keyword("i32")) && at_reftype(1)) is64 = next().text == "i64";
  if (!at_reftype()) {
    // `limits reftype expr?`: with an initializer expression, the binary
    // form is 0x40 0x00 tabletype expr.
    Buf type;
    EMBER_TRY(parse_table_type(type));
    if (at(Tok::RParen)) {
      put_bytes(tables_, type);
    } else {
      tables_.insert(tables_.end(), {0x40, 0x00});
      put_bytes(tables_, type);
      EMBER_TRY(parse_expr(tables_));
    }
    return expect(Tok::RParen);
  }
  // Inline element segment: `reftype (elem ...)`. Function indices for a
  // table of another type than funcref become `ref.func` expressions of the
  // table's type (the index form's type is `(ref func)`).
  EMBER_ASSIGN(ValType type, parse_reftype());
  EMBER_TRY(expect_lparen_kw("elem"));
  std::vector<Buf> items;
  bool exprs = at(Tok::LParen);
  EMBER_TRY(parse_elem_items(exprs, &items));
  EMBER_TRY(expect(Tok::RParen));
  if (!exprs && type != ValType::FuncRef) {
    for (Buf& b : items) {
      b.insert(b.begin(), 0xD2);
      b.push_back(0x0B);
    }
    exprs = true;
  }
  put_val_type(tables_, type);
  tables_.push_back(is64 ? 5 : 1);
  put_uleb(tables_, items.size());
  put_uleb(tables_, items.size());
  Buf offset = {uint8_t(is64 ? 0x42 : 0x41), 0x00, 0x0B};
  emit_elem(0, index, offset, type, exprs, items);
  return expect(Tok::RParen);
}

Status WatParser::parse_data_strings(Buf& out) {
  while (at(Tok::String)) {
    const std::string& s = tl_.string_of(next());
    out.insert(out.end(), s.begin(), s.end());
  }
  return Status::Ok();
}

Status WatParser::parse_memory() {
  pos_ += 2;
  const uint32_t index = cur_mem_++;
  if (at(Tok::Id)) next();
  EMBER_TRY(parse_inline_exports(ExternKind::Memory, index));
  if (at_lparen_kw("import")) {
    EMBER_TRY(parse_inline_import(ExternKind::Memory, index));
    EMBER_TRY(parse_memory_type(imports_));
    return expect(Tok::RParen);
  }
  n_mems_++;
  bool is64 = false;
  if ((at_keyword("i64") || at_keyword("i32")) && peek(1).kind == Tok::LParen)
    is64 = next().text == "i64";
  // The inline-data abbreviation may state a page size before its data.
  std::optional<uint8_t> page_log2;
  if (at_lparen_kw("pagesize")) {
    EMBER_ASSIGN(page_log2, parse_pagesize());
    if (!at_lparen_kw("data")) return error("unexpected token, expected (data");
  }
  if (!at_lparen_kw("data")) {
    EMBER_TRY(parse_memory_type(mems_));
    return expect(Tok::RParen);
  }
  pos_ += 2;
  Buf bytes;
  EMBER_TRY(parse_data_strings(bytes));
  EMBER_TRY(expect(Tok::RParen));
  const uint8_t log2 = page_log2.value_or(16);
  const uint64_t pages = (bytes.size() + (uint64_t{1} << log2) - 1) >> log2;
  mems_.push_back(uint8_t((is64 ? 5 : 1) | (page_log2 ? 8 : 0)));
  put_uleb(mems_, pages);
  put_uleb(mems_, pages);
  if (page_log2) put_uleb(mems_, *page_log2);
  // Active segment at offset 0 of this memory.
  if (index == 0) {
    datas_.push_back(0);
  } else {
    datas_.push_back(2);
    put_uleb(datas_, index);
  }
  datas_.push_back(is64 ? 0x42 : 0x41);
  datas_.push_back(0);
  datas_.push_back(0x0B);
  put_uleb(datas_, bytes.size());
  put_bytes(datas_, bytes);
  n_datas_++;
  return expect(Tok::RParen);
}

Status WatParser::parse_global() {
  pos_ += 2;
  const uint32_t index = cur_global_++;
  if (at(Tok::Id)) next();
  EMBER_TRY(parse_inline_exports(ExternKind::Global, index));
  if (at_lparen_kw("import")) {
    EMBER_TRY(parse_inline_import(ExternKind::Global, index));
    EMBER_TRY(parse_global_type(imports_));
    return expect(Tok::RParen);
  }
  n_globals_++;
  EMBER_TRY(parse_global_type(globals_));
  EMBER_TRY(parse_expr(globals_));
  return expect(Tok::RParen);
}

Status WatParser::parse_export() {
  pos_ += 2;
  EMBER_ASSIGN(std::string name, parse_name());
  EMBER_TRY(expect(Tok::LParen));
  const std::string_view k = peek().text;
  ExternKind kind;
  const IndexSpace* sp;
  const char* what;
  if (k == "func") {
    kind = ExternKind::Func;
    sp = &func_sp_;
    what = "function";
  } else if (k == "table") {
    kind = ExternKind::Table;
    sp = &table_sp_;
    what = "table";
  } else if (k == "memory") {
    kind = ExternKind::Memory;
    sp = &mem_sp_;
    what = "memory";
  } else if (k == "global") {
    kind = ExternKind::Global;
    sp = &global_sp_;
    what = "global";
  } else if (k == "tag") {
    kind = ExternKind::Tag;
    sp = &tag_sp_;
    what = "tag";
  } else return error("unexpected token");
  next();
  EMBER_ASSIGN(uint32_t index, parse_index(*sp, what));
  EMBER_TRY(expect(Tok::RParen));
  put_name(exports_, name);
  exports_.push_back(uint8_t(kind));
  put_uleb(exports_, index);
  n_exports_++;
  return expect(Tok::RParen);
}

Status WatParser::parse_start() {
  const Token& kw = peek(1);
  pos_ += 2;
  if (start_) return error_at(kw, "multiple start sections");
  EMBER_ASSIGN(uint32_t f, parse_index(func_sp_, "function"));
  start_ = f;
  return expect(Tok::RParen);
}

// `(offset instr*)` or a single folded instruction.
Status WatParser::parse_offset(Buf& out) {
  if (at_lparen_kw("offset")) {
    pos_ += 2;
    EMBER_TRY(parse_expr(out));
    return expect(Tok::RParen);
  }
  if (!at(Tok::LParen)) return error("unexpected token");
  EMBER_TRY(parse_folded(out));
  out.push_back(0x0B);
  return Status::Ok();
}

void WatParser::emit_elem(int mode, uint32_t table, const Buf& offset, ValType type, bool exprs,
                          const std::vector<Buf>& items) {
  // mode: 0 active, 1 passive, 2 declarative. Expressions stay expressions
  // even when all are `ref.func x`: the index form's type is `(ref func)`,
  // not funcref.
  uint8_t flags;
  if (mode == 0) flags = (table == 0 && type == ValType::FuncRef) ? 0 : 2;
  else flags = mode == 1 ? 1 : 3;
  if (exprs) flags |= 4;
  put_uleb(elems_, flags);
  if (flags == 2 || flags == 6) put_uleb(elems_, table);
  if (mode == 0) put_bytes(elems_, offset);
  if (flags & 3) {
    if (exprs) put_val_type(elems_, type);
    else elems_.push_back(0x00);
  }
  put_uleb(elems_, items.size());
  for (const Buf& b : items) put_bytes(elems_, b);
  n_elems_++;
}

// elemlist: `func idx*` | reftype elemexpr* | (legacy) idx*.
Status WatParser::parse_elem_list(bool allow_bare_indices, ValType* type, bool* exprs,
                                  std::vector<Buf>* items) {
  *type = ValType::FuncRef;
  *exprs = false;
  if (at_keyword("func")) {
    next();
  } else if (at_reftype()) {
    EMBER_ASSIGN(*type, parse_reftype());
    *exprs = true;
  } else if (!allow_bare_indices && !at(Tok::RParen)) {
    return error("unexpected token");
  }
  return parse_elem_items(*exprs, items);
}

// Element items: expressions (`(item instr*)` or one folded instruction) or
// function indices.
Status WatParser::parse_elem_items(bool exprs, std::vector<Buf>* items) {
  if (exprs) {
    while (at(Tok::LParen)) {
      Buf e;
      if (at_lparen_kw("item")) {
        pos_ += 2;
        EMBER_TRY(parse_expr(e));
        EMBER_TRY(expect(Tok::RParen));
      } else {
        EMBER_TRY(parse_folded(e));
        e.push_back(0x0B);
      }
      items->push_back(std::move(e));
    }
    return Status::Ok();
  }
  while (at_index()) {
    EMBER_ASSIGN(uint32_t f, parse_index(func_sp_, "function"));
    Buf b;
    put_uleb(b, f);
    items->push_back(std::move(b));
  }
  return Status::Ok();
}

Status WatParser::parse_elem() {
  pos_ += 2;
  if (at(Tok::Id)) next();
  int mode = 1;
  uint32_t table = 0;
  Buf offset;
  if (at_keyword("declare")) {
    next();
    mode = 2;
  } else if (!at_reftype() &&
             (at_lparen_kw("table") || at(Tok::LParen) || at(Tok::Number) || at(Tok::Id))) {
    mode = 0;
    if (at_lparen_kw("table")) {
      pos_ += 2;
      EMBER_ASSIGN(table, parse_index(table_sp_, "table"));
      EMBER_TRY(expect(Tok::RParen));
    } else if (at_index()) {
      EMBER_ASSIGN(table, parse_index(table_sp_, "table"));
    }
    EMBER_TRY(parse_offset(offset));
  }
  ValType type;
  bool exprs;
  std::vector<Buf> items;
  EMBER_TRY(parse_elem_list(mode == 0, &type, &exprs, &items));
  emit_elem(mode, table, offset, type, exprs, items);
  return expect(Tok::RParen);
}

Status WatParser::parse_data() {
  pos_ += 2;
  if (at(Tok::Id)) next();
  Buf seg;
  if (at(Tok::String) || at(Tok::RParen)) {
    seg.push_back(1);
  } else {
    uint32_t mem = 0;
    if (at_lparen_kw("memory")) {
      pos_ += 2;
      EMBER_ASSIGN(mem, parse_index(mem_sp_, "memory"));
      EMBER_TRY(expect(Tok::RParen));
    } else if (at_index()) {
      EMBER_ASSIGN(mem, parse_index(mem_sp_, "memory"));
    }
    if (mem == 0) {
      seg.push_back(0);
    } else {
      seg.push_back(2);
      put_uleb(seg, mem);
    }
    EMBER_TRY(parse_offset(seg));
  }
  Buf bytes;
  EMBER_TRY(parse_data_strings(bytes));
  put_uleb(seg, bytes.size());
  put_bytes(seg, bytes);
  put_bytes(datas_, seg);
  n_datas_++;
  return expect(Tok::RParen);
}

// ---- module ----------------------------------------------------------------------

Expected<Buf> WatParser::parse_module() {
  // "(module $id? field*)" or a bare sequence of fields. Text with no token
  // at all is refused, as wasm-tools does; "(module)" is the empty module.
  if (at(Tok::Eof) && !tl_.any_annotation) return error("expected at least one module field");
  size_t fields_begin = 0;
  bool wrapped = at_lparen_kw("module");
  if (wrapped) {
    pos_ += 2;
    if (at_keyword("definition")) next();
    if (at(Tok::Id)) module_name_ = id_name(next().text);
    EMBER_ASSIGN(std::optional<std::string> name, take_name_annotation());
    if (name) module_name_ = std::move(name);
    fields_begin = pos_;
  }
  std::vector<size_t> field_starts;  // where a field (or @custom) may stand
  for (;;) {
    field_starts.push_back(pos_);
    if (!at(Tok::LParen)) break;
    EMBER_TRY(scan_field());
  }
  if (wrapped) EMBER_TRY(expect(Tok::RParen));
  if (!at(Tok::Eof)) return error("unexpected token");
  EMBER_TRY(parse_type_fields());
  EMBER_TRY(parse_customs(field_starts));
  EMBER_TRY(check_duplicate_hints());
  pos_ = fields_begin;
  while (at(Tok::LParen)) EMBER_TRY(parse_field());
  EMBER_TRY(check_leftover_annotations());
  if (deferred_) return std::move(deferred_);
  add_branch_hint_section();
  return assemble();
}

Expected<Buf> wat_to_wasm_at(std::string_view text, uint32_t first_line, const FeatureSet& features,
                             bool strict_annotations) {
  EMBER_ASSIGN(TokenList tl, tokenize(text, first_line));
  WatParser p(tl, features.has(Feature::Memory64), strict_annotations);
  return p.parse_module();
}

}  // namespace text

Expected<std::vector<uint8_t>> wat_to_wasm(std::string_view text, const FeatureSet& features) {
  return text::wat_to_wasm_at(text, 1, features);
}

}  // namespace ember
