// WAST script parser; see wast.hh.
//
// The script is tokenized once; each command is read from the token vector.
// Text modules are kept as the exact source slice and converted on demand,
// so a malformed module fails only when the runner asks for its binary.
#include "text/wast.hh"

#include "text/lexer.hh"
#include "text/literals.hh"
#include "text/wat.hh"
#include "text/wat_parser.hh"

namespace ember::wast {

Expected<std::vector<uint8_t>> ModuleSource::to_binary(const FeatureSet& features) const {
  switch (kind) {
    case Binary: return bytes;
    case Quote: return text::wat_to_wasm_at(text, 1, features, strict_annotations);
    case Text: break;
  }
  return text::wat_to_wasm_at(text, line ? line : 1, features, strict_annotations);
}

namespace {

using text::LitResult;
using text::Tok;
using text::Token;

class ScriptParser : text::TokenCursor {
 public:
  ScriptParser(std::string_view src, const text::TokenList& tl) : TokenCursor(tl), src_(src) {}

  Expected<Script> run() {
    Script s;
    if (at(Tok::LParen) && is_module_field(peek(1))) {
      // A script that is just module fields is one inline module.
      Command c;
      c.line = peek().line;
      c.has_module = true;
      c.module.line = c.line;
      c.module.text = std::string(src_);
      s.commands.push_back(std::move(c));
      return s;
    }
    while (!at(Tok::Eof)) {
      EMBER_ASSIGN(Command c, command());
      s.commands.push_back(std::move(c));
    }
    return s;
  }

 private:
  Expected<std::string> string() {
    if (!at(Tok::String)) return error("unexpected token, expected a string");
    return tl_.string_of(next());
  }
  std::optional<std::string> opt_id() {
    if (at(Tok::Id)) return std::string(next().text);
    return std::nullopt;
  }
  // Skips a balanced s-expression starting at '('.
  Status skip_sexpr() {
    EMBER_TRY(expect(Tok::LParen));
    for (uint32_t depth = 1; depth > 0;) {
      if (at(Tok::Eof)) return error("unexpected end of input");
      const Token& t = next();
      if (t.kind == Tok::LParen) depth++;
      else if (t.kind == Tok::RParen) depth--;
    }
    return Status::Ok();
  }

  static bool is_module_field(const Token& t) {
    if (t.kind != Tok::Keyword) return false;
    for (const char* k :
         {"type", "import", "func", "table", "memory", "global", "export", "start", "elem", "data"})
      if (t.text == k) return true;
    return false;
  }
  Expected<Command> command();
  Status module_command(Command& c);
  Expected<ModuleSource> module_source();
  Expected<Action> action();
  Expected<std::vector<Value>> values(bool result);
  Expected<Value> value(bool result);
  Expected<Value> num_value(std::string_view op, bool result);
  Expected<Value> v128_value(bool result);
  Expected<Value> ref_value(std::string_view op, bool result);
  Status lane(std::string_view shape, bool result, Value& v, unsigned i);

