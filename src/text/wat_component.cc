// The component text format -> the component binary format.
//
// One pass over the tokens: a component can only refer to what it has
// defined already, so each field becomes its own section as it is read
// (the binary format allows any number of sections in any order). Inline
// value types (a `(list u8)` in a parameter) and inline function, instance
// and module types are hoisted into type definitions just before the item
// that uses them, as wasm-tools does; `(core func $i "name")`-style
// references become aliases. Nested core modules go to the core text
// parser (wat_to_wasm) as the source text between their parentheses.
// Syntax and names only: the component validator checks the rest.
#include <array>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "text/wat.hh"
#include "text/wat_parser.hh"

namespace ember {
namespace text {
namespace {

// The index spaces of a component (core ones first).
enum Space : uint8_t {
  CFunc,
  CTable,
  CMemory,
  CGlobal,
  CTag,
  CType,
  CModule,
  CInstance,
  Func,
  Value,
  Type,
  Instance,
  Component,
  kSpaces,
};

// The binary sort of a space.
void put_sort(Buf& b, Space s) {
  static constexpr uint8_t kCore[] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x10, 0x11, 0x12};
  static constexpr uint8_t kComp[] = {0x01, 0x02, 0x03, 0x05, 0x04};
  if (s < Func) {
    b.push_back(0x00);
    b.push_back(kCore[s]);
  } else {
    b.push_back(kComp[s - Func]);
  }
}

// A component body, or the declarations of a component, instance or core
// module type: its names and counts per space, and what it emits.
struct Scope {
  enum Kind : uint8_t { Body, ComponentType, InstanceType, ModuleType };
  Scope* parent = nullptr;
  Kind kind = Body;
  std::optional<std::string_view> id;  // the component's $id (outer aliases)
  std::array<std::unordered_map<std::string_view, uint32_t>, kSpaces> ids;
  std::array<uint32_t, kSpaces> count{};
  Buf out;             // Body: sections; types: declarations
  uint32_t items = 0;  // declarations (types)
  struct InlineExport {
    std::string name;
    Space sort;
    uint32_t index;
  };
  std::vector<InlineExport> inline_exports;  // emitted at the end of the body
};

class ComponentParser : TokenCursor {
 public:
  ComponentParser(std::string_view src, const TokenList& tl, const FeatureSet& features)
      : TokenCursor(tl), src_(src), features_(features) {}

  Expected<Buf> parse() {
    EMBER_TRY(expect(Tok::LParen));
    if (!at_kw("component")) return error("expected `(component`");
    next();
    Scope top;
    if (at(Tok::Id)) top.id = next().text;
    EMBER_ASSIGN(Buf b, body(top));
    if (!at(Tok::Eof)) return error("unexpected token after the component");
    return b;
  }

 private:
  // ---- tokens (the rest: TokenCursor) ----
  Status expect_kw(std::string_view kw) {
    if (!at_kw(kw)) return error("expected `" + std::string(kw) + "`");
    next();
    return Status::Ok();
  }
  Status open(std::string_view kw) {
    if (!at_lparen_kw(kw)) return error("expected `(" + std::string(kw) + "`");
    pos_ += 2;
    return Status::Ok();
  }
  Expected<std::string> string() {
    if (!at(Tok::String)) return error("expected a string");
    std::string s = tl_.string_of(next());
    if (!is_valid_utf8(s)) return error_at(peek(), "malformed UTF-8 encoding");
    return s;
  }
  std::optional<std::string_view> opt_id() {
    if (at(Tok::Id)) return next().text;
    return std::nullopt;
  }

  // ---- names and indices ----
  Status define(Scope& s, Space sp, std::optional<std::string_view> id, uint32_t* index = nullptr) {
    uint32_t i = s.count[sp]++;
    if (id && !s.ids[sp].emplace(*id, i).second)
      return error("duplicate identifier " + std::string(*id));
    if (index) *index = i;
    return Status::Ok();
  }
  Expected<uint32_t> index(Scope& s, Space sp) {
    const Token& t = next();
    if (t.kind == Tok::Number) {
      uint64_t v = 0;
      for (char c : t.text) {
        if (c < '0' || c > '9' || v > 0xffffffffu) return error_at(t, "malformed index");
        v = v * 10 + uint64_t(c - '0');
      }
      if (v > 0xffffffffu) return error_at(t, "malformed index");
      return uint32_t(v);
    }
    if (t.kind != Tok::Id) return error_at(t, "expected an index");
    auto it = s.ids[sp].find(t.text);
    if (it != s.ids[sp].end()) return it->second;
    // A type, module or component of an enclosing scope, named from inside
    // a type: an outer alias is made for it (as wasm-tools does).
    if (s.kind != Scope::Body && (sp == Type || sp == CType || sp == CModule || sp == Component)) {
      uint32_t depth = 1;
      for (Scope* p = s.parent; p; p = p->parent, depth++) {
        auto o = p->ids[sp].find(t.text);
        if (o == p->ids[sp].end()) continue;
        Buf a;
        put_sort(a, sp);
        a.push_back(0x02);
        put_uleb(a, depth);
        put_uleb(a, o->second);
        decl(s, 0x02, a);
        uint32_t i = 0;
        EMBER_TRY(define(s, sp, t.text, &i));
        return i;
      }
    }
    return error_at(t, "unknown identifier " + std::string(t.text));
  }

