// Component validation: the canonical built-ins (`canon lift`, `lower`,
// `resource.new/drop/rep`) against the canonical ABI's flattening, and the
// text of types for tools and messages.
#include <optional>

#include "component/validator.hh"

namespace ember::comp {
namespace {

bool fully_validated(uint8_t op) {
  switch (op) {
#define EMBER_CANON(code, name, shape, validated) \
  case code: return validated;
#include "component/canon.def"
  }
  return false;
}

struct Options {
  std::optional<uint32_t> memory, realloc, post_return;
  bool encoding = false;
};

// The flattening of a function type's parameters and result.
struct Flat {
  std::vector<ValType> params, results;                      // each capped at kFlatCap
  bool params_in_memory = false, results_in_memory = false;  // strings or lists
};

}  // namespace

static Flat flatten(const Validator& v, const VType& f) {
  Flat out;
  for (TypeId p : f.kids) {
    const VType& t = v.type(p);
    out.params_in_memory |= t.has_memory_data;
    for (ValType x : t.flat)
      if (out.params.size() < kFlatCap) out.params.push_back(x);
  }
  if (f.ok != kNoType) {
    out.results = v.type(f.ok).flat;
    out.results_in_memory = v.type(f.ok).has_memory_data;
  }
  return out;
}

static Expected<Options> options(const CanonDef& d, const Scope& s, const Validator& v, bool lift) {
  Options o;
  auto once = [&](bool seen, const char* what, uint64_t at) -> Status {
    if (seen) return invalid(std::string("canon option `") + what + "` given more than once", at);
    return Status::Ok();
  };
  for (const CanonOpt& opt : d.opts) {
    switch (opt.code) {
      case CanonOptCode::Utf8:
      case CanonOptCode::Utf16:
      case CanonOptCode::Latin1Utf16:
        EMBER_TRY(once(o.encoding, "string-encoding", opt.offset));
        o.encoding = true;
        break;
      case CanonOptCode::Memory:
        EMBER_TRY(once(o.memory.has_value(), "memory", opt.offset));
        EMBER_TRY(v.check_index(s, Sort::CoreMemory, opt.index, opt.offset));
        if (s.core_memories[opt.index].limits.shared)
          return invalid("canon option `memory` must be an unshared memory (mismatch in the " +
                             std::string("shared flag for memories)"),
                         opt.offset);
        if (s.core_memories[opt.index].limits.is64)
          return unsupported("a 64-bit memory in canon options", opt.offset);
        o.memory = opt.index;
        break;
      case CanonOptCode::Realloc:
        EMBER_TRY(once(o.realloc.has_value(), "realloc", opt.offset));
        EMBER_TRY(v.check_index(s, Sort::CoreFunc, opt.index, opt.offset));
        if (!(s.core_funcs[opt.index] ==
              FuncType{{ValType::I32, ValType::I32, ValType::I32, ValType::I32}, {ValType::I32}}))
          return invalid("canon option `realloc` must have type (i32, i32, i32, i32) -> (i32)",
                         opt.offset);
        o.realloc = opt.index;
        break;
      case CanonOptCode::PostReturn:
        EMBER_TRY(once(o.post_return.has_value(), "post-return", opt.offset));
        if (!lift) return invalid("canon option `post-return` is only allowed on lift", opt.offset);
        EMBER_TRY(v.check_index(s, Sort::CoreFunc, opt.index, opt.offset));
        o.post_return = opt.index;
        break;
      case CanonOptCode::Async: return unsupported("the async canon option", opt.offset);
      case CanonOptCode::Callback: return unsupported("the callback canon option", opt.offset);
    }
  }
  if (o.realloc && !o.memory)
    return invalid("canon option `realloc` requires the `memory` option", d.offset);
  return o;
}

static Status require(bool needed, bool present, const char* what, const char* why,
                      uint64_t offset) {
  if (!needed || present) return Status::Ok();
  return invalid(std::string("canon option `") + what + "` is required: " + why, offset);
}

static Status core_type_is(const FuncType& have, const FuncType& want, const char* what,
                           uint64_t offset) {
  if (have == want) return Status::Ok();
  return invalid(std::string(what) + " has type " + have.to_string() +
                     ", but the canonical ABI expects " + want.to_string(),
                 offset);
}

static Status lift(Validator& v, const CanonDef& d, Scope& s) {
  EMBER_TRY(v.check_index(s, Sort::CoreFunc, d.func, d.offset));
  EMBER_ASSIGN(TypeId ft, v.type_of_sort(s, Sort::Func, d.type, TypeKind::Func, d.offset));
  EMBER_ASSIGN(Options o, options(d, s, v, true));
  Flat f = flatten(v, v.type(ft));
  FuncType want;
  want.params = f.params.size() > kMaxFlatParams ? std::vector<ValType>{ValType::I32} : f.params;
  want.results =
      f.results.size() > kMaxFlatResults ? std::vector<ValType>{ValType::I32} : f.results;
  EMBER_TRY(core_type_is(s.core_funcs[d.func], want, "canon lift: the core function", d.offset));
  EMBER_TRY(require(f.params_in_memory || f.params.size() > kMaxFlatParams, o.realloc.has_value(),
                    "realloc", "the parameters are passed through memory", d.offset));
  EMBER_TRY(require(f.results_in_memory || f.results.size() > kMaxFlatResults, o.memory.has_value(),
                    "memory", "the result is passed through memory", d.offset));
  if (o.post_return)
    EMBER_TRY(core_type_is(s.core_funcs[*o.post_return], FuncType{want.results, {}},
                           "canon lift: the post-return function", d.offset));
  s.add_func(ft, s.type_vis[d.type]);
  v.lifts[&d] = ft;
  return Status::Ok();
}

static Status lower(Validator& v, const CanonDef& d, Scope& s) {
  EMBER_TRY(v.check_index(s, Sort::Func, d.func, d.offset));
  TypeId ft = s.funcs[d.func];
  EMBER_ASSIGN(Options o, options(d, s, v, false));
  Flat f = flatten(v, v.type(ft));
  FuncType core;
  core.params = f.params.size() > kMaxFlatParams ? std::vector<ValType>{ValType::I32} : f.params;
  if (f.results.size() > kMaxFlatResults) core.params.push_back(ValType::I32);
  else core.results = f.results;
  bool memory = f.params_in_memory || f.results_in_memory || f.params.size() > kMaxFlatParams ||
                f.results.size() > kMaxFlatResults;
  EMBER_TRY(require(memory, o.memory.has_value(), "memory", "values are passed through memory",
                    d.offset));
  EMBER_TRY(require(f.results_in_memory, o.realloc.has_value(), "realloc",
                    "the result holds strings or lists", d.offset));
  s.core_funcs.push_back(std::move(core));
  return Status::Ok();
}

// resource.new / resource.rep need a resource this component defines;
// resource.drop any resource.
static Status resource_builtin(Validator& v, const CanonDef& d, Scope& s) {
  EMBER_ASSIGN(TypeId rt, v.type_of_sort(s, Sort::Type, d.type, TypeKind::Resource, d.offset));
  if (d.op != 0x03 && v.type(rt).owner != s.id)
    return invalid(std::string("canon ") + canon_name(d.op) +
                       " needs a resource type defined by this component",
                   d.offset);
  if (d.op == 0x02) s.core_funcs.push_back(FuncType{{ValType::I32}, {ValType::I32}});
  if (d.op == 0x03) s.core_funcs.push_back(FuncType{{ValType::I32}, {}});
  if (d.op == 0x04) s.core_funcs.push_back(FuncType{{ValType::I32}, {ValType::I32}});
  return Status::Ok();
}

Status Validator::canon(const CanonDef& d, Scope& s) {
  if (!fully_validated(d.op))
    return unsupported(std::string("canon ") + canon_name(d.op), d.offset);
  switch (d.op) {
    case 0x00: return lift(*this, d, s);
    case 0x01: return lower(*this, d, s);
    default: return resource_builtin(*this, d, s);
  }
}

// ---- text of types -------------------------------------------------------

std::string Validator::type_text(TypeId id) const {
  uint32_t budget = 200;  // types shown; shared parts are shown again each time
  return text(id, 0, budget);
}

std::string Validator::text(TypeId id, uint32_t depth, uint32_t& budget) const {
  if (id == kNoType) return "_";
  if (depth > 6 || budget == 0) return "...";
  budget--;
  const VType& t = types_[id];
  auto sub = [&](TypeId k) { return text(k, depth + 1, budget); };
  auto join_list = [&](bool labels, bool types) {
    std::string s;
    size_t n = std::max(labels ? t.names.size() : 0, types ? t.kids.size() : 0);
    for (size_t i = 0; i < n; i++) {
      if (i) s += ", ";
      if (budget == 0) return s + "...";
      if (labels) s += t.names[i];
      if (types && t.kids[i] != kNoType) s += (labels ? ": " : "") + sub(t.kids[i]);
    }
    return s;
  };
  switch (t.kind) {
    case TypeKind::Prim: return prim_name(t.prim);
    case TypeKind::List: return "list<" + sub(t.kids[0]) + ">";
    case TypeKind::Option: return "option<" + sub(t.kids[0]) + ">";
    case TypeKind::Tuple: return "tuple<" + join_list(false, true) + ">";
    case TypeKind::Record: return "record { " + join_list(true, true) + " }";
    case TypeKind::Variant: return "variant { " + join_list(true, true) + " }";
    case TypeKind::Enum: return "enum { " + join_list(true, false) + " }";
    case TypeKind::Flags: return "flags { " + join_list(true, false) + " }";
    case TypeKind::Result:
      if (t.ok == kNoType && t.err == kNoType) return "result";
      return "result<" + sub(t.ok) + (t.err == kNoType ? "" : ", " + sub(t.err)) + ">";
    case TypeKind::Own: return "own<resource>";
    case TypeKind::Borrow: return "borrow<resource>";
    case TypeKind::Resource: return "resource";
    case TypeKind::Func:
      return "func(" + join_list(true, true) + ")" + (t.ok == kNoType ? "" : " -> " + sub(t.ok));
    case TypeKind::Instance:
    case TypeKind::Component: {
      std::string s = t.kind == TypeKind::Instance ? "instance {" : "component {";
      for (const Extern& e : t.imports->list) {
        if (budget == 0 || s.size() > 4096) return s + " ... }";
        budget--;
        s += " import " + e.name + ";";
      }
      for (const Extern& e : t.exports->list) {
        if (budget == 0 || s.size() > 4096) return s + " ... }";
        budget--;
        // A function shows its signature (WIT's view of an interface);
        // a resource type shows as one.
        std::string what = sort_name(e.sort);
        if (e.sort == Sort::Func) what = sub(e.type);
        if (e.sort == Sort::Type && types_[e.type].kind == TypeKind::Resource) what = "resource";
        s += " " + e.name + ": " + what + ";";
      }
      return s + " }";
    }
    default: return "?";
  }
}

std::string Validator::extern_text(const Extern& e) const {
  if (e.sort == Sort::CoreModule)
    return "core module (" + std::to_string(e.module->imports.size()) + " imports, " +
           std::to_string(e.module->exports.size()) + " exports)";
  if (e.sort == Sort::Type) return "type " + type_text(e.type);
  return type_text(e.type);
}

}  // namespace ember::comp