  std::string_view src_;
};

Expected<ModuleSource> ScriptParser::module_source() {
  ModuleSource m;
  const Token& open = peek();
  m.line = open.line;
  if (!at_lparen_kw("module")) return error("unexpected token, expected (module");
  pos_ += 2;
  if (at_kw("definition")) {
    next();
    m.is_definition = true;
  }
  m.id = opt_id();
  if (at_kw("binary") || at_kw("quote")) {
    const bool binary = next().text == "binary";
    m.kind = binary ? ModuleSource::Binary : ModuleSource::Quote;
    while (at(Tok::String)) {
      const std::string& s = tl_.string_of(next());
      if (binary) m.bytes.insert(m.bytes.end(), s.begin(), s.end());
      else m.text += s;
    }
    EMBER_TRY(expect(Tok::RParen));
    return m;
  }
  m.kind = ModuleSource::Text;
  // Back up to the '(' and take the balanced slice.
  pos_ = size_t(&open - tl_.toks.data());
  EMBER_TRY(skip_sexpr());
  const Token& close = tl_.toks[pos_ - 1];
  m.text = std::string(src_.substr(open.offset, close.offset + 1 - open.offset));
  return m;
}

Status ScriptParser::module_command(Command& c) {
  if (at_kw("instance", 2)) {
    pos_ += 3;
    c.kind = CommandKind::ModuleInstance;
    std::optional<std::string> a = opt_id(), b = opt_id();
    if (b) {
      c.instance_id = a;
      c.definition_id = b;
    } else {
      c.definition_id = a;
    }
    return expect(Tok::RParen);
  }
  c.kind = CommandKind::Module;
  EMBER_ASSIGN(c.module, module_source());
  c.has_module = true;
  return Status::Ok();
}

Expected<Action> ScriptParser::action() {
  Action a;
  if (!at(Tok::LParen) || !(at_kw("invoke", 1) || at_kw("get", 1)))
    return error("unexpected token, expected (invoke or (get");
  next();
  a.kind = next().text == "invoke" ? Action::Invoke : Action::Get;
  a.module_id = opt_id();
  EMBER_ASSIGN(a.field, string());
  if (a.kind == Action::Invoke) {
    EMBER_ASSIGN(a.args, values(false));
  }
  EMBER_TRY(expect(Tok::RParen));
  return a;
}

Expected<std::vector<Value>> ScriptParser::values(bool result) {
  std::vector<Value> vs;
  while (at(Tok::LParen)) {
    EMBER_ASSIGN(Value v, value(result));
    vs.push_back(std::move(v));
  }
  return vs;
}

Expected<Value> ScriptParser::value(bool result) {
  EMBER_TRY(expect(Tok::LParen));
  if (!at(Tok::Keyword)) return error("unexpected token");
  const std::string_view op = next().text;
  Value v;
  if (op == "v128.const") {
    EMBER_ASSIGN(v, v128_value(result));
  } else if (op == "either" && result) {
    v.kind = ValueKind::Either;
    EMBER_ASSIGN(v.alternatives, values(true));
  } else if (op.substr(0, 4) == "ref.") {
    EMBER_ASSIGN(v, ref_value(op, result));
  } else {
    EMBER_ASSIGN(v, num_value(op, result));
  }
  EMBER_TRY(expect(Tok::RParen));
  return v;
}

Expected<Value> ScriptParser::num_value(std::string_view op, bool result) {
  Value v;
  const std::string_view t = peek().text;
  LitResult r = LitResult::Syntax;
  if (at(Tok::Number) || at(Tok::Keyword)) {
    if (op == "i32.const" || op == "i64.const") {
      v.kind = op[1] == '3' ? ValueKind::I32 : ValueKind::I64;
      v.type = op[1] == '3' ? ValType::I32 : ValType::I64;
      r = text::parse_int(t, op[1] == '3' ? 32 : 64, &v.bits);
    } else if (op == "f32.const" || op == "f64.const") {
      const bool f32 = op[1] == '3';
      v.kind = f32 ? ValueKind::F32 : ValueKind::F64;
      v.type = f32 ? ValType::F32 : ValType::F64;
      if (result && (t == "nan:canonical" || t == "nan:arithmetic")) {
        v.kind = t == "nan:canonical" ? ValueKind::NanCanonical : ValueKind::NanArithmetic;
        r = LitResult::Ok;
      } else if (f32) {
        uint32_t b;
        r = text::parse_f32(t, &b);
        v.bits = b;
      } else {
        r = text::parse_f64(t, &v.bits);
      }
    } else {
      return error("unknown operator " + std::string(op));
    }
  } else if (op != "i32.const" && op != "i64.const" && op != "f32.const" && op != "f64.const") {
    return error("unknown operator " + std::string(op));
  }
  if (r != LitResult::Ok)
    return error(r == LitResult::Range ? "constant out of range" : "malformed constant");
  next();
  return v;
}

Status ScriptParser::lane(std::string_view shape, bool result, Value& v, unsigned i) {
  const unsigned bits = v.lane_bits;
  const std::string_view t = peek().text;
  if (!at(Tok::Number) && !at(Tok::Keyword)) return error("unexpected token");
  Value l;
  LitResult r;
  if (shape[0] == 'f') {
    l.kind = bits == 32 ? ValueKind::F32 : ValueKind::F64;
    l.type = bits == 32 ? ValType::F32 : ValType::F64;
    if (result && (t == "nan:canonical" || t == "nan:arithmetic")) {
      l.kind = t == "nan:canonical" ? ValueKind::NanCanonical : ValueKind::NanArithmetic;
      r = LitResult::Ok;
    } else if (bits == 32) {
      uint32_t b;
      r = text::parse_f32(t, &b);
      l.bits = b;
    } else {
      r = text::parse_f64(t, &l.bits);
    }
  } else {
    l.kind = bits == 64 ? ValueKind::I64 : ValueKind::I32;
    l.type = bits == 64 ? ValType::I64 : ValType::I32;
    r = text::parse_int(t, bits, &l.bits);
  }
  if (r != LitResult::Ok)
    return error(r == LitResult::Range ? "constant out of range" : "malformed constant");
  next();
  const unsigned bit = i * bits;
  if (l.kind != ValueKind::NanCanonical && l.kind != ValueKind::NanArithmetic) {
    const uint64_t mask = bits == 64 ? UINT64_MAX : (uint64_t(1) << bits) - 1;
    uint64_t x = l.bits & mask;
    if (bit < 64) v.bits |= x << bit;
    else v.bits_hi |= x << (bit - 64);
  }
  v.lanes.push_back(std::move(l));
  return Status::Ok();
}

Expected<Value> ScriptParser::v128_value(bool result) {
  Value v;
  v.kind = ValueKind::V128;
  v.type = ValType::V128;
  if (!at(Tok::Keyword)) return error("unexpected token, expected a v128 shape");
  const std::string_view shape = next().text;
  unsigned bits;
  if (shape == "i8x16") bits = 8;
  else if (shape == "i16x8") bits = 16;
  else if (shape == "i32x4" || shape == "f32x4") bits = 32;
  else if (shape == "i64x2" || shape == "f64x2") bits = 64;
  else return error("unknown v128 shape");
  v.lane_bits = uint8_t(bits);
  for (unsigned i = 0; i < 128 / bits; i++) EMBER_TRY(lane(shape, result, v, i));
  return v;
}

// The result-only reference patterns: any non-null reference of a kind.
struct RefPattern {
  const char* op;
  ValueKind kind;
  HeapKind heap;
};
constexpr RefPattern kRefPatterns[] = {
    {"ref.any", ValueKind::RefAny, HeapKind::Any},
    {"ref.eq", ValueKind::RefEq, HeapKind::Eq},
    {"ref.i31", ValueKind::RefI31, HeapKind::I31},
    {"ref.struct", ValueKind::RefStruct, HeapKind::Struct},
    {"ref.array", ValueKind::RefArray, HeapKind::Array},
};

Expected<Value> ScriptParser::ref_value(std::string_view op, bool result) {
  Value v;
  v.type = ValType::FuncRef;
  auto opt_number = [&](bool* present) -> Status {
    *present = false;
    if (!at(Tok::Number)) return Status::Ok();
    if (text::parse_uint(peek().text, UINT64_MAX, &v.bits) != LitResult::Ok)
      return error("malformed reference");
    next();
    *present = true;
    return Status::Ok();
  };
  bool present;
  if (op == "ref.null") {
    v.kind = ValueKind::RefNull;
    if (at(Tok::Keyword)) {
      HeapKind h;
      if (!text::heap_keyword(peek().text, &h)) return error("unknown heap type");
      next();
      v.type = ValType::ref(h, true);
      if (h != HeapKind::Func && h != HeapKind::Extern && h != HeapKind::Exn) v.ref_null_any = true;
    } else if (result) {
      v.ref_null_any = true;
    } else {
      return error("unexpected token");
    }
  } else if (op == "ref.extern" || op == "ref.host") {
    v.kind = op == "ref.extern" ? ValueKind::RefExtern : ValueKind::RefHost;
    v.type = ValType::ExternRef;
    EMBER_TRY(opt_number(&present));
    if (!present && !result) return error("unexpected token");
    v.ref_extern_any = !present;
  } else if (op == "ref.func") {
    v.kind = ValueKind::RefFunc;
    EMBER_TRY(opt_number(&present));
    v.ref_func_any = !present;
    if (!present && at(Tok::Id)) next();
  } else {
    const RefPattern* p = nullptr;
    for (const RefPattern& r : kRefPatterns)
      if (op == r.op) p = &r;
    if (!p || !result) return error("unknown operator " + std::string(op));
    v.kind = p->kind;
    v.type = ValType::ref(p->heap, false);
  }
  return v;
}

Expected<Command> ScriptParser::command() {
  Command c;
  c.line = peek().line;
  if (!at(Tok::LParen) || peek(1).kind != Tok::Keyword)
    return error("unexpected token, expected a command");
  const std::string_view kw = peek(1).text;
  if (kw == "module") {
    EMBER_TRY(module_command(c));
    return c;
  }
  if (kw == "invoke" || kw == "get") {
    c.kind = CommandKind::Action;
    EMBER_ASSIGN(c.action, action());
    return c;
  }
  pos_ += 2;
  if (kw == "register") {
    c.kind = CommandKind::Register;
    EMBER_ASSIGN(c.register_name, string());
    c.register_module = opt_id();
  } else if (kw == "assert_return") {
    c.kind = CommandKind::AssertReturn;
    EMBER_ASSIGN(c.action, action());
    EMBER_ASSIGN(c.expected, values(true));
  } else if (kw == "assert_trap" || kw == "assert_exhaustion") {
    c.kind = kw == "assert_trap" ? CommandKind::AssertTrap : CommandKind::AssertExhaustion;
    if (at_lparen_kw("module")) {
      c.has_module = true;
      EMBER_ASSIGN(c.module, module_source());
    } else {
      EMBER_ASSIGN(c.action, action());
    }
    EMBER_ASSIGN(c.message, string());
  } else if (kw == "assert_invalid" || kw == "assert_malformed" || kw == "assert_unlinkable" ||
             kw == "assert_uninstantiable" || kw == "assert_invalid_custom" ||
             kw == "assert_malformed_custom") {
    const bool custom = kw.ends_with("_custom");
    c.kind = kw.starts_with("assert_invalid")     ? CommandKind::AssertInvalid
             : kw.starts_with("assert_malformed") ? CommandKind::AssertMalformed
             : kw == "assert_unlinkable"          ? CommandKind::AssertUnlinkable
                                                  : CommandKind::AssertUninstantiable;
    c.has_module = true;
    EMBER_ASSIGN(c.module, module_source());
    // The *_custom forms are about annotations (custom sections): checked strictly.
    c.module.strict_annotations = custom;
    EMBER_ASSIGN(c.message, string());
  } else if (kw == "assert_exception") {
    c.kind = CommandKind::AssertException;
    EMBER_ASSIGN(c.action, action());
  } else {
    pos_ -= 1;
    return error("unknown command " + std::string(kw));
  }
  EMBER_TRY(expect(Tok::RParen));
  return c;
}

}  // namespace

Expected<Script> parse_script(std::string_view text) {
  EMBER_ASSIGN(text::TokenList tl, text::tokenize(text));
  return ScriptParser(text, tl).run();
}

}  // namespace ember::wast