  // ---- emitting ----
  // Appends one item of section `id` (Body scopes).
  static void section(Scope& s, uint8_t id, const Buf& item, bool vec = true) {
    Buf content;
    if (vec) put_uleb(content, 1);
    put_bytes(content, item);
    s.out.push_back(id);
    put_uleb(s.out, content.size());
    put_bytes(s.out, content);
  }
  // A declaration of a type scope.
  static void decl(Scope& s, uint8_t kind, const Buf& item) {
    s.out.push_back(kind);
    put_bytes(s.out, item);
    s.items++;
  }
  // Defines the type `def` in `s` (a hoisted or explicit type definition).
  Expected<uint32_t> emit_type(Scope& s, const Buf& def, std::optional<std::string_view> id) {
    if (s.kind == Scope::ModuleType) return error("a component type inside a core module type");
    if (s.kind == Scope::Body) section(s, 7, def);
    else decl(s, 0x01, def);
    uint32_t i = 0;
    EMBER_TRY(define(s, Type, id, &i));
    return i;
  }
  Expected<uint32_t> emit_core_type(Scope& s, const Buf& def, std::optional<std::string_view> id) {
    if (s.kind == Scope::Body) section(s, 3, def);
    else decl(s, s.kind == Scope::ModuleType ? 0x01 : 0x00, def);
    uint32_t i = 0;
    EMBER_TRY(define(s, CType, id, &i));
    return i;
  }
  // An alias of export `name` of (core) instance `inst`, as a new `sp`.
  Expected<uint32_t> emit_alias(Scope& s, Space sp, uint32_t inst, const std::string& name,
                                std::optional<std::string_view> id) {
    Buf a;
    put_sort(a, sp);
    a.push_back(sp < Func ? 0x01 : 0x00);
    put_uleb(a, inst);
    put_name(a, name);
    if (s.kind == Scope::Body) section(s, 6, a);
    else decl(s, 0x02, a);
    uint32_t i = 0;
    EMBER_TRY(define(s, sp, id, &i));
    return i;
  }

  // A reference to an item of `sp`: an index, or `$inst "name"...` (an
  // export of an instance, aliased here).
  Expected<uint32_t> item_index(Scope& s, Space sp) {
    if (!at(Tok::Id) && !at(Tok::Number)) return error("expected an index");
    if (peek(1).kind != Tok::String) return index(s, sp);
    EMBER_ASSIGN(uint32_t inst, index(s, sp < Func ? CInstance : Instance));
    uint32_t cur = inst;
    while (at(Tok::String)) {
      EMBER_ASSIGN(std::string name, string());
      bool last = !at(Tok::String);
      EMBER_ASSIGN(cur, emit_alias(s, last ? sp : (sp < Func ? CInstance : Instance), cur, name,
                                   std::nullopt));
    }
    return cur;
  }
  // `(kw ref)`: an item reference with its sort keyword.
  Expected<uint32_t> item_ref(Scope& s, std::string_view kw, Space sp) {
    EMBER_TRY(open(kw));
    EMBER_ASSIGN(uint32_t i, item_index(s, sp));
    EMBER_TRY(expect(Tok::RParen));
    return i;
  }

  // A core item where the sort is known: a bare reference, `(kw ref)` or
  // `(core kw ref)`.
  Expected<uint32_t> core_ref(Scope& s, std::string_view kw, Space sp) {
    if (!at(Tok::LParen)) return item_index(s, sp);
    bool core = at_kw("core", 1);
    pos_ += core ? 2 : 1;
    EMBER_TRY(expect_kw(kw));
    EMBER_ASSIGN(uint32_t i, item_index(s, sp));
    EMBER_TRY(expect(Tok::RParen));
    return i;
  }

  // A sort keyword (after `(`): `func`, `core func`, ... `core` is eaten.
  // In a core context (a core instance's exports) the plain keywords name
  // the core spaces.
  std::optional<Space> sort_kw(bool core_context) {
    bool core = core_context;
    size_t k = 0;
    if (at_kw("core")) core = true, k = 1;
    std::string_view w = peek(k).kind == Tok::Keyword ? peek(k).text : "";
    std::optional<Space> sp;
    if (core) {
      if (w == "func") sp = CFunc;
      else if (w == "table") sp = CTable;
      else if (w == "memory") sp = CMemory;
      else if (w == "global") sp = CGlobal;
      else if (w == "tag") sp = CTag;
      else if (w == "type") sp = CType;
      else if (w == "module") sp = CModule;
      else if (w == "instance") sp = CInstance;
    } else {
      if (w == "func") sp = Func;
      else if (w == "value") sp = Value;
      else if (w == "type") sp = Type;
      else if (w == "instance") sp = Instance;
      else if (w == "component") sp = Component;
    }
    if (sp) pos_ += k + 1;
    return sp;
  }

  // ---- a component body ----
  Expected<Buf> body(Scope& s) {
    Nest nest(depth_);
    EMBER_TRY(check_depth());
    while (!at(Tok::RParen)) {
      if (at(Tok::Eof)) return error("unexpected end of input");
      EMBER_TRY(field(s));
    }
    next();
    for (const Scope::InlineExport& x : s.inline_exports) {
      Buf e;
      e.push_back(0x00);
      put_name(e, x.name);
      put_sort(e, x.sort);
      put_uleb(e, x.index);
      e.push_back(0x00);
      section(s, 11, e);
      EMBER_TRY(define(s, x.sort, std::nullopt));
    }
    Buf b = {0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00};
    put_bytes(b, s.out);
    return b;
  }

  Status field(Scope& s) {
    EMBER_TRY(expect(Tok::LParen));
    const Token& kw = peek();
    if (kw.kind != Tok::Keyword) return error("expected a component field");
    if (at_kw("core")) {
      next();
      if (at_kw("module")) return core_module(s);
      if (at_kw("instance")) return core_instance(s);
      if (at_kw("type")) {
        next();
        std::optional<std::string_view> id = opt_id();
        EMBER_ASSIGN(Buf def, core_deftype(s));
        EMBER_TRY(emit_core_type(s, def, id));
        return expect(Tok::RParen);
      }
      --pos_;
      return core_item(s);
    }
    std::string_view w = kw.text;
    if (w == "component") return nested_component(s);
    if (w == "instance") return instance(s);
    if (w == "alias") return alias(s);
    if (w == "type") return type_field(s);
    if (w == "canon") return canon(s);
    if (w == "func") return func(s);
    if (w == "import") return import(s);
    if (w == "export") return export_field(s);
    if (w == "start" || w == "value")
      return error_at(kw, "`" + std::string(w) + "` is not supported by Ember (the value sort)");
    return error_at(kw, "unknown component field `" + std::string(w) + "`");
  }

