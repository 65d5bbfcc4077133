// WAT -> binary: the `(@name "...")` and `(@metadata.code.branch_hint "\xx")`
// annotations; see wat_parser.hh.
//
// `@name` right after `module` or `func` (and its $id) names the module or
// the function in the name section, in place of the $id. After any other
// definition keyword it is accepted and has no effect; anywhere else it is
// "misplaced".
//
// A branch hint stands before an `if` or `br_if` (flat or folded) in a
// function body and becomes an entry of the `metadata.code.branch_hint`
// custom section (placed before the code section): the function index, the
// byte offset of the instruction's opcode from the start of the body (its
// local declarations), and the hint (0 unlikely, 1 likely). Before any other
// instruction the hint is dropped, as wasm-tools does, or, with strict
// annotations (the spec scripts' assert_invalid_custom), an invalid error.
#include <algorithm>

#include "text/wat_parser.hh"

namespace ember::text {

namespace {
constexpr std::string_view kBranchHint = "metadata.code.branch_hint";

// Keywords after which (and their $id) an `@name` may stand.
bool names_a_definition(const Token& t) {
  static constexpr std::string_view kKeywords[] = {
      "module", "func",  "tag",   "global", "table", "memory", "type",  "elem",
      "data",   "param", "local", "block",  "loop",  "if",     "field", "import"};
  if (t.kind != Tok::Keyword) return false;
  return std::find(std::begin(kKeywords), std::end(kKeywords), t.text) != std::end(kKeywords);
}
}  // namespace

bool WatParser::name_well_placed(const CustomAnnotation& a) const {
  if (a.at == 0) return false;
  size_t k = a.at - 1;
  if (tl_.toks[k].kind == Tok::Id && k > 0) k--;
  return names_a_definition(tl_.toks[k]);
}

// Duplicate branch hints on one instruction: malformed, before pass 2.
Status WatParser::check_duplicate_hints() const {
  const auto& as = tl_.customs;
  for (size_t i = 0; i < as.size(); i++) {
    if (as[i].id != kBranchHint) continue;
    for (size_t j = i + 1; j < as.size() && as[j].at == as[i].at; j++) {
      if (as[j].id == kBranchHint)
        return error_at(as[j].open, "@metadata.code.branch_hint annotation: duplicate annotation");
    }
  }
  return Status::Ok();
}

Expected<std::optional<std::string>> WatParser::take_name_annotation() {
  // (The annotation's string, not a std::optional copied along: GCC's
  // -Wmaybe-uninitialized took that copy for a read of nothing.)
  const std::string* name = nullptr;
  for (size_t i = 0; i < tl_.customs.size(); i++) {
    const CustomAnnotation& a = tl_.customs[i];
    if (a.id != "name" || a.at != pos_ || annot_used_[i]) continue;
    if (name) {
      const Token& kw =
          tl_.toks[pos_ - 1].kind == Tok::Id ? tl_.toks[pos_ - 2] : tl_.toks[pos_ - 1];
      return error_at(a.open, "@name annotation: multiple " + std::string(kw.text));
    }
    if (a.items.size() != 1 || a.items[0].kind != Tok::String)
      return error_at(a.open, "@name annotation: a string expected");
    const std::string& s = tl_.string_of(a.items[0]);
    if (!is_valid_utf8(s)) return error_at(a.items[0], "malformed UTF-8 encoding");
    annot_used_[i] = true;
    name = &s;
  }
  if (!name) return std::optional<std::string>();
  return std::optional<std::string>(*name);
}

Status WatParser::note_branch_hint(size_t instr_tok, size_t offset) {
  if (!fn_) return Status::Ok();
  for (size_t i = 0; i < tl_.customs.size(); i++) {
    const CustomAnnotation& a = tl_.customs[i];
    if (a.id != kBranchHint || a.at != instr_tok || annot_used_[i]) continue;
    annot_used_[i] = true;
    const std::string* v = a.items.size() == 1 && a.items[0].kind == Tok::String
                               ? &tl_.string_of(a.items[0])
                               : nullptr;
    if (!v || v->size() != 1 || uint8_t((*v)[0]) > 1)
      return error_at(a.open, "@metadata.code.branch_hint annotation: malformed hint");
    if (branch_hints_.empty() || branch_hints_.back().first != body_func_)
      branch_hints_.emplace_back(body_func_, std::vector<std::pair<uint32_t, uint8_t>>{});
    branch_hints_.back().second.emplace_back(uint32_t(offset), uint8_t((*v)[0]));
    return Status::Ok();
  }
  return Status::Ok();
}

// After pass 2: what no definition or branch took.
Status WatParser::check_leftover_annotations() const {
  for (size_t i = 0; i < tl_.customs.size(); i++) {
    const CustomAnnotation& a = tl_.customs[i];
    if (annot_used_[i]) continue;
    if (a.id == "name" && !name_well_placed(a))
      return error_at(a.open, "misplaced @name annotation");
    if (a.id != kBranchHint) continue;
    const bool in_body = std::any_of(body_ranges_.begin(), body_ranges_.end(),
                                     [&](auto r) { return a.at >= r.first && a.at < r.second; });
    if (!in_body)
      return error_at(a.open, "@metadata.code.branch_hint annotation: not in a function");
    if (strict_annotations_)
      return Error::at_text(ErrorKind::Invalid,
                            "@metadata.code.branch_hint annotation: invalid target", a.open.line,
                            a.open.col);
  }
  return Status::Ok();
}

void WatParser::add_branch_hint_section() {
  if (branch_hints_.empty()) return;
  CustomSection cs;
  cs.name = std::string(kBranchHint);
  cs.place = code_section_place();
  put_uleb(cs.content, branch_hints_.size());
  for (const auto& [func, hints] : branch_hints_) {
    put_uleb(cs.content, func);
    put_uleb(cs.content, hints.size());
    for (auto [offset, hint] : hints) {
      put_uleb(cs.content, offset);
      put_uleb(cs.content, 1);  // the hint's size in bytes
      cs.content.push_back(hint);
    }
  }
  customs_.push_back(std::move(cs));
  std::stable_sort(
      customs_.begin(), customs_.end(),
      [](const CustomSection& x, const CustomSection& y) { return x.place < y.place; });
}

}  // namespace ember::text
