// Component decoder: type definitions, component-level (defined value
// types, function, component, instance and resource types) and core
// (function and module types).
#include "component/decoder_impl.hh"

namespace ember::comp {
namespace {

// The primitive value type of a one-byte code, if it is one.
std::optional<Prim> prim_of(uint8_t b) {
  if (b >= 0x73 && b <= 0x7f) return Prim(0x7f - b);
  if (b == 0x64) return Prim::ErrorContext;
  return std::nullopt;
}

using Ptr = std::shared_ptr<TypeDef>;

}  // namespace

// A label as written (its kebab-case grammar is the validator's to check).
Expected<std::string> ComponentDecoder::label(Reader& r) {
  return r.name();
}

// valtype ::= typeidx | primvaltype: the primitive codes are one-byte
// negative SLEB128s, so a first byte with bit 6 set and no continuation is
// a type code; anything else is an index.
Expected<ValTypeRef> ComponentDecoder::val_type(Reader& r) {
  ValTypeRef t;
  t.offset = r.offset();
  if (r.at_end()) return r.fail("unexpected end");
  uint8_t b = *r.pos();
  if (!(b & 0x80) && (b & 0x40)) {
    r.skip(1);
    std::optional<Prim> p = prim_of(b);
    if (!p) return r.fail_at("malformed value type", t.offset);
    t.is_prim = true;
    t.prim = *p;
    return t;
  }
  EMBER_ASSIGN(int64_t v, r.s33());
  if (v < 0 || v > int64_t(UINT32_MAX)) return r.fail_at("malformed value type", t.offset);
  t.index = uint32_t(v);
  return t;
}

Expected<std::optional<ValTypeRef>> ComponentDecoder::optional_val_type(Reader& r) {
  uint64_t at = r.offset();
  EMBER_ASSIGN(uint8_t has, r.u8());
  if (has > 1) return r.fail_at("malformed optional type", at);
  if (!has) return std::optional<ValTypeRef>();
  EMBER_ASSIGN(ValTypeRef t, val_type(r));
  return std::optional<ValTypeRef>(t);
}

Expected<ValType> ComponentDecoder::core_val_type(Reader& r) {
  uint64_t at = r.offset();
  EMBER_ASSIGN(uint8_t b, r.u8());
  switch (b) {
    case 0x7f: return ValType::I32;
    case 0x7e: return ValType::I64;
    case 0x7d: return ValType::F32;
    case 0x7c: return ValType::F64;
    case 0x7b: return ValType::V128;
    case 0x70: return ValType::FuncRef;
    case 0x6f: return ValType::ExternRef;
  }
  if (b >= 0x63 && b <= 0x74) return unsupported("this core reference type in a component", at);
  return r.fail_at("malformed core value type", at);
}

Expected<ExternDesc> ComponentDecoder::extern_desc(Reader& r) {
  ExternDesc d;
  uint64_t at = r.offset();
  EMBER_ASSIGN(uint8_t kind, r.u8());
  switch (kind) {
    case 0x00: {
      EMBER_ASSIGN(uint8_t m, r.u8());
      if (m != 0x11) return r.fail_at("malformed extern type: expected core module", at);
      d.sort = Sort::CoreModule;
      break;
    }
    case 0x01: d.sort = Sort::Func; break;
    case 0x02: {
      d.sort = Sort::Value;
      EMBER_ASSIGN(uint8_t b, r.u8());
      if (b == 0x01) {
        d.bound = ExternDesc::Bound::ValType;
        EMBER_ASSIGN(d.val, val_type(r));
        return d;
      }
      if (b != 0x00) return r.fail_at("malformed value bound", at);
      break;
    }
    case 0x03: {
      d.sort = Sort::Type;
      EMBER_ASSIGN(uint8_t b, r.u8());
      if (b == 0x01) {
        d.bound = ExternDesc::Bound::SubResource;
        return d;
      }
      if (b != 0x00) return r.fail_at("malformed type bound", at);
      break;
    }
    case 0x04: d.sort = Sort::Component; break;
    case 0x05: d.sort = Sort::Instance; break;
    default: return r.fail_at("malformed extern type", at);
  }
  EMBER_ASSIGN(d.index, r.u32());
  return d;
}

Status ComponentDecoder::type_section(Reader& r, ComponentData* c, uint32_t depth) {
  EMBER_ASSIGN(uint32_t n, count(r));
  for (uint32_t i = 0; i < n; i++) {
    EMBER_ASSIGN(auto t, type_def(r, depth));
    c->types.push_back(std::move(t));
    c->order.emplace_back(ComponentData::Item::Type, uint32_t(c->types.size() - 1));
  }
  return Status::Ok();
}

Status ComponentDecoder::core_type_section(Reader& r, ComponentData* c, uint32_t depth) {
  EMBER_ASSIGN(uint32_t n, count(r));
  for (uint32_t i = 0; i < n; i++) {
    EMBER_ASSIGN(auto t, core_type(r, depth));
    c->core_types.push_back(std::move(t));
    c->order.emplace_back(ComponentData::Item::CoreType, uint32_t(c->core_types.size() - 1));
  }
  return Status::Ok();
}

namespace {

// The pieces of a defined value type, by opcode.
class ValTypeReader {
 public:
  ValTypeReader(ComponentDecoder& d, Reader& r, TypeDef& t) : d_(d), r_(r), t_(t) {}