  // `(core module $id? fields...)`: the fields go to the core parser.
  Status core_module(Scope& s) {
    next();  // module
    std::optional<std::string_view> id = opt_id();
    EMBER_ASSIGN(std::vector<std::string> exports, export_names());
    const Token& first = peek();
    size_t depth = 1;
    while (depth > 0) {
      if (at(Tok::Eof)) return error("unexpected end of input");
      const Token& t = next();
      if (t.kind == Tok::LParen) depth++;
      if (t.kind == Tok::RParen) depth--;
    }
    const Token& close = tl_.toks[pos_ - 1];
    Buf module;
    if (&first == &close) {
      module = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};
    } else {
      std::string_view text = src_.substr(first.offset, close.offset - first.offset);
      EMBER_ASSIGN(module, wat_to_wasm_at(text, first.line, features_));
    }
    section(s, 1, module, false);
    uint32_t i = 0;
    EMBER_TRY(define(s, CModule, id, &i));
    return inline_exports(s, CModule, i, exports);
  }

  // Exports given inline on a definition: `(func (export "x") ...)`. As
  // in wasm-tools, they follow the component's other fields.
  Status inline_exports(Scope& s, Space sp, uint32_t index, const std::vector<std::string>& names) {
    for (const std::string& n : names) s.inline_exports.push_back({n, sp, index});
    return Status::Ok();
  }
  Expected<std::vector<std::string>> export_names() {
    std::vector<std::string> names;
    while (at_lparen_kw("export") && peek(2).kind == Tok::String && peek(3).kind == Tok::RParen) {
      pos_ += 2;
      EMBER_ASSIGN(std::string n, string());
      names.push_back(std::move(n));
      EMBER_TRY(expect(Tok::RParen));
    }
    return names;
  }

  // `(core instance $id? (instantiate $m (with "n" (instance ..))*))` or
  // `(core instance $id? (export "n" (func $f))*)`.
  Status core_instance(Scope& s) {
    next();  // instance
    std::optional<std::string_view> id = opt_id();
    Buf def;
    if (at_lparen_kw("instantiate")) {
      pos_ += 2;
      EMBER_ASSIGN(def, instantiate(s, true));
    } else {
      EMBER_ASSIGN(def, exports_until_close(s, true));
    }
    section(s, 2, def);
    EMBER_TRY(define(s, CInstance, id));
    return expect(Tok::RParen);
  }

  // After `(instantiate`, through its `)`: the module or component and its
  // arguments `(with "n" (sort ref))` (`core`: core instances only). An
  // argument may be an inline instance of exports, defined just before.
  Expected<Buf> instantiate(Scope& s, bool core) {
    Buf def = {0x00};
    EMBER_ASSIGN(uint32_t of, index(s, core ? CModule : Component));
    put_uleb(def, of);
    Buf args;
    uint32_t n = 0;
    while (at_lparen_kw("with")) {
      pos_ += 2;
      EMBER_ASSIGN(std::string name, string());
      EMBER_TRY(expect(Tok::LParen));
      std::optional<Space> sp = sort_kw(core);
      if (!sp || (core && *sp != CInstance))
        return error(core ? "expected `(instance`" : "expected a sort");
      uint32_t i = 0;
      if ((*sp == Instance || *sp == CInstance) && !at(Tok::Id) && !at(Tok::Number)) {
        EMBER_ASSIGN(Buf inner, exports_until_close(s, core));
        section(s, core ? 2 : 5, inner);
        EMBER_TRY(define(s, *sp, std::nullopt, &i));
      } else {
        EMBER_ASSIGN(i, item_index(s, *sp));
      }
      EMBER_TRY(expect(Tok::RParen));  // the argument's sort
      put_name(args, name);
      if (core) args.push_back(0x12);  // a core instance
      else put_sort(args, *sp);
      put_uleb(args, i);
      n++;
      EMBER_TRY(expect(Tok::RParen));  // `with`
    }
    put_uleb(def, n);
    put_bytes(def, args);
    EMBER_TRY(expect(Tok::RParen));  // `instantiate`
    return def;
  }

  // `(core func $id? (canon ...))`, `(core func $id? (alias core export
  // $i "n"))`, and the same for memory, table, global.
  Status core_item(Scope& s) {
    std::optional<Space> sp = sort_kw(false);
    if (!sp || *sp >= Func) return error("unknown core field");
    std::optional<std::string_view> id = opt_id();
    if (at_lparen_kw("canon") && *sp == CFunc) {
      pos_ += 2;
      EMBER_TRY(canon_body(s, id, /*nested=*/true));
      EMBER_TRY(expect(Tok::RParen));
      return expect(Tok::RParen);
    }
    if (at_lparen_kw("alias")) {
      pos_ += 2;
      EMBER_TRY(expect_kw("core"));
      EMBER_TRY(expect_kw("export"));
      EMBER_ASSIGN(uint32_t inst, index(s, CInstance));
      EMBER_ASSIGN(std::string name, string());
      EMBER_TRY(expect(Tok::RParen));
      EMBER_TRY(emit_alias(s, *sp, inst, name, id));
      return expect(Tok::RParen);
    }
    return error("expected `(canon` or `(alias`");
  }

  Status nested_component(Scope& s) {
    next();  // component
    Scope inner;
    inner.parent = &s;
    inner.id = opt_id();
    std::optional<std::string_view> id = inner.id;
    EMBER_ASSIGN(std::vector<std::string> exports, export_names());
    EMBER_ASSIGN(Buf b, body(inner));
    section(s, 4, b, false);
    uint32_t i = 0;
    EMBER_TRY(define(s, Component, id, &i));
    return inline_exports(s, Component, i, exports);
  }

