// Internal: the WAT module parser shared by wat_module.cc (module fields)
// and wat_instr.cc (instructions). Not a public interface.
//
// The parser runs in two passes over the token vector. Pass 1 walks the
// module fields, assigning every identifier its index (imports first, as the
// text format requires) and reading the explicit type definitions. Pass 2
// parses each field fully and emits binary section contents; inline function
// types that match no existing type are appended to the type section in the
// order they are met. Only syntax and name resolution are checked here; the
// validator checks everything else on the decoded binary, except limits too
// large for the binary to encode (32-bit limits beyond 2^32-1), which are
// invalid and reported from here (defer_invalid).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "ir/type_registry.hh"
#include "ir/types.hh"
#include "support/error.hh"
#include "support/leb128.hh"
#include "support/utf8.hh"
#include "text/lexer.hh"

namespace ember::text {

using Buf = std::vector<uint8_t>;

void put_name(Buf& b, std::string_view s);
void put_bytes(Buf& b, const Buf& src);
// An abstract heap type's keyword ("any", "nofunc", ...); false if none.
bool heap_keyword(std::string_view name, HeapKind* out);

// One index space (functions, tables, ...): identifier -> index.
struct IndexSpace {
  std::unordered_map<std::string_view, uint32_t> ids;
  uint32_t count = 0;
};

// A parsed `(type x)? (param ...)* (result ...)*`.
struct TypeUse {
  std::optional<uint32_t> index;
  bool has_inline = false;  // any (param) or (result) given
  FuncType sig;
  std::vector<std::string_view> param_ids;  // "" when unnamed
};

// Body-parsing state of the function being parsed (absent in const exprs).
struct FuncCtx {
  IndexSpace locals;
};

// wat_to_wasm for a snippet of a larger file whose first line is `first_line`
// (error positions then refer to the larger file).
// `strict_annotations`: an annotation that does not apply (a branch hint
// before an instruction that is no branch) is an error rather than dropped.
Expected<Buf> wat_to_wasm_at(std::string_view text, uint32_t first_line, const FeatureSet& features,
                             bool strict_annotations = false);

class WatParser {
 public:
  // `u64_limits`: the Wasm 3.0 reading of limits (wat_to_wasm).
  WatParser(const TokenList& tl, bool u64_limits, bool strict_annotations = false)
      : tl_(tl),
        u64_limits_(u64_limits),
        strict_annotations_(strict_annotations),
        annot_used_(tl.customs.size()) {}
  Expected<Buf> parse_module();

 private:
  // ---- tokens (wat_module.cc) ----
  const Token& peek(size_t k = 0) const;
  bool at(Tok k) const { return peek().kind == k; }
  bool at_keyword(std::string_view kw, size_t k = 0) const;
  bool at_lparen_kw(std::string_view kw) const;
  const Token& next() { return tl_.toks[pos_ < tl_.toks.size() - 1 ? pos_++ : pos_]; }
  Error error_at(const Token& t, std::string msg) const;
  Error error(std::string msg) const { return error_at(peek(), std::move(msg)); }
  Status expect(Tok k);
  Status expect_lparen_kw(std::string_view kw);
  Status skip_sexpr();
  // Keeps the first invalid-module error found while parsing (one the
  // binary cannot carry to the validator); parse_module returns it if the
  // text is otherwise well formed.
  void defer_invalid(const Token& where, std::string msg);