  Status read(uint8_t op) {
    switch (op) {
      case 0x72: return fields(TypeKind::Record, false);
      case 0x71: return fields(TypeKind::Variant, true);
      case 0x70: return one(TypeKind::List);
      case 0x67: {
        EMBER_TRY(one(TypeKind::FixedList));
        EMBER_ASSIGN(t_.index, r_.u32());
        return Status::Ok();
      }
      case 0x6f: return tuple();
      case 0x6e: return labels(TypeKind::Flags);
      case 0x6d: return labels(TypeKind::Enum);
      case 0x6b: return one(TypeKind::Option);
      case 0x6a: return result();
      case 0x69: t_.kind = TypeKind::Own; return index();
      case 0x68: t_.kind = TypeKind::Borrow; return index();
      case 0x66: return optional_one(TypeKind::Stream);
      case 0x65: return optional_one(TypeKind::Future);
      case 0x63: {
        t_.kind = TypeKind::Map;
        EMBER_TRY(push());
        return push();
      }
    }
    return r_.fail_at("malformed type opcode", t_.offset);
  }

 private:
  Status push() {
    EMBER_ASSIGN(ValTypeRef v, d_.val_type(r_));
    t_.elems.push_back(v);
    return Status::Ok();
  }
  Status one(TypeKind k) {
    t_.kind = k;
    return push();
  }
  Status optional_one(TypeKind k) {
    t_.kind = k;
    EMBER_ASSIGN(auto v, d_.optional_val_type(r_));
    if (v) t_.elems.push_back(*v);
    return Status::Ok();
  }
  Status index() {
    EMBER_ASSIGN(t_.index, r_.u32());
    return Status::Ok();
  }
  Status fields(TypeKind k, bool is_case) {
    t_.kind = k;
    EMBER_ASSIGN(uint32_t n, d_.count(r_, 2));
    for (uint32_t i = 0; i < n; i++) {
      Labeled f;
      f.offset = r_.offset();
      EMBER_ASSIGN(f.label, d_.label(r_));
      if (is_case) {
        EMBER_ASSIGN(f.type, d_.optional_val_type(r_));
        uint64_t at = r_.offset();
        EMBER_ASSIGN(uint8_t z, r_.u8());
        if (z != 0x00) return r_.fail_at("malformed variant case (refinements are gone)", at);
      } else {
        EMBER_ASSIGN(ValTypeRef v, d_.val_type(r_));
        f.type = v;
      }
      t_.fields.push_back(std::move(f));
    }
    return Status::Ok();
  }
  Status tuple() {
    t_.kind = TypeKind::Tuple;
    EMBER_ASSIGN(uint32_t n, d_.count(r_));
    for (uint32_t i = 0; i < n; i++) EMBER_TRY(push());
    return Status::Ok();
  }
  Status labels(TypeKind k) {
    t_.kind = k;
    EMBER_ASSIGN(uint32_t n, d_.count(r_));
    for (uint32_t i = 0; i < n; i++) {
      EMBER_ASSIGN(std::string l, d_.label(r_));
      t_.labels.push_back(std::move(l));
    }
    return Status::Ok();
  }
  Status result() {
    t_.kind = TypeKind::Result;
    EMBER_ASSIGN(t_.ok, d_.optional_val_type(r_));
    EMBER_ASSIGN(t_.err, d_.optional_val_type(r_));
    return Status::Ok();
  }