  // `(instance $id? (export "x")* (instantiate $c (with "n" (sort ref))*))`
  // or `(instance $id? (export "n" (sort ref))*)`.
  Status instance(Scope& s) {
    next();
    std::optional<std::string_view> id = opt_id();
    EMBER_ASSIGN(std::vector<std::string> names, export_names());
    Buf def;
    if (at_lparen_kw("instantiate")) {
      pos_ += 2;
      EMBER_ASSIGN(def, instantiate(s, false));
    } else {
      EMBER_ASSIGN(def, exports_until_close(s));
    }
    section(s, 5, def);
    uint32_t i = 0;
    EMBER_TRY(define(s, Instance, id, &i));
    EMBER_TRY(inline_exports(s, Instance, i, names));
    return expect(Tok::RParen);
  }
  // `(export "n" (sort ref))*` up to the closing parenthesis: an instance
  // of exports (`core`: a core instance, whose names and sorts are core).
  Expected<Buf> exports_until_close(Scope& s, bool core = false) {
    Buf list;
    uint32_t n = 0;
    while (at_lparen_kw("export")) {
      pos_ += 2;
      EMBER_ASSIGN(std::string name, string());
      EMBER_TRY(expect(Tok::LParen));
      std::optional<Space> sp = sort_kw(core);
      if (!sp) return error(core ? "expected a core sort" : "expected a sort");
      EMBER_ASSIGN(uint32_t i, item_index(s, *sp));
      EMBER_TRY(expect(Tok::RParen));
      if (!core) list.push_back(0x00);  // a plain name
      put_name(list, name);
      Buf sort;
      put_sort(sort, *sp);
      if (core) list.push_back(sort.back());  // core sorts have no 0x00 prefix here
      else put_bytes(list, sort);
      put_uleb(list, i);
      n++;
      EMBER_TRY(expect(Tok::RParen));
    }
    Buf def = {0x01};
    put_uleb(def, n);
    put_bytes(def, list);
    return def;
  }

  // `(alias export $i "n" (sort $id?))`, `(alias core export $i "n" (core
  // sort $id?))`, `(alias outer $c $i (sort $id?))`.
  Status alias(Scope& s) {
    next();
    if (at_kw("outer")) {
      next();
      EMBER_ASSIGN(uint32_t count, outer_count(s));
      Scope* target = &s;
      for (uint32_t k = 0; k < count; k++) target = target->parent;
      // The item's sort comes after its index; read the index once the
      // sort is known.
      size_t save = pos_;
      if (!at(Tok::Id) && !at(Tok::Number)) return error("expected an index");
      pos_++;
      EMBER_TRY(expect(Tok::LParen));
      std::optional<Space> sp = sort_kw(false);
      if (!sp) return error("expected a sort");
      std::optional<std::string_view> id = opt_id();
      EMBER_TRY(expect(Tok::RParen));
      size_t after = pos_;
      pos_ = save;
      EMBER_ASSIGN(uint32_t i, index(*target, *sp));
      pos_ = after;
      Buf a;
      put_sort(a, *sp);
      a.push_back(0x02);
      put_uleb(a, count);
      put_uleb(a, i);
      if (s.kind == Scope::Body) section(s, 6, a);
      else decl(s, 0x02, a);
      EMBER_TRY(define(s, *sp, id));
      return expect(Tok::RParen);
    }
    bool core = at_kw("core");
    if (core) next();
    EMBER_TRY(expect_kw("export"));
    EMBER_ASSIGN(uint32_t inst, index(s, core ? CInstance : Instance));
    EMBER_ASSIGN(std::string name, string());
    EMBER_TRY(expect(Tok::LParen));
    std::optional<Space> sp = sort_kw(false);
    if (!sp || (*sp < Func) != core) return error("expected the aliased item's sort");
    std::optional<std::string_view> id = opt_id();
    EMBER_TRY(expect(Tok::RParen));
    EMBER_TRY(emit_alias(s, *sp, inst, name, id));
    return expect(Tok::RParen);
  }
  // An outer alias's count: a number, or the $id of an enclosing component.
  Expected<uint32_t> outer_count(Scope& s) {
    if (at(Tok::Number)) {
      EMBER_ASSIGN(uint32_t n, index(s, Type));
      uint32_t depth = 0;
      for (Scope* p = &s; p->parent; p = p->parent) depth++;
      if (n > depth) return error("outer count beyond the enclosing components");
      return n;
    }
    const Token& t = next();
    uint32_t n = 0;
    for (Scope* p = &s; p; p = p->parent, n++)
      if (p->id && *p->id == t.text) return n;
    return error_at(t, "unknown component " + std::string(t.text));
  }

  // `(type $id? (export "x")* deftype)`.
  Status type_field(Scope& s) {
    next();
    std::optional<std::string_view> id = opt_id();
    EMBER_ASSIGN(std::vector<std::string> names, export_names());
    EMBER_ASSIGN(Buf def, deftype(s));
    EMBER_ASSIGN(uint32_t i, emit_type(s, def, id));
    if (s.kind == Scope::Body) EMBER_TRY(inline_exports(s, Type, i, names));
    return expect(Tok::RParen);
  }

  // ---- types ----
  Expected<Buf> deftype(Scope& s) {
    Nest nest(depth_);
    EMBER_TRY(check_depth());
    if (at(Tok::Keyword) && prim_code(peek().text)) return Buf{*prim_code(next().text)};
    EMBER_TRY(expect(Tok::LParen));
    const Token& kw = next();
    std::string_view w = kw.text;
    Buf b;
    if (w == "func") {
      EMBER_ASSIGN(b, functype_rest(s));
    } else if (w == "component" || w == "instance") {
      EMBER_ASSIGN(b, type_decls(s, w == "component" ? Scope::ComponentType : Scope::InstanceType));
      return b;
    } else if (w == "resource") {
      b = {0x3f};
      EMBER_TRY(open("rep"));
      EMBER_TRY(expect_kw("i32"));
      EMBER_TRY(expect(Tok::RParen));
      b.push_back(0x7f);
      if (at_lparen_kw("dtor")) {
        pos_ += 2;
        EMBER_ASSIGN(uint32_t f, core_ref(s, "func", CFunc));
        EMBER_TRY(expect(Tok::RParen));
        b.push_back(0x01);
        put_uleb(b, f);
      } else {
        b.push_back(0x00);
      }
    } else {
      EMBER_ASSIGN(b, defvaltype_rest(s, kw));
    }
    EMBER_TRY(expect(Tok::RParen));
    return b;
  }

  static std::optional<uint8_t> prim_code(std::string_view w) {
    static const std::pair<const char*, uint8_t> kPrims[] = {
        {"bool", 0x7f},    {"s8", 0x7e},   {"u8", 0x7d},      {"s16", 0x7c},
        {"u16", 0x7b},     {"s32", 0x7a},  {"u32", 0x79},     {"s64", 0x78},
        {"u64", 0x77},     {"f32", 0x76},  {"float32", 0x76}, {"f64", 0x75},
        {"float64", 0x75}, {"char", 0x74}, {"string", 0x73},  {"error-context", 0x64}};
    for (const auto& [n, c] : kPrims)
      if (w == n) return c;
    return std::nullopt;
  }

