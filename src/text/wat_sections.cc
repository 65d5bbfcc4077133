// WAT -> binary: the module's sections in binary order, with the custom
// sections of `(@custom "name" place? "bytes"*)` annotations placed among
// them; see wat_parser.hh.
//
// Placement follows the annotations proposal (and the reference
// interpreter): `(before S)` / `(after S)` names a section kind S in the
// binary order below, `first` = type and `last` = data, and the default is
// `(after last)`. A section kind need not be present: the custom section goes
// where it would be. Custom sections with the same placement keep their
// source order. The generated "name" section comes last, and is left out
// when the text supplies its own `(@custom "name" ...)`, as wasm-tools does.
// An annotation must stand between module fields; inside one it is
// "misplaced".
#include <algorithm>

#include "text/wat_parser.hh"

namespace ember::text {

namespace {

// Standard sections in the order the binary format requires them.
struct SectionKind {
  std::string_view keyword;  // as written in a placement
  uint8_t id;
};
constexpr SectionKind kSections[] = {
    {"type", 1},       {"import", 2}, {"func", 3},   {"table", 4}, {"memory", 5},
    {"tag", 13},       {"global", 6}, {"export", 7}, {"start", 8}, {"elem", 9},
    {"datacount", 12}, {"code", 10},  {"data", 11},
};
constexpr uint32_t kSectionCount = sizeof kSections / sizeof kSections[0];

// A placement as one number: 2 * rank of the section kind, + 1 when after it.
constexpr uint32_t kAfterLast = 2 * (kSectionCount - 1) + 1;

std::optional<uint32_t> section_rank(const Token& t) {
  if (t.kind != Tok::Keyword) return std::nullopt;
  if (t.text == "first") return 0;
  if (t.text == "last") return kSectionCount - 1;
  for (uint32_t r = 0; r < kSectionCount; r++)
    if (kSections[r].keyword == t.text) return r;
  return std::nullopt;
}

void put_section(Buf& out, uint8_t id, const Buf& body) {
  out.push_back(id);
  put_uleb(out, body.size());
  put_bytes(out, body);
}

void put_vec_section(Buf& out, uint8_t id, uint32_t count, const Buf& items) {
  Buf s;
  put_uleb(s, count);
  put_bytes(s, items);
  put_section(out, id, s);
}

}  // namespace

// ---- @custom annotations ---------------------------------------------------

Status WatParser::parse_customs(const std::vector<size_t>& field_starts) {
  for (const CustomAnnotation& a : tl_.customs) {
    if (a.id != "custom") continue;
    EMBER_ASSIGN(CustomSection cs, parse_custom(a));
    if (!std::binary_search(field_starts.begin(), field_starts.end(), a.at))
      return error_at(a.open, "misplaced @custom annotation");
    if (cs.name == "name") user_name_section_ = true;
    customs_.push_back(std::move(cs));
  }
  std::stable_sort(
      customs_.begin(), customs_.end(),
      [](const CustomSection& x, const CustomSection& y) { return x.place < y.place; });
  return Status::Ok();
}

// `"name" place? "bytes"*` between `(@custom` and `)`.
Expected<WatParser::CustomSection> WatParser::parse_custom(const CustomAnnotation& a) {
  const std::vector<Token>& items = a.items;
  auto item = [&](size_t i) -> const Token& { return i < items.size() ? items[i] : a.close; };
  if (item(0).kind != Tok::String)
    return error_at(a.open, "@custom annotation: missing section name");
  CustomSection cs;
  cs.name = tl_.string_of(item(0));
  if (!is_valid_utf8(cs.name))
    return error_at(item(0), "@custom annotation: malformed UTF-8 encoding");
  size_t i = 1;
  cs.place = kAfterLast;
  if (item(i).kind == Tok::LParen) {
    EMBER_ASSIGN(cs.place, parse_custom_place(a, &i));
  }
  for (; item(i).kind == Tok::String; i++) {
    const std::string& s = tl_.string_of(item(i));
    cs.content.insert(cs.content.end(), s.begin(), s.end());
  }
  if (i < items.size()) return error_at(items[i], "@custom annotation: unexpected token");
  return cs;
}

// `(before S)` | `(after S)` at a.items[*i]; advances *i past it.
Expected<uint32_t> WatParser::parse_custom_place(const CustomAnnotation& a, size_t* i) {
  auto item = [&](size_t k) -> const Token& { return k < a.items.size() ? a.items[k] : a.close; };
  const Token& open = item(*i);
  const Token& dir = item(*i + 1);
  if (dir.kind != Tok::Keyword || (dir.text != "before" && dir.text != "after"))
    return error_at(open, "@custom annotation: malformed placement");
  std::optional<uint32_t> rank = section_rank(item(*i + 2));
  if (!rank) return error_at(open, "@custom annotation: malformed section kind");
  if (item(*i + 3).kind != Tok::RParen)
    return error_at(item(*i + 3), "@custom annotation: unexpected token");
  *i += 4;
  return 2 * *rank + (dir.text == "after" ? 1 : 0);
}

// ---- assembly ----------------------------------------------------------------

uint32_t WatParser::code_section_place() {
  for (uint32_t r = 0; r < kSectionCount; r++)
    if (kSections[r].id == 10) return 2 * r;
  return kAfterLast;
}

Buf WatParser::assemble() const {
  Buf out = {0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00};
  size_t next_custom = 0;
  auto customs_up_to = [&](uint32_t place) {
    for (; next_custom < customs_.size() && customs_[next_custom].place <= place; next_custom++) {
      const CustomSection& cs = customs_[next_custom];
      Buf b;
      put_name(b, cs.name);
      put_bytes(b, cs.content);
      put_section(out, 0, b);
    }
  };
  for (uint32_t r = 0; r < kSectionCount; r++) {
    customs_up_to(2 * r);
    emit_section(kSections[r].id, out);
    customs_up_to(2 * r + 1);
  }
  if (!user_name_section_) emit_name_section(out);
  return out;
}

// Each `(rec ...)` field is written as a recursion group, even of one type
// or none (as wasm-tools does); a `(type ...)` field and an implicit function
// type (appended after all fields' types) are a group of one, written as the
// type alone.
void WatParser::emit_type_section(Buf& out) const {
  Buf b;
  uint32_t entries = 0, next = 0;
  for (const TypeField& f : type_fields_) {
    entries++;
    if (!f.rec) {
      put_sub_type(b, next++);
      continue;
    }
    b.push_back(0x4E);
    put_uleb(b, *f.rec);
    for (uint32_t k = 0; k < *f.rec; k++) put_sub_type(b, next++);
  }
  for (; next < types_.size(); next++, entries++) put_sub_type(b, next);
  if (entries) put_vec_section(out, 1, entries, b);
}

// A final type without supertype needs no `sub`.
void WatParser::put_sub_type(Buf& b, uint32_t i) const {
  const TypeDecl& d = type_decls_[i];
  if (!d.final || d.super) {
    b.push_back(d.final ? 0x4F : 0x50);
    put_uleb(b, d.super ? 1 : 0);
    if (d.super) put_uleb(b, *d.super);
  }
  if (d.kind != CompKind::Func) {
    b.push_back(d.kind == CompKind::Struct ? 0x5F : 0x5E);
    if (d.kind == CompKind::Struct) put_uleb(b, d.fields.size());
    for (const FieldType& f : d.fields) {
      if (f.packed) b.push_back(f.packed);
      else put_val_type(b, f.type);
      b.push_back(f.mut ? 1 : 0);
    }
    return;
  }
  const FuncType& ft = types_[i];
  b.push_back(0x60);
  put_uleb(b, ft.params.size());
  for (ValType v : ft.params) put_val_type(b, v);
  put_uleb(b, ft.results.size());
  for (ValType v : ft.results) put_val_type(b, v);
}

void WatParser::emit_section(uint8_t id, Buf& out) const {
  Buf b;
  switch (id) {
    case 1: return emit_type_section(out);
    case 2:
      if (n_imports_) put_vec_section(out, id, n_imports_, imports_);
      return;
    case 3:
      if (func_types_.empty()) return;
      for (uint32_t t : func_types_) put_uleb(b, t);
      return put_vec_section(out, id, uint32_t(func_types_.size()), b);
    case 4:
      if (n_tables_) put_vec_section(out, id, n_tables_, tables_);
      return;
    case 5:
      if (n_mems_) put_vec_section(out, id, n_mems_, mems_);
      return;
    case 6:
      if (n_globals_) put_vec_section(out, id, n_globals_, globals_);
      return;
    case 7:
      if (n_exports_) put_vec_section(out, id, n_exports_, exports_);
      return;
    case 8:
      if (!start_) return;
      put_uleb(b, *start_);
      return put_section(out, id, b);
    case 9:
      if (n_elems_) put_vec_section(out, id, n_elems_, elems_);
      return;
    case 10:
      if (!func_types_.empty()) put_vec_section(out, id, uint32_t(func_types_.size()), codes_);
      return;
    case 11:
      if (n_datas_) put_vec_section(out, id, n_datas_, datas_);
      return;
    case 12:
      if (!need_datacount_) return;
      put_uleb(b, n_datas_);
      return put_section(out, id, b);
    case 13:
      if (n_tags_) put_vec_section(out, id, n_tags_, tags_);
      return;
    default: return;
  }
}

void WatParser::emit_name_section(Buf& out) const {
  if (!module_name_ && func_names_.empty()) return;
  Buf b;
  put_name(b, "name");
  if (module_name_) {
    Buf sub;
    put_name(sub, *module_name_);
    put_section(b, 0, sub);
  }
  if (!func_names_.empty()) {
    Buf sub;
    put_uleb(sub, func_names_.size());
    for (auto& [i, n] : func_names_) {
      put_uleb(sub, i);
      put_name(sub, n);
    }
    put_section(b, 1, sub);
  }
  put_section(out, 0, b);
}

}  // namespace ember::text
