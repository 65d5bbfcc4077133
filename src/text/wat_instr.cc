// WAT instructions -> binary code; see wat_parser.hh.
//
// Flat and folded forms share one path: a folded `(op imm* child*)` emits
// its children first, then the operator. Immediates are driven by the
// operator table's ImmKind, one case per kind (the GC kinds: wat_gc.cc).
#include <cstring>

#include "text/literals.hh"
#include "text/wat_parser.hh"

namespace ember::text {

void WatParser::put_opcode(const OpInfo& info, Buf& out) {
  if (info.prefix == 0) {
    out.push_back(uint8_t(info.code));
  } else {
    out.push_back(info.prefix);
    put_uleb(out, info.code);
  }
}

Status WatParser::parse_expr(Buf& out) {
  EMBER_TRY(parse_instrs(out));
  if (!at(Tok::RParen)) return error(at(Tok::Eof) ? "unexpected end of input" : "unexpected token");
  out.push_back(0x0B);
  return Status::Ok();
}

Status WatParser::parse_instrs(Buf& out) {
  while (!at(Tok::RParen) && !at(Tok::Eof) && !at_keyword("end") && !at_keyword("else") &&
         !at_keyword("catch") && !at_keyword("catch_all") && !at_keyword("delegate"))
    EMBER_TRY(parse_instr(out));
  return Status::Ok();
}

namespace {
// Instruction nesting bound: keeps the recursive descent far from the end of
// a thread's stack on hostile input.
constexpr uint32_t kMaxNesting = 2000;

struct DepthGuard {
  uint32_t& d;
  explicit DepthGuard(uint32_t& x) : d(++x) {}
  ~DepthGuard() { --d; }
};
}  // namespace

Status WatParser::parse_instr(Buf& out) {
  if (depth_ >= kMaxNesting) return error("instructions nested too deeply");
  DepthGuard guard(depth_);
  if (at(Tok::LParen)) return parse_folded(out);
  if (!at(Tok::Keyword)) return error("unexpected token");
  const std::string_view k = peek().text;
  if (k == "if" || k == "br_if") EMBER_TRY(note_branch_hint(pos_, out.size()));
  if (k == "block" || k == "loop" || k == "if") return parse_block_flat(*op_by_mnemonic(k), out);
  if (k == "try_table") return parse_try_table(out, false);
  if (k == "try") return parse_try(out, false);
  return parse_plain(out);
}

// A non-structured operator and its immediates.
Status WatParser::parse_plain(Buf& out) {
  const Token& t = peek();
  if (t.text == "select") return parse_select(out);
  const OpInfo* info = op_by_mnemonic(t.text);
  if (!info) {
    if (const PendingConstruct* p = pending_op_by_mnemonic(t.text))
      return Error::at_text(ErrorKind::Unsupported,
                            std::string(t.text) + ": " + p->what + " are not supported yet", t.line,
                            t.col);
  }
  if (info && (info->op == Op::Catch || info->op == Op::CatchAll || info->op == Op::Delegate))
    return error("unexpected token");  // only inside a try
  if (!info || info->imm == ImmKind::Block || info->op == Op::Else || info->op == Op::End)
    return error("unknown operator " + std::string(t.text));
  next();
  if (info->imm == ImmKind::CastType) return parse_cast(*info, out);  // picks its row
  put_opcode(*info, out);
  return parse_immediates(*info, out);
}

Status WatParser::parse_folded(Buf& out) {
  if (depth_ >= kMaxNesting) return error("instructions nested too deeply");
  DepthGuard guard(depth_);
  const size_t start = pos_;
  EMBER_TRY(expect(Tok::LParen));
  if (!at(Tok::Keyword)) return error("unexpected token");
  const std::string_view k = peek().text;
  if (k == "if") return parse_if_folded(out, start);
  if (k == "try_table") return parse_try_table(out, true);
  if (k == "try") return parse_try(out, true);
  if (k == "block" || k == "loop") {
    const OpInfo& info = *op_by_mnemonic(next().text);
    std::optional<std::string_view> label = parse_label_def();
    put_opcode(info, out);
    EMBER_TRY(parse_block_type(out));
    labels_.push_back(label);
    EMBER_TRY(parse_instrs(out));
    labels_.pop_back();
    out.push_back(0x0B);
    return expect(Tok::RParen);
  }
  Buf op;
  const bool br_if = k == "br_if";
  EMBER_TRY(parse_plain(op));
  while (at(Tok::LParen)) EMBER_TRY(parse_folded(out));
  if (br_if) EMBER_TRY(note_branch_hint(start, out.size()));
  put_bytes(out, op);
  return expect(Tok::RParen);
}

Status WatParser::parse_if_folded(Buf& out, size_t start) {
  next();  // if
  std::optional<std::string_view> label = parse_label_def();
  Buf bt;
  EMBER_TRY(parse_block_type(bt));
  while (at(Tok::LParen) && !at_lparen_kw("then")) EMBER_TRY(parse_folded(out));
  EMBER_TRY(note_branch_hint(start, out.size()));
  out.push_back(0x04);
  put_bytes(out, bt);
  labels_.push_back(label);
  EMBER_TRY(expect_lparen_kw("then"));
  EMBER_TRY(parse_instrs(out));
  EMBER_TRY(expect(Tok::RParen));
  if (at_lparen_kw("else")) {
    pos_ += 2;
    out.push_back(0x05);
    const size_t mark = out.size();
    EMBER_TRY(parse_instrs(out));
    if (out.size() == mark) out.pop_back();  // an empty else is no else
    EMBER_TRY(expect(Tok::RParen));
  }
  labels_.pop_back();
  out.push_back(0x0B);
  return expect(Tok::RParen);
}

Status WatParser::parse_block_flat(const OpInfo& info, Buf& out) {
  next();
  std::optional<std::string_view> label = parse_label_def();
  put_opcode(info, out);
  EMBER_TRY(parse_block_type(out));
  const size_t slot = labels_.size();
  labels_.push_back(label);
  EMBER_TRY(parse_instrs(out));
  if (info.op == Op::If && at_keyword("else")) {
    next();
    EMBER_TRY(parse_end_label(slot));
    out.push_back(0x05);
    const size_t mark = out.size();
    EMBER_TRY(parse_instrs(out));
    if (out.size() == mark) out.pop_back();  // an empty else is no else
  }
  return close_block(out, slot, false);
}

// `try_table label? blocktype catch* instr* end label?`, or folded
// `(try_table label? blocktype catch* instr*)` (the `(` already read). A
// catch clause's label resolves outside the try_table.
Status WatParser::parse_try_table(Buf& out, bool folded) {
  next();  // try_table
  std::optional<std::string_view> label = parse_label_def();
  out.push_back(0x1F);
  EMBER_TRY(parse_block_type(out));
  Buf clauses;
  uint32_t n = 0;
  for (;; n++) {
    uint8_t kind;
    if (at_lparen_kw("catch")) kind = CatchClause::Catch;
    else if (at_lparen_kw("catch_ref")) kind = CatchClause::CatchRef;
    else if (at_lparen_kw("catch_all")) kind = CatchClause::CatchAll;
    else if (at_lparen_kw("catch_all_ref")) kind = CatchClause::CatchAllRef;
    else break;
    pos_ += 2;
    clauses.push_back(kind);
    if (kind == CatchClause::Catch || kind == CatchClause::CatchRef) {
      EMBER_ASSIGN(uint32_t tag, parse_index(tag_sp_, "tag"));
      put_uleb(clauses, tag);
    }
    EMBER_ASSIGN(uint32_t depth, parse_label());
    put_uleb(clauses, depth);
    EMBER_TRY(expect(Tok::RParen));
  }
  put_uleb(out, n);
  put_bytes(out, clauses);
  const size_t slot = labels_.size();
  labels_.push_back(label);
  EMBER_TRY(parse_instrs(out));
  return close_block(out, slot, folded);
}

// The legacy try: flat `try label? bt instr* (catch x instr*)* (catch_all
// instr*)? end` or `try label? bt instr* delegate l`; folded `(try label? bt
// (do instr*) (catch x instr*)* (catch_all instr*)?)` or `(try label? bt (do
// instr*) (delegate l))` (the `(` already read). delegate's label resolves
// outside the try.
Status WatParser::parse_try(Buf& out, bool folded) {
  next();  // try
  std::optional<std::string_view> label = parse_label_def();
  out.push_back(0x06);
  EMBER_TRY(parse_block_type(out));
  const size_t slot = labels_.size();
  labels_.push_back(label);
  // Opens a section: `(kw ...)` folded, `kw ...` flat; false if none is next.
  auto section = [&](const char* kw) {
    bool found = folded ? at_lparen_kw(kw) : at_keyword(kw);
    if (found) pos_ += folded ? 2 : 1;
    return found;
  };
  auto section_end = [&]() { return folded ? expect(Tok::RParen) : Status::Ok(); };
  if (folded && !section("do")) return error("unexpected token, expected (do ...)");
  EMBER_TRY(parse_instrs(out));
  EMBER_TRY(section_end());
  bool caught = false;
  while (section("catch")) {
    caught = true;
    out.push_back(0x07);
    EMBER_ASSIGN(uint32_t tag, parse_index(tag_sp_, "tag"));
    put_uleb(out, tag);
    EMBER_TRY(parse_instrs(out));
    EMBER_TRY(section_end());
  }
  if (section("catch_all")) {
    caught = true;
    out.push_back(0x19);
    EMBER_TRY(parse_instrs(out));
    EMBER_TRY(section_end());
  }
  if (section("delegate")) {
    if (caught) return error("unexpected token");
    labels_.pop_back();
    EMBER_ASSIGN(uint32_t depth, parse_label());
    out.push_back(0x18);
    put_uleb(out, depth);
    EMBER_TRY(section_end());
    return folded ? expect(Tok::RParen) : Status::Ok();
  }
  return close_block(out, slot, folded);
}

// The end of a block-like instruction whose label is labels_[slot]: flat,
// `end` and an optional matching label; folded, the `)`.
Status WatParser::close_block(Buf& out, size_t slot, bool folded) {
  if (!folded) {
    if (!at_keyword("end"))
      return error(at(Tok::Eof) ? "unexpected end of input" : "unexpected token");
    next();
    EMBER_TRY(parse_end_label(slot));
  }
  labels_.pop_back();
  out.push_back(0x0B);
  return folded ? expect(Tok::RParen) : Status::Ok();
}

std::optional<std::string_view> WatParser::parse_label_def() {
  if (at(Tok::Id)) return next().text;
  return std::nullopt;
}

Status WatParser::parse_end_label(size_t slot) {
  if (!at(Tok::Id)) return Status::Ok();
  if (!labels_[slot] || *labels_[slot] != peek().text) return error("mismatching label");
  next();
  return Status::Ok();
}

Status WatParser::parse_block_type(Buf& out) {
  EMBER_ASSIGN(TypeUse tu, parse_typeuse(false));
  // Signatures [] -> [t?] use the short encoding, even when named by index.
  auto is_short = [](const FuncType& f) { return f.params.empty() && f.results.size() <= 1; };
  auto put_short = [&](const FuncType& f) {
    if (f.results.empty()) out.push_back(0x40);
    else put_val_type(out, f.results[0]);
    return Status::Ok();
  };
  if (!tu.index && is_short(tu.sig)) return put_short(tu.sig);
  if (tu.index && *tu.index < types_.size() && is_short(types_[*tu.index])) {
    EMBER_TRY(resolve_typeuse(tu));  // checks a given inline signature
    return put_short(types_[*tu.index]);
  }
  EMBER_ASSIGN(uint32_t idx, resolve_typeuse(tu));
  put_sleb(out, int64_t(idx));
  return Status::Ok();
}

Expected<uint32_t> WatParser::parse_label() {
  if (at(Tok::Id)) {
    for (size_t i = labels_.size(); i-- > 0;) {
      if (labels_[i] && *labels_[i] == peek().text) {
        next();
        return uint32_t(labels_.size() - 1 - i);
      }
    }
    return error("unknown label " + std::string(peek().text));
  }
  if (!at(Tok::Number)) return error("unexpected token, expected a label");
  EMBER_ASSIGN(uint64_t v, parse_u64_lit(UINT32_MAX));
  return uint32_t(v);
}

Status WatParser::parse_select(Buf& out) {
  next();  // select
  bool typed = false;
  std::vector<ValType> types;
  while (at_lparen_kw("result")) {
    typed = true;
    pos_ += 2;
    while (!at(Tok::RParen)) {
      EMBER_ASSIGN(ValType v, parse_valtype());
      types.push_back(v);
    }
    next();
  }
  if (!typed) {
    out.push_back(0x1B);
    return Status::Ok();
  }
  out.push_back(0x1C);
  put_uleb(out, types.size());
  for (ValType v : types) put_val_type(out, v);
  return Status::Ok();
}

// `lane_follows`: a lane index comes next, so a lone number is the lane,
// not a memory index.
Status WatParser::parse_memarg(const OpInfo& info, Buf& out, bool lane_follows) {
  uint32_t mem = 0;
  auto memarg_kw = [&](size_t k) {
    const Token& t = peek(k);
    return t.kind == Tok::Keyword &&
           (t.text.substr(0, 7) == "offset=" || t.text.substr(0, 6) == "align=");
  };
  bool mem_given = lane_follows ? at(Tok::Id) || (at(Tok::Number) &&
                                                  (peek(1).kind == Tok::Number || memarg_kw(1)))
                                : at_index();
  if (mem_given) {
    EMBER_ASSIGN(mem, parse_index(mem_sp_, "memory"));
  }
  uint64_t offset = 0;
  uint64_t align = info.size;
  if (at(Tok::Keyword) && peek().text.substr(0, 7) == "offset=") {
    // Any u64 (the validator checks a 32-bit memory's offset fits 32 bits).
    uint64_t v;
    LitResult r = parse_uint(peek().text.substr(7), UINT64_MAX, &v);
    if (r != LitResult::Ok)
      return error(r == LitResult::Range ? "offset out of range" : "unknown operator");
    next();
    offset = v;
  }
  if (at(Tok::Keyword) && peek().text.substr(0, 6) == "align=") {
    uint64_t v;
    LitResult r = parse_uint(peek().text.substr(6), UINT64_MAX, &v);
    if (r != LitResult::Ok) return error("unknown operator");
    if (v == 0 || (v & (v - 1))) return error("alignment must be a power of two");
    next();
    align = v;
  }
  uint32_t log2 = 0;
  while ((uint64_t(1) << log2) < align) log2++;
  put_uleb(out, mem != 0 ? (log2 | 0x40) : log2);
  if (mem != 0) put_uleb(out, mem);
  put_uleb(out, offset);
  return Status::Ok();
}

namespace {
const char* literal_error(LitResult r) {
  return r == LitResult::Range ? "constant out of range" : "unknown operator";
}
}  // namespace

// A lane index: an unsigned integer literal below 256 (the validator checks
// it against the shape).
Status WatParser::parse_lane(Buf& out) {
  if (!at(Tok::Number)) return error("unexpected token, expected a lane index");
  uint64_t v;
  LitResult r = parse_uint(peek().text, 255, &v);
  if (r == LitResult::Range) return error("malformed lane index");
  if (r != LitResult::Ok) return error("unexpected token, expected a lane index");
  next();
  out.push_back(uint8_t(v));
  return Status::Ok();
}

Status WatParser::parse_shuffle(Buf& out) {
  for (int i = 0; i < 16; i++) {
    if (!at(Tok::Number)) return error("invalid lane length");
    EMBER_TRY(parse_lane(out));
  }
  if (at(Tok::Number)) return error("invalid lane length");
  return Status::Ok();
}

// `v128.const SHAPE lane*`: the lanes as little-endian bytes.
Status WatParser::parse_v128_const(Buf& out) {
  if (!at(Tok::Keyword)) return error("unexpected token, expected a v128 shape");
  const std::string_view shape = peek().text;
  unsigned bits;
  if (shape == "i8x16") bits = 8;
  else if (shape == "i16x8") bits = 16;
  else if (shape == "i32x4" || shape == "f32x4") bits = 32;
  else if (shape == "i64x2" || shape == "f64x2") bits = 64;
  else return error("unexpected token, unknown v128 shape");
  next();
  for (unsigned i = 0; i < 128 / bits; i++) {
    if (!at(Tok::Number) && !at(Tok::Keyword)) return error("wrong number of lane literals");
    uint64_t v = 0;
    LitResult r;
    if (shape[0] == 'f' && bits == 32) {
      uint32_t f;
      r = parse_f32(peek().text, &f);
      v = f;
    } else if (shape[0] == 'f') {
      r = parse_f64(peek().text, &v);
    } else {
      r = at(Tok::Number) ? parse_int(peek().text, bits, &v) : LitResult::Syntax;
    }
    if (r != LitResult::Ok)
      return error(r == LitResult::Range ? "constant out of range" : "unexpected token");
    next();
    for (unsigned b = 0; b < bits / 8; b++) out.push_back(uint8_t(v >> (8 * b)));
  }
  return Status::Ok();
}

Status WatParser::parse_immediates(const OpInfo& info, Buf& out) {
  const IndexSpace empty_locals;
  auto index_into = [&](const IndexSpace& sp, const char* what) -> Status {
    EMBER_ASSIGN(uint32_t i, parse_index(sp, what));
    put_uleb(out, i);
    return Status::Ok();
  };
  auto optional_index = [&](const IndexSpace& sp, const char* what) -> Status {
    if (at_index()) return index_into(sp, what);
    out.push_back(0);
    return Status::Ok();
  };
  const bool lit_token = at(Tok::Number) || at(Tok::Keyword);
  switch (info.imm) {
    case ImmKind::None:
    case ImmKind::Block:
    case ImmKind::SelectT: return Status::Ok();
    case ImmKind::Label: {
      EMBER_ASSIGN(uint32_t l, parse_label());
      put_uleb(out, l);
      return Status::Ok();
    }
    case ImmKind::BrTable: {
      std::vector<uint32_t> ls;
      while (at_index()) {
        EMBER_ASSIGN(uint32_t l, parse_label());
        ls.push_back(l);
      }
      if (ls.empty()) return error("unexpected token, expected a label");
      put_uleb(out, ls.size() - 1);
      for (uint32_t l : ls) put_uleb(out, l);
      return Status::Ok();
    }
    case ImmKind::Func: return index_into(func_sp_, "function");
    case ImmKind::Tag: return index_into(tag_sp_, "tag");
    case ImmKind::Type: return index_into(type_sp_, "type");
    case ImmKind::TryTable: return error("unexpected token");  // parse_try_table
    case ImmKind::CallIndirect: {
      uint32_t table = 0;
      if (at_index()) {
        EMBER_ASSIGN(table, parse_index(table_sp_, "table"));
      }
      EMBER_ASSIGN(TypeUse tu, parse_typeuse(false));
      EMBER_ASSIGN(uint32_t ti, resolve_typeuse(tu));
      put_uleb(out, ti);
      put_uleb(out, table);
      return Status::Ok();
    }
    case ImmKind::Local: return index_into(fn_ ? fn_->locals : empty_locals, "local");
    case ImmKind::Global: return index_into(global_sp_, "global");
    case ImmKind::Table: return optional_index(table_sp_, "table");
    case ImmKind::Memory: return optional_index(mem_sp_, "memory");
    case ImmKind::MemArg: return parse_memarg(info, out);
    case ImmKind::I32:
    case ImmKind::I64: {
      const unsigned bits = info.imm == ImmKind::I32 ? 32 : 64;
      uint64_t v;
      if (!at(Tok::Number)) return error("unexpected token, expected a number");
      LitResult r = parse_int(peek().text, bits, &v);
      if (r != LitResult::Ok) return error(literal_error(r));
      next();
      put_sleb(out, bits == 32 ? int64_t(int32_t(uint32_t(v))) : int64_t(v));
      return Status::Ok();
    }
    case ImmKind::F32: {
      uint32_t v;
      LitResult r = lit_token ? parse_f32(peek().text, &v) : LitResult::Syntax;
      if (r != LitResult::Ok) return error(lit_token ? literal_error(r) : "unexpected token");
      next();
      for (int i = 0; i < 4; i++) out.push_back(uint8_t(v >> (8 * i)));
      return Status::Ok();
    }
    case ImmKind::F64: {
      uint64_t v;
      LitResult r = lit_token ? parse_f64(peek().text, &v) : LitResult::Syntax;
      if (r != LitResult::Ok) return error(lit_token ? literal_error(r) : "unexpected token");
      next();
      for (int i = 0; i < 8; i++) out.push_back(uint8_t(v >> (8 * i)));
      return Status::Ok();
    }
    case ImmKind::HeapType: {
      EMBER_ASSIGN(ValType t, parse_heaptype(true));
      put_heap_type(out, t);
      return Status::Ok();
    }
    case ImmKind::MemoryInit:
    case ImmKind::TableInit: {
      const bool mem = info.imm == ImmKind::MemoryInit;
      const IndexSpace& seg_sp = mem ? data_sp_ : elem_sp_;
      const IndexSpace& dst_sp = mem ? mem_sp_ : table_sp_;
      const char* seg_what = mem ? "data segment" : "elem segment";
      const char* dst_what = mem ? "memory" : "table";
      if (mem) note_data_use();
      // `x? y`: with two indices the first is the memory/table.
      uint32_t dst = 0, seg;
      if (at_index() && (peek(1).kind == Tok::Id || peek(1).kind == Tok::Number)) {
        EMBER_ASSIGN(dst, parse_index(dst_sp, dst_what));
      }
      EMBER_ASSIGN(seg, parse_index(seg_sp, seg_what));
      put_uleb(out, seg);
      put_uleb(out, dst);
      return Status::Ok();
    }
    case ImmKind::Data: note_data_use(); return index_into(data_sp_, "data segment");
    case ImmKind::Elem: return index_into(elem_sp_, "elem segment");
    case ImmKind::MemoryCopy:
    case ImmKind::TableCopy: {
      const bool mem = info.imm == ImmKind::MemoryCopy;
      const IndexSpace& sp = mem ? mem_sp_ : table_sp_;
      const char* what = mem ? "memory" : "table";
      if (!at_index()) {
        out.push_back(0);
        out.push_back(0);
        return Status::Ok();
      }
      EMBER_TRY(index_into(sp, what));
      return index_into(sp, what);
    }
    case ImmKind::Zero: out.push_back(0); return Status::Ok();
    case ImmKind::V128: return parse_v128_const(out);
    case ImmKind::Lane: return parse_lane(out);
    case ImmKind::Shuffle: return parse_shuffle(out);
    case ImmKind::MemArgLane: EMBER_TRY(parse_memarg(info, out, true)); return parse_lane(out);
    case ImmKind::TypeField:
    case ImmKind::TypeCount:
    case ImmKind::TypeData:
    case ImmKind::TypeElem:
    case ImmKind::TypeType: return parse_gc_immediates(info, out);
    case ImmKind::CastType: return error("unexpected token");  // parse_cast
    case ImmKind::BrOnCast: return parse_br_on_cast(out);
  }
  return error("unknown operator");
}

}  // namespace ember::text