  // A value type: a primitive, a type index, or an inline definition
  // (hoisted into a type of its own).
  Expected<Buf> valtype(Scope& s) {
    Nest nest(depth_);
    EMBER_TRY(check_depth());
    Buf b;
    if (at(Tok::Keyword)) {
      std::optional<uint8_t> c = prim_code(peek().text);
      if (!c) return error("unknown value type `" + std::string(peek().text) + "`");
      next();
      return Buf{*c};
    }
    if (at(Tok::Id) || at(Tok::Number)) {
      EMBER_ASSIGN(uint32_t i, index(s, Type));
      put_sleb(b, int64_t(i));
      return b;
    }
    EMBER_TRY(expect(Tok::LParen));
    const Token& kw = next();
    EMBER_ASSIGN(Buf def, defvaltype_rest(s, kw));
    EMBER_TRY(expect(Tok::RParen));
    EMBER_ASSIGN(uint32_t i, emit_type(s, def, std::nullopt));
    put_sleb(b, int64_t(i));
    return b;
  }

  // The rest of `(record ...)`, `(list t)`, ... after the keyword `kw`
  // (the closing parenthesis is the caller's).
  Expected<Buf> defvaltype_rest(Scope& s, const Token& kw) {
    std::string_view w = kw.text;
    Buf b;
    auto labels = [&](uint8_t code) -> Status {
      b.push_back(code);
      std::vector<std::string> names;
      while (at(Tok::String)) {
        EMBER_ASSIGN(std::string n, string());
        names.push_back(std::move(n));
      }
      put_uleb(b, names.size());
      for (const std::string& n : names) put_name(b, n);
      return Status::Ok();
    };
    if (w == "record") {
      b.push_back(0x72);
      Buf fields;
      uint32_t n = 0;
      while (at_lparen_kw("field")) {
        pos_ += 2;
        EMBER_ASSIGN(std::string name, string());
        EMBER_ASSIGN(Buf t, valtype(s));
        put_name(fields, name);
        put_bytes(fields, t);
        n++;
        EMBER_TRY(expect(Tok::RParen));
      }
      put_uleb(b, n);
      put_bytes(b, fields);
    } else if (w == "variant") {
      b.push_back(0x71);
      Buf cases;
      uint32_t n = 0;
      while (at_lparen_kw("case")) {
        pos_ += 2;
        opt_id();
        EMBER_ASSIGN(std::string name, string());
        put_name(cases, name);
        if (at(Tok::RParen) || at_lparen_kw("refines")) {
          cases.push_back(0x00);
        } else {
          cases.push_back(0x01);
          EMBER_ASSIGN(Buf t, valtype(s));
          put_bytes(cases, t);
        }
        if (at_lparen_kw("refines")) return error("`refines` is not supported");
        cases.push_back(0x00);  // no refinement
        n++;
        EMBER_TRY(expect(Tok::RParen));
      }
      put_uleb(b, n);
      put_bytes(b, cases);
    } else if (w == "list" || w == "option") {
      b.push_back(w == "list" ? 0x70 : 0x6b);
      EMBER_ASSIGN(Buf t, valtype(s));
      put_bytes(b, t);
      if (w == "list" && at(Tok::Number)) return error("fixed-size lists are not supported");
    } else if (w == "tuple") {
      b.push_back(0x6f);
      Buf elems;
      uint32_t n = 0;
      while (!at(Tok::RParen)) {
        EMBER_ASSIGN(Buf t, valtype(s));
        put_bytes(elems, t);
        n++;
      }
      put_uleb(b, n);
      put_bytes(b, elems);
    } else if (w == "flags") {
      EMBER_TRY(labels(0x6e));
    } else if (w == "enum") {
      EMBER_TRY(labels(0x6d));
    } else if (w == "result") {
      b.push_back(0x6a);
      if (at(Tok::RParen) || at_lparen_kw("error")) {
        b.push_back(0x00);
      } else {
        b.push_back(0x01);
        EMBER_ASSIGN(Buf t, valtype(s));
        put_bytes(b, t);
      }
      if (at_lparen_kw("error")) {
        pos_ += 2;
        b.push_back(0x01);
        EMBER_ASSIGN(Buf t, valtype(s));
        put_bytes(b, t);
        EMBER_TRY(expect(Tok::RParen));
      } else {
        b.push_back(0x00);
      }
    } else if (w == "own" || w == "borrow") {
      b.push_back(w == "own" ? 0x69 : 0x68);
      EMBER_ASSIGN(uint32_t i, index(s, Type));
      put_uleb(b, i);
    } else {
      return error_at(kw, "unknown type `" + std::string(w) + "`");
    }
    return b;
  }

  // `(param "n" t)* (result t)?` then the caller's `)`: a function type.
  Expected<Buf> functype_rest(Scope& s) {
    Buf params;
    uint32_t n = 0;
    while (at_lparen_kw("param")) {
      pos_ += 2;
      EMBER_ASSIGN(std::string name, string());
      EMBER_ASSIGN(Buf t, valtype(s));
      put_name(params, name);
      put_bytes(params, t);
      n++;
      EMBER_TRY(expect(Tok::RParen));
    }
    Buf b = {0x40};
    put_uleb(b, n);
    put_bytes(b, params);
    if (at_lparen_kw("result")) {
      pos_ += 2;
      if (at(Tok::String)) return error("named results are not supported");
      b.push_back(0x00);
      EMBER_ASSIGN(Buf t, valtype(s));
      put_bytes(b, t);
      EMBER_TRY(expect(Tok::RParen));
    } else {
      b.push_back(0x01);
      b.push_back(0x00);
    }
    return b;
  }

  // A function's type: `(type $t)` or its inline params and result
  // (hoisted); the index of the type.
  Expected<uint32_t> func_typeuse(Scope& s) {
    if (at_lparen_kw("type")) {
      pos_ += 2;
      EMBER_ASSIGN(uint32_t t, index(s, Type));
      EMBER_TRY(expect(Tok::RParen));
      return t;
    }
    EMBER_ASSIGN(Buf def, functype_rest(s));
    return emit_type(s, def, std::nullopt);
  }