  ComponentDecoder& d_;
  Reader& r_;
  TypeDef& t_;
};

}  // namespace

// functype ::= paramlist resultlist (after the 0x40 / 0x43 opcode).
static Status func_type(ComponentDecoder& d, Reader& r, TypeDef& t) {
  t.kind = TypeKind::Func;
  EMBER_ASSIGN(uint32_t n, d.count(r, 2));
  for (uint32_t i = 0; i < n; i++) {
    Labeled p;
    p.offset = r.offset();
    EMBER_ASSIGN(p.label, d.label(r));
    EMBER_ASSIGN(ValTypeRef v, d.val_type(r));
    p.type = v;
    t.fields.push_back(std::move(p));
  }
  uint64_t at = r.offset();
  EMBER_ASSIGN(uint8_t form, r.u8());
  if (form == 0x00) {
    EMBER_ASSIGN(ValTypeRef v, d.val_type(r));
    t.ok = v;
    return Status::Ok();
  }
  EMBER_ASSIGN(uint8_t zero, r.u8());
  if (form != 0x01 || zero != 0x00) return r.fail_at("malformed result list", at);
  return Status::Ok();
}

// The declarators of a component type (`component` true) or an instance
// type, each read at `depth`.
static Status decls(ComponentDecoder& d, Reader& r, uint32_t depth, bool component, TypeDef& t) {
  EMBER_ASSIGN(uint32_t n, d.count(r));
  for (uint32_t i = 0; i < n; i++) {
    Decl decl;
    decl.offset = r.offset();
    EMBER_ASSIGN(uint8_t kind, r.u8());
    switch (kind) {
      case 0x00: {
        decl.kind = Decl::Kind::CoreType;
        EMBER_ASSIGN(decl.core_type, d.core_type(r, depth));
        break;
      }
      case 0x01: {
        decl.kind = Decl::Kind::Type;
        EMBER_ASSIGN(decl.type, d.type_def(r, depth));
        break;
      }
      case 0x02:
        decl.kind = Decl::Kind::Alias;
        EMBER_TRY(d.alias(r, &decl.alias));
        break;
      case 0x03:
      case 0x04: {
        if (kind == 0x03 && !component)
          return r.fail_at("malformed instance type declarator: imports only in component types",
                           decl.offset);
        decl.kind = kind == 0x03 ? Decl::Kind::Import : Decl::Kind::Export;
        EMBER_ASSIGN(decl.name, d.extern_name(r));
        EMBER_ASSIGN(decl.desc, d.extern_desc(r));
        break;
      }
      default: return r.fail_at("malformed type declarator", decl.offset);
    }
    t.decls.push_back(std::move(decl));
  }
  return Status::Ok();
}

Expected<std::shared_ptr<const TypeDef>> ComponentDecoder::type_def(Reader& r, uint32_t depth) {
  if (depth >= kMaxNesting) return r.fail("types nested too deeply");
  auto t = std::make_shared<TypeDef>();
  t->offset = r.offset();
  EMBER_ASSIGN(uint8_t op, r.u8());
  if (std::optional<Prim> p = prim_of(op)) {
    t->kind = TypeKind::Prim;
    t->prim = *p;
    return std::shared_ptr<const TypeDef>(std::move(t));
  }
  switch (op) {
    case 0x40:
    case 0x43: {
      t->async = op == 0x43;
      EMBER_TRY(func_type(*this, r, *t));
      break;
    }
    case 0x41:
    case 0x42:
      t->kind = op == 0x41 ? TypeKind::Component : TypeKind::Instance;
      EMBER_TRY(decls(*this, r, depth + 1, op == 0x41, *t));
      break;
    case 0x3f: {
      t->kind = TypeKind::Resource;
      EMBER_ASSIGN(t->rep, core_val_type(r));
      EMBER_ASSIGN(auto dtor_at, r.u8());
      if (dtor_at > 1) return r.fail_at("malformed resource destructor", r.offset() - 1);
      if (dtor_at) {
        EMBER_ASSIGN(uint32_t f, r.u32());
        t->dtor = f;
      }
      break;
    }
    default: EMBER_TRY(ValTypeReader(*this, r, *t).read(op)); break;
  }
  return std::shared_ptr<const TypeDef>(std::move(t));
}

// limits ::= flags min max? page-size?  (flags: 1 max, 2 shared, 4 64-bit,
// 8 custom page size, whose log2 goes to *page_size_log2)
static Status core_limits(Reader& r, Limits* out, uint8_t* page_size_log2) {
  uint64_t at = r.offset();
  EMBER_ASSIGN(uint8_t flags, r.u8());
  if (flags > 0x0f) return r.fail_at("malformed limits flags", at);
  out->shared = flags & 2;
  out->is64 = flags & 4;
  unsigned bits = out->is64 ? 64 : 32;
  EMBER_ASSIGN(out->min, r.uleb(bits));
  if (flags & 1) {
    EMBER_ASSIGN(uint64_t max, r.uleb(bits));
    out->max = max;
  }
  if (flags & 8) {
    EMBER_ASSIGN(uint32_t log2, r.u32());
    if (log2 > 64) return r.fail_at("malformed page size", at);
    *page_size_log2 = uint8_t(log2);
  }
  return Status::Ok();
}

// core:externtype: a function's or tag's type index, or a table, memory or
// global type.
static Status core_extern_type(ComponentDecoder& d, Reader& r, CoreDecl& decl) {
  uint64_t at = r.offset();
  EMBER_ASSIGN(uint8_t kind, r.u8());
  uint8_t unused_page_size = 16;
  switch (kind) {
    case 0x00: decl.extern_kind = ExternKind::Func; break;
    case 0x01: {
      decl.extern_kind = ExternKind::Table;
      EMBER_ASSIGN(decl.table.elem, d.core_val_type(r));
      return core_limits(r, &decl.table.limits, &unused_page_size);
    }
    case 0x02:
      decl.extern_kind = ExternKind::Memory;
      return core_limits(r, &decl.memory.limits, &decl.memory.page_size_log2);
    case 0x03: {
      decl.extern_kind = ExternKind::Global;
      EMBER_ASSIGN(decl.global.type, d.core_val_type(r));
      EMBER_ASSIGN(uint8_t mut, r.u8());
      if (mut > 1) return r.fail_at("malformed mutability", r.offset() - 1);
      decl.global.mut = mut == 1;
      return Status::Ok();
    }
    case 0x04: {
      decl.extern_kind = ExternKind::Tag;
      EMBER_ASSIGN(uint8_t z, r.u8());
      if (z != 0) return r.fail_at("malformed tag type", at);
      break;
    }
    default: return r.fail_at("malformed core extern type", at);
  }
  EMBER_ASSIGN(decl.type_index, r.u32());
  return Status::Ok();
}

// A core module type's declarators, read at `depth`.
static Status module_decls(ComponentDecoder& d, Reader& r, uint32_t depth, CoreTypeDef& t) {
  EMBER_ASSIGN(uint32_t n, d.count(r));
  for (uint32_t i = 0; i < n; i++) {
    CoreDecl decl;
    decl.offset = r.offset();
    EMBER_ASSIGN(uint8_t kind, r.u8());
    switch (kind) {
      case 0x00: {
        decl.kind = CoreDecl::Kind::Import;
        EMBER_ASSIGN(decl.module, r.name());
        EMBER_ASSIGN(decl.name, r.name());
        EMBER_TRY(core_extern_type(d, r, decl));
        break;
      }
      case 0x01: {
        decl.kind = CoreDecl::Kind::Type;
        EMBER_ASSIGN(decl.type, d.core_type(r, depth));
        break;
      }
      case 0x02: {
        decl.kind = CoreDecl::Kind::Alias;
        EMBER_ASSIGN(uint8_t s, r.u8());
        EMBER_ASSIGN(uint8_t outer, r.u8());
        if (s != 0x10 || outer != 0x01)
          return r.fail_at("malformed core alias: only outer type aliases", decl.offset);
        EMBER_ASSIGN(decl.outer_count, r.u32());
        EMBER_ASSIGN(decl.outer_index, r.u32());
        break;
      }
      case 0x03: {
        decl.kind = CoreDecl::Kind::Export;
        EMBER_ASSIGN(decl.name, r.name());
        EMBER_TRY(core_extern_type(d, r, decl));
        break;
      }
      default: return r.fail_at("malformed module type declarator", decl.offset);
    }
    t.decls.push_back(std::move(decl));
  }
  return Status::Ok();
}

Expected<std::shared_ptr<const CoreTypeDef>> ComponentDecoder::core_type(Reader& r,
                                                                         uint32_t depth) {
  if (depth >= kMaxNesting) return r.fail("types nested too deeply");
  auto t = std::make_shared<CoreTypeDef>();
  t->offset = r.offset();
  EMBER_ASSIGN(uint8_t op, r.u8());
  if (op == 0x60) {
    EMBER_ASSIGN(uint32_t np, count(r));
    for (uint32_t i = 0; i < np; i++) {
      EMBER_ASSIGN(ValType v, core_val_type(r));
      t->func.params.push_back(v);
    }
    EMBER_ASSIGN(uint32_t nr, count(r));
    for (uint32_t i = 0; i < nr; i++) {
      EMBER_ASSIGN(ValType v, core_val_type(r));
      t->func.results.push_back(v);
    }
  } else if (op == 0x50) {
    t->is_module = true;
    EMBER_TRY(module_decls(*this, r, depth + 1, *t));
  } else if (op == 0x00 || op == 0x4e || op == 0x4f || op == 0x5e || op == 0x5f) {
    return unsupported("a core GC type definition in a component", t->offset);
  } else {
    return r.fail_at("malformed core type", t->offset);
  }
  return std::shared_ptr<const CoreTypeDef>(std::move(t));
}

}  // namespace ember::comp