  // ---- small syntax pieces (wat_module.cc) ----
  Expected<ValType> parse_valtype();
  Expected<ValType> parse_reftype();
  // A heap type: an abstract kind's keyword or a type index, as the
  // reference type `(ref null? ht)`.
  Expected<ValType> parse_heaptype(bool nullable);
  bool at_reftype(size_t k = 0) const;  // a reference type starts at token k
  // The type section: every `(type ...)` and `(rec ...)` field, parsed after
  // pass 1 has named all types (a definition may refer to later ones).
  Status parse_type_fields();
  Status parse_type_def(uint32_t group_begin, uint32_t group_size);
  Expected<FieldType> parse_field_type();
  Status parse_struct_fields(std::vector<FieldType>* out, IndexSpace* names);
  Status parse_try_table(Buf& out, bool folded);
  Status parse_try(Buf& out, bool folded);
  Status close_block(Buf& out, size_t slot, bool folded);
  Error type_error(const Token& t) const;
  Expected<uint64_t> parse_u64_lit(uint64_t max);
  bool at_index() const { return at(Tok::Id) || at(Tok::Number); }
  Expected<uint32_t> parse_index(const IndexSpace& sp, const char* what);
  Expected<std::string> parse_name();
  Expected<TypeUse> parse_typeuse(bool allow_param_ids);
  Expected<uint32_t> resolve_typeuse(const TypeUse& tu);
  // A table's limits, or (memory) a memory's limits and page size.
  Status parse_limits(bool is64, Buf& out, bool memory);
  Expected<uint8_t> parse_pagesize();  // `(pagesize N)`: log2 N
  Status parse_table_type(Buf& out);
  Status parse_memory_type(Buf& out);
  Status parse_global_type(Buf& out);
  Status parse_tag_type(Buf& out);
  Status parse_functype_body(FuncType* ft);

  // ---- pass 1 ----
  Status scan_field();
  Status scan_definition(const Token& kw);
  Status note_import(const Token& where, bool is_import, const char* kind);
  Status define(IndexSpace& sp, const char* what);

  // ---- pass 2 ----
  Status parse_field();
  Status parse_import();
  Status parse_inline_exports(ExternKind kind, uint32_t index);
  Status parse_inline_import(ExternKind kind, uint32_t index);
  Status parse_func();
  Status parse_func_body(const TypeUse& tu, uint32_t type_index);
  Status parse_table();
  Status parse_memory();
  Status parse_global();
  Status parse_tag();
  Status parse_export();
  Status parse_start();
  Status parse_elem();
  Status parse_elem_list(bool allow_bare_indices, ValType* type, bool* exprs,
                         std::vector<Buf>* items);
  Status parse_elem_items(bool exprs, std::vector<Buf>* items);
  Status parse_data();
  Status parse_offset(Buf& out);
  Status parse_data_strings(Buf& out);
  void emit_elem(int mode, uint32_t table, const Buf& offset, ValType type, bool exprs,
                 const std::vector<Buf>& items);
  void add_func_name(uint32_t index, const Token& id);

  // ---- sections and @custom annotations (wat_sections.cc) ----
  struct CustomSection {
    uint32_t place = 0;  // 2 * rank of the section kind placed by, + 1 if after
    std::string name;
    Buf content;
  };
  Status parse_customs(const std::vector<size_t>& field_starts);
  Expected<CustomSection> parse_custom(const CustomAnnotation& a);
  Expected<uint32_t> parse_custom_place(const CustomAnnotation& a, size_t* i);
  Buf assemble() const;
  void emit_section(uint8_t id, Buf& out) const;
  void emit_type_section(Buf& out) const;
  void put_sub_type(Buf& b, uint32_t type) const;
  void emit_name_section(Buf& out) const;
  static uint32_t code_section_place();  // a CustomSection::place: before the code section

  // ---- @name and branch-hint annotations (wat_annotations.cc) ----
  Expected<std::optional<std::string>> take_name_annotation();  // standing at pos_
  // An if / br_if whose first token is instr_tok has its opcode at `offset`
  // of the body being parsed.
  Status note_branch_hint(size_t instr_tok, size_t offset);
  bool name_well_placed(const CustomAnnotation& a) const;
  Status check_duplicate_hints() const;
  Status check_leftover_annotations() const;
  void add_branch_hint_section();