  // `(component decls)` / `(instance decls)` after the keyword, through `)`.
  Expected<Buf> type_decls(Scope& s, Scope::Kind kind) {
    Nest nest(depth_);
    EMBER_TRY(check_depth());
    Scope inner;
    inner.parent = &s;
    inner.kind = kind;
    while (!at(Tok::RParen)) {
      EMBER_TRY(expect(Tok::LParen));
      if (at_kw("core") && at_kw("type", 1)) {
        pos_ += 2;
        std::optional<std::string_view> id = opt_id();
        EMBER_ASSIGN(Buf def, core_deftype(inner));
        EMBER_TRY(emit_core_type(inner, def, id));
      } else if (at_kw("type")) {
        next();
        std::optional<std::string_view> id = opt_id();
        EMBER_ASSIGN(Buf def, deftype(inner));
        EMBER_TRY(emit_type(inner, def, id));
      } else if (at_kw("alias")) {
        EMBER_TRY(alias(inner));
        continue;  // alias() ate the `)`
      } else if (at_kw("export") || (at_kw("import") && kind == Scope::ComponentType)) {
        bool is_import = at_kw("import");
        next();
        EMBER_ASSIGN(std::string name, string());
        Space sp;
        std::optional<std::string_view> id;
        EMBER_ASSIGN(Buf desc, externdesc(inner, &sp, &id));
        Buf d = {0x00};
        put_name(d, name);
        put_bytes(d, desc);
        decl(inner, is_import ? 0x03 : 0x04, d);
        EMBER_TRY(define(inner, sp, id));
      } else {
        return error("expected a type declaration");
      }
      EMBER_TRY(expect(Tok::RParen));
    }
    next();
    Buf b = {uint8_t(kind == Scope::ComponentType ? 0x41 : 0x42)};
    put_uleb(b, inner.items);
    put_bytes(b, inner.out);
    return b;
  }

  // An import's or export's description: `(func $id? typeuse)`,
  // `(instance $id? decls | (type $t))`, `(component ...)`, `(type $id?
  // (eq $t) | (sub resource))`, `(core module $id? decls | (type $t))`.
  Expected<Buf> externdesc(Scope& s, Space* sp, std::optional<std::string_view>* id) {
    EMBER_TRY(expect(Tok::LParen));
    std::optional<Space> k = sort_kw(false);
    if (!k) return error("expected an item description");
    *sp = *k;
    *id = opt_id();
    Buf b;
    auto type_or = [&](Scope::Kind kind) -> Expected<uint32_t> {
      if (at_lparen_kw("type")) {
        pos_ += 2;
        EMBER_ASSIGN(uint32_t t, index(s, Type));
        EMBER_TRY(expect(Tok::RParen));
        EMBER_TRY(expect(Tok::RParen));
        return t;
      }
      EMBER_ASSIGN(Buf def, type_decls(s, kind));
      return emit_type(s, def, std::nullopt);
    };
    switch (*k) {
      case Func: {
        EMBER_ASSIGN(uint32_t t, func_typeuse(s));
        b.push_back(0x01);
        put_uleb(b, t);
        EMBER_TRY(expect(Tok::RParen));
        return b;
      }
      case Instance:
      case Component: {
        EMBER_ASSIGN(uint32_t t,
                     type_or(*k == Instance ? Scope::InstanceType : Scope::ComponentType));
        b.push_back(*k == Instance ? 0x05 : 0x04);
        put_uleb(b, t);
        return b;
      }
      case Type: {
        b.push_back(0x03);
        EMBER_TRY(expect(Tok::LParen));
        if (at_kw("eq")) {
          next();
          EMBER_ASSIGN(uint32_t t, index(s, Type));
          b.push_back(0x00);
          put_uleb(b, t);
        } else if (at_kw("sub")) {
          next();
          EMBER_TRY(expect_kw("resource"));
          b.push_back(0x01);
        } else {
          return error("expected `(eq` or `(sub resource)`");
        }
        EMBER_TRY(expect(Tok::RParen));
        EMBER_TRY(expect(Tok::RParen));
        return b;
      }
      case CModule: {
        uint32_t t;
        if (at_lparen_kw("type")) {
          pos_ += 2;
          EMBER_ASSIGN(t, index(s, CType));
          EMBER_TRY(expect(Tok::RParen));
        } else {
          EMBER_ASSIGN(Buf def, module_type_rest(s));
          EMBER_ASSIGN(t, emit_core_type(s, def, std::nullopt));
          --pos_;  // module_type_rest ate the `)`; the common close below
        }
        EMBER_TRY(expect(Tok::RParen));
        b = {0x00, 0x11};
        put_uleb(b, t);
        return b;
      }
      default: return error("this sort cannot be imported or exported here");
    }
  }