  // ---- instructions (wat_instr.cc) ----
  Status parse_expr(Buf& out);  // instrs up to ')', then `end`
  Status parse_instrs(Buf& out);
  Status parse_instr(Buf& out);
  Status parse_folded(Buf& out);
  Status parse_block_flat(const OpInfo& info, Buf& out);
  Status parse_if_folded(Buf& out, size_t start);
  Status parse_block_type(Buf& out);
  std::optional<std::string_view> parse_label_def();
  Status parse_end_label(size_t label_slot);
  Status parse_plain(Buf& out);
  Status parse_immediates(const OpInfo& info, Buf& out);
  Status parse_memarg(const OpInfo& info, Buf& out, bool lane_follows = false);
  Status parse_lane(Buf& out);
  Status parse_v128_const(Buf& out);
  Status parse_shuffle(Buf& out);
  Status parse_select(Buf& out);
  Expected<uint32_t> parse_label();
  static void put_opcode(const OpInfo& info, Buf& out);
  // An instruction names a data segment: in a function body, the module
  // needs the data count section (as wasm-tools decides it; a constant
  // expression's use does not count).
  void note_data_use() { need_datacount_ |= fn_ != nullptr; }

  // ---- GC instructions' immediates (wat_gc.cc) ----
  Status parse_gc_immediates(const OpInfo& info, Buf& out);
  Status parse_cast(const OpInfo& info, Buf& out);  // ref.test / ref.cast, opcode included
  Status parse_br_on_cast(Buf& out);
  Expected<uint32_t> parse_field_index(uint32_t type);

  const TokenList& tl_;
  const bool u64_limits_;
  size_t pos_ = 0;
  bool strict_annotations_ = false;
  std::vector<bool> annot_used_;  // per tl_.customs entry: taken by the parser

  IndexSpace type_sp_, func_sp_, table_sp_, mem_sp_, global_sp_, tag_sp_, elem_sp_, data_sp_;
  std::vector<FuncType> types_;
  std::vector<TypeDecl> type_decls_;  // one per types_ entry
  // Per struct type index with named fields: `$name` -> field index.
  std::unordered_map<uint32_t, IndexSpace> field_sp_;
  // The type and rec fields: token position, and for a rec its type count.
  struct TypeField {
    size_t start;
    std::optional<uint32_t> rec;
  };
  std::vector<TypeField> type_fields_;
  const char* first_def_ = nullptr;  // first non-import definition kind (pass 1)
  FuncCtx* fn_ = nullptr;
  std::vector<std::optional<std::string_view>> labels_;  // back() = innermost
  uint32_t depth_ = 0;                                   // current instruction nesting

  // Pass-2 running indices and section contents.
  uint32_t cur_func_ = 0, cur_table_ = 0, cur_mem_ = 0, cur_global_ = 0, cur_tag_ = 0;
  Buf imports_, tables_, mems_, globals_, tags_, exports_, elems_, codes_, datas_;
  uint32_t n_tags_ = 0;
  uint32_t n_imports_ = 0, n_tables_ = 0, n_mems_ = 0, n_globals_ = 0, n_exports_ = 0, n_elems_ = 0,
           n_datas_ = 0;
  std::vector<uint32_t> func_types_;  // type index per defined function
  std::optional<uint32_t> start_;
  bool need_datacount_ = false;
  std::optional<std::string> module_name_;
  std::vector<std::pair<uint32_t, std::string>> func_names_;
  std::vector<CustomSection> customs_;                  // sorted by place, then source order
  uint32_t body_func_ = 0;                              // function index of the body being parsed
  std::vector<std::pair<size_t, size_t>> body_ranges_;  // token ranges of function bodies
  // Per function (ascending): (body offset, hint) of its branch hints.
  std::vector<std::pair<uint32_t, std::vector<std::pair<uint32_t, uint8_t>>>> branch_hints_;
  bool user_name_section_ = false;  // a `(@custom "name" ...)` was given
  Error deferred_;                  // see defer_invalid
};

}  // namespace ember::text