  // ---- core types ----
  // `(func params results)` or `(module decls)` (after `(core type $id?`).
  Expected<Buf> core_deftype(Scope& s) {
    EMBER_TRY(expect(Tok::LParen));
    if (at_kw("func")) {
      next();
      EMBER_ASSIGN(Buf b, core_functype_rest());
      EMBER_TRY(expect(Tok::RParen));
      return b;
    }
    if (at_kw("module")) {
      next();
      return module_type_rest(s);
    }
    return error("expected `(func` or `(module`");
  }
  Expected<uint8_t> core_valtype() {
    static const std::pair<const char*, uint8_t> kTypes[] = {
        {"i32", 0x7f},  {"i64", 0x7e},     {"f32", 0x7d},      {"f64", 0x7c},
        {"v128", 0x7b}, {"funcref", 0x70}, {"externref", 0x6f}};
    const Token& t = next();
    for (const auto& [n, c] : kTypes)
      if (t.text == n) return c;
    return error_at(t, "unknown core value type `" + std::string(t.text) + "`");
  }
  // `(param ..)* (result ..)*` up to the caller's `)`: a core func type.
  Expected<Buf> core_functype_rest() {
    Buf params, results;
    uint32_t np = 0, nr = 0;
    for (bool result : {false, true}) {
      while (at_lparen_kw(result ? "result" : "param")) {
        pos_ += 2;
        if (!result && at(Tok::Id)) next();
        while (!at(Tok::RParen)) {
          EMBER_ASSIGN(uint8_t t, core_valtype());
          (result ? results : params).push_back(t);
          (result ? nr : np)++;
        }
        next();
      }
    }
    Buf b = {0x60};
    put_uleb(b, np);
    put_bytes(b, params);
    put_uleb(b, nr);
    put_bytes(b, results);
    return b;
  }
  // A core extern description: `(func typeuse)`, `(memory min max?)`,
  // `(table min max? reftype)`, `(global t | (mut t))`, through its `)`.
  Expected<Buf> core_externdesc(Scope& m) {
    EMBER_TRY(expect(Tok::LParen));
    const Token& kw = next();
    opt_id();
    Buf b;
    auto limits = [&](Buf& out) -> Status {
      std::vector<uint32_t> v;
      while (at(Tok::Number)) {
        EMBER_ASSIGN(uint32_t n, index(m, CType));
        v.push_back(n);
      }
      if (v.empty() || v.size() > 2) return error("expected limits");
      out.push_back(v.size() == 2 ? 0x01 : 0x00);
      for (uint32_t x : v) put_uleb(out, x);
      return Status::Ok();
    };
    if (kw.text == "func") {
      uint32_t t;
      if (at_lparen_kw("type")) {
        pos_ += 2;
        EMBER_ASSIGN(t, index(m, CType));
        EMBER_TRY(expect(Tok::RParen));
      } else {
        EMBER_ASSIGN(Buf def, core_functype_rest());
        EMBER_ASSIGN(t, emit_core_type(m, def, std::nullopt));
      }
      b.push_back(0x00);
      put_uleb(b, t);
    } else if (kw.text == "memory") {
      b.push_back(0x02);
      EMBER_TRY(limits(b));
    } else if (kw.text == "table") {
      b.push_back(0x01);
      Buf lim;
      EMBER_TRY(limits(lim));
      EMBER_ASSIGN(uint8_t rt, core_valtype());
      b.push_back(rt);
      put_bytes(b, lim);
    } else if (kw.text == "global") {
      b.push_back(0x03);
      bool mut = at_lparen_kw("mut");
      if (mut) pos_ += 2;
      EMBER_ASSIGN(uint8_t t, core_valtype());
      b.push_back(t);
      b.push_back(mut ? 0x01 : 0x00);
      if (mut) EMBER_TRY(expect(Tok::RParen));
    } else {
      return error_at(kw, "unknown core item `" + std::string(kw.text) + "`");
    }
    EMBER_TRY(expect(Tok::RParen));
    return b;
  }
  // The declarations of a core module type, through its `)`.
  Expected<Buf> module_type_rest(Scope& s) {
    Nest nest(depth_);
    EMBER_TRY(check_depth());
    Scope m;
    m.parent = &s;
    m.kind = Scope::ModuleType;
    while (!at(Tok::RParen)) {
      EMBER_TRY(expect(Tok::LParen));
      if (at_kw("import")) {
        next();
        EMBER_ASSIGN(std::string mod, string());
        EMBER_ASSIGN(std::string name, string());
        EMBER_ASSIGN(Buf desc, core_externdesc(m));
        Buf d;
        put_name(d, mod);
        put_name(d, name);
        put_bytes(d, desc);
        decl(m, 0x00, d);
      } else if (at_kw("export")) {
        next();
        EMBER_ASSIGN(std::string name, string());
        EMBER_ASSIGN(Buf desc, core_externdesc(m));
        Buf d;
        put_name(d, name);
        put_bytes(d, desc);
        decl(m, 0x03, d);
      } else if (at_kw("type")) {
        next();
        std::optional<std::string_view> id = opt_id();
        EMBER_TRY(open("func"));
        EMBER_ASSIGN(Buf def, core_functype_rest());
        EMBER_TRY(expect(Tok::RParen));
        EMBER_TRY(emit_core_type(m, def, id));
      } else {
        return error("expected a module type declaration");
      }
      EMBER_TRY(expect(Tok::RParen));
    }
    next();
    Buf b = {0x50};
    put_uleb(b, m.items);
    put_bytes(b, m.out);
    return b;
  }

  // ---- canon, func, import, export ----
  // The canonical options up to the next non-option.
  Expected<Buf> canon_opts(Scope& s, uint32_t* n) {
    Buf b;
    *n = 0;
    for (;;) {
      if (at(Tok::Keyword) && peek().text.starts_with("string-encoding=")) {
        std::string_view e = next().text.substr(16);
        if (e == "utf8") b.push_back(0x00);
        else if (e == "utf16") b.push_back(0x01);
        else if (e == "latin1+utf16") b.push_back(0x02);
        else return error("unknown string encoding");
      } else if (at_lparen_kw("memory")) {
        pos_ += 2;
        EMBER_ASSIGN(uint32_t m, core_ref(s, "memory", CMemory));
        EMBER_TRY(expect(Tok::RParen));
        b.push_back(0x03);
        put_uleb(b, m);
      } else if (at_lparen_kw("realloc") || at_lparen_kw("post-return")) {
        uint8_t code = at_kw("realloc", 1) ? 0x04 : 0x05;
        pos_ += 2;
        EMBER_ASSIGN(uint32_t f, core_ref(s, "func", CFunc));
        EMBER_TRY(expect(Tok::RParen));
        b.push_back(code);
        put_uleb(b, f);
      } else {
        return b;
      }
      (*n)++;
    }
  }

  // `(canon ...)` at the top level: the defined item is named last.
  Status canon(Scope& s) {
    next();
    EMBER_TRY(canon_body(s, std::nullopt, false));
    return expect(Tok::RParen);
  }
  // After `canon`: `lift`, `lower`, `resource.new/drop/rep`. `nested`: the
  // item being defined was named before (`(core func $id (canon ...))`).
  Status canon_body(Scope& s, std::optional<std::string_view> id, bool nested) {
    const Token& op = next();
    Buf b;
    if (op.text == "lift") {
      EMBER_TRY(open("core"));
      EMBER_TRY(expect_kw("func"));
      EMBER_ASSIGN(uint32_t f, item_index(s, CFunc));
      EMBER_TRY(expect(Tok::RParen));
      uint32_t n;
      EMBER_ASSIGN(Buf opts, canon_opts(s, &n));
      EMBER_TRY(open("func"));
      std::optional<std::string_view> fid = opt_id();
      EMBER_ASSIGN(uint32_t t, func_typeuse(s));
      EMBER_TRY(expect(Tok::RParen));
      b = {0x00, 0x00};
      put_uleb(b, f);
      put_uleb(b, n);
      put_bytes(b, opts);
      put_uleb(b, t);
      section(s, 8, b);
      return define(s, Func, fid);
    }
    if (op.text == "lower") {
      EMBER_ASSIGN(uint32_t f, item_ref(s, "func", Func));
      uint32_t n;
      EMBER_ASSIGN(Buf opts, canon_opts(s, &n));
      b = {0x01, 0x00};
      put_uleb(b, f);
      put_uleb(b, n);
      put_bytes(b, opts);
    } else if (op.text == "resource.new" || op.text == "resource.drop" ||
               op.text == "resource.rep") {
      b.push_back(op.text == "resource.new" ? 0x02 : op.text == "resource.drop" ? 0x03 : 0x04);
      EMBER_ASSIGN(uint32_t t, index(s, Type));
      put_uleb(b, t);
    } else {
      return error_at(op,
                      "unknown or unsupported canonical function `" + std::string(op.text) + "`");
    }
    if (!nested) {
      EMBER_TRY(open("core"));
      EMBER_TRY(expect_kw("func"));
      id = opt_id();
      EMBER_TRY(expect(Tok::RParen));
    }
    section(s, 8, b);
    return define(s, CFunc, id);
  }

  // `(func $id? (export "n")* typeuse (canon lift ...))`, `(func $id?
  // (alias export $i "n"))`, or `(func $id? (import "n") typeuse)`.
  Status func(Scope& s) {
    next();
    std::optional<std::string_view> id = opt_id();
    EMBER_ASSIGN(std::vector<std::string> names, export_names());
    uint32_t index;
    if (at_lparen_kw("alias")) {
      pos_ += 2;
      EMBER_TRY(expect_kw("export"));
      EMBER_ASSIGN(uint32_t inst, this->index(s, Instance));
      EMBER_ASSIGN(std::string name, string());
      EMBER_TRY(expect(Tok::RParen));
      EMBER_ASSIGN(index, emit_alias(s, Func, inst, name, id));
    } else if (at_lparen_kw("import")) {
      pos_ += 2;
      EMBER_ASSIGN(std::string name, string());
      EMBER_TRY(expect(Tok::RParen));
      EMBER_ASSIGN(uint32_t t, func_typeuse(s));
      Buf im = {0x00};
      put_name(im, name);
      im.push_back(0x01);
      put_uleb(im, t);
      section(s, 10, im);
      EMBER_TRY(define(s, Func, id, &index));
    } else {
      EMBER_ASSIGN(uint32_t t, func_typeuse(s));
      EMBER_TRY(open("canon"));
      EMBER_TRY(expect_kw("lift"));
      EMBER_TRY(open("core"));
      EMBER_TRY(expect_kw("func"));
      EMBER_ASSIGN(uint32_t f, item_index(s, CFunc));
      EMBER_TRY(expect(Tok::RParen));
      uint32_t n;
      EMBER_ASSIGN(Buf opts, canon_opts(s, &n));
      EMBER_TRY(expect(Tok::RParen));
      Buf b = {0x00, 0x00};
      put_uleb(b, f);
      put_uleb(b, n);
      put_bytes(b, opts);
      put_uleb(b, t);
      section(s, 8, b);
      EMBER_TRY(define(s, Func, id, &index));
    }
    EMBER_TRY(inline_exports(s, Func, index, names));
    return expect(Tok::RParen);
  }

  Status import(Scope& s) {
    next();
    EMBER_ASSIGN(std::string name, string());
    Space sp;
    std::optional<std::string_view> id;
    EMBER_ASSIGN(Buf desc, externdesc(s, &sp, &id));
    Buf im = {0x00};
    put_name(im, name);
    put_bytes(im, desc);
    section(s, 10, im);
    EMBER_TRY(define(s, sp, id));
    return expect(Tok::RParen);
  }

  // `(export $id? "name" (sort ref) externdesc?)`.
  Status export_field(Scope& s) {
    next();
    std::optional<std::string_view> id = opt_id();
    EMBER_ASSIGN(std::string name, string());
    EMBER_TRY(expect(Tok::LParen));
    std::optional<Space> sp = sort_kw(false);
    if (!sp) return error("expected a sort");
    EMBER_ASSIGN(uint32_t i, item_index(s, *sp));
    EMBER_TRY(expect(Tok::RParen));
    Buf e = {0x00};
    put_name(e, name);
    put_sort(e, *sp);
    put_uleb(e, i);
    if (at(Tok::LParen)) {
      Space dsp;
      std::optional<std::string_view> did;
      EMBER_ASSIGN(Buf desc, externdesc(s, &dsp, &did));
      e.push_back(0x01);
      put_bytes(e, desc);
    } else {
      e.push_back(0x00);
    }
    section(s, 11, e);
    EMBER_TRY(define(s, *sp, id));
    return expect(Tok::RParen);
  }

  // Nesting (components, types, value types) is bounded, so that hostile
  // text cannot exhaust the stack: deeper than kMaxDepth is Malformed.
  static constexpr uint32_t kMaxDepth = 200;
  struct Nest {
    uint32_t& depth;
    explicit Nest(uint32_t& d) : depth(++d) {}
    ~Nest() { --depth; }
  };
  Status check_depth() const {
    return depth_ > kMaxDepth ? Status(error("nesting too deep")) : Status::Ok();
  }

  std::string_view src_;
  FeatureSet features_;
  uint32_t depth_ = 0;
};

}  // namespace
}  // namespace text

bool is_component_text(std::string_view t) {
  Expected<text::TokenList> tl = text::tokenize(t);
  return tl && tl->toks.size() >= 2 && tl->toks[0].kind == text::Tok::LParen &&
         tl->toks[1].kind == text::Tok::Keyword && tl->toks[1].text == "component";
}

Expected<std::vector<uint8_t>> component_wat_to_wasm(std::string_view t,
                                                     const FeatureSet& features) {
  EMBER_ASSIGN(text::TokenList tl, text::tokenize(t));
  return text::ComponentParser(t, tl, features).parse();
}

}  // namespace ember
