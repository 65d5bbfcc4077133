// Component decoder: preamble, section framing, and the sections other than
// types (see decoder.hh for the contract; types are in decode_types.cc).
#include "component/decoder.hh"

#include <algorithm>
#include <cstring>

#include "binary/decoder.hh"
#include "component/decoder_impl.hh"

namespace ember::comp {
namespace {

constexpr uint8_t kPreamble[8] = {0x00, 0x61, 0x73, 0x6D, 0x0D, 0x00, 0x01, 0x00};

enum SectionId : uint8_t {
  kCustom = 0,
  kCoreModule = 1,
  kCoreInstance = 2,
  kCoreType = 3,
  kComponent = 4,
  kInstance = 5,
  kAlias = 6,
  kType = 7,
  kCanon = 8,
  kStart = 9,
  kImport = 10,
  kExport = 11,
  kValue = 12,
};

void note(ComponentData* c, ComponentData::Item item, size_t index) {
  c->order.emplace_back(item, uint32_t(index));
}

}  // namespace

bool is_component(const uint8_t* data, size_t size) {
  return size >= 8 && std::memcmp(data, kPreamble, 8) == 0;
}

Expected<std::unique_ptr<ComponentData>> decode_component(const std::vector<uint8_t>& bytes,
                                                          const FeatureSet& features) {
  auto c = std::make_unique<ComponentData>();
  Reader r(bytes.data(), bytes.size());
  ComponentDecoder d(features);
  EMBER_TRY(d.component(r, 0, c.get()));
  return c;
}

Status ComponentDecoder::component(Reader& r, uint32_t depth, ComponentData* c) {
  if (depth >= kMaxNesting) return r.fail("components nested too deeply");
  c->offset = r.offset();
  if (r.remaining() < 4 || std::memcmp(r.pos(), kPreamble, 4) != 0)
    return r.fail("magic header not detected");
  if (r.remaining() < 8) return r.fail("unexpected end");
  if (std::memcmp(r.pos(), kPreamble, 8) != 0)
    return r.fail_at("unknown binary version or layer (not a component)", r.offset() + 4);
  r.skip(8);
  while (!r.at_end()) {
    uint64_t start = r.offset();
    EMBER_ASSIGN(uint8_t id, r.u8());
    if (id > kValue) return r.fail_at("malformed section id " + std::to_string(id), start);
    EMBER_ASSIGN(uint32_t size, r.u32());
    if (size > r.remaining()) return r.fail("section size out of bounds");
    Reader sec(r.pos(), size, r.offset());
    r.skip(size);
    EMBER_TRY(section(id, sec, c, depth));
    if (!sec.at_end()) return sec.fail("section size mismatch");
  }
  return Status::Ok();
}

Status ComponentDecoder::section(uint8_t id, Reader& r, ComponentData* c, uint32_t depth) {
  switch (id) {
    case kCustom: return custom_section(r, c);
    case kCoreModule: return core_module_section(r, c);
    case kCoreInstance: return instance_section(r, true, c);
    case kCoreType: return core_type_section(r, c, depth);
    case kComponent: {
      auto nested = std::make_unique<ComponentData>();
      EMBER_TRY(component(r, depth + 1, nested.get()));
      c->components.push_back(std::move(nested));
      note(c, ComponentData::Item::Component, c->components.size() - 1);
      return Status::Ok();
    }
    case kInstance: return instance_section(r, false, c);
    case kAlias: return alias_section(r, c);
    case kType: return type_section(r, c, depth);
    case kCanon: return canon_section(r, c);
    case kStart: return start_section(r, c);
    case kImport: return import_section(r, c);
    case kExport: return export_section(r, c);
    case kValue: return value_section(r, c);
  }
  return r.fail("malformed section id");
}

Expected<uint32_t> ComponentDecoder::count(Reader& r, size_t min_elem_size) {
  uint64_t at = r.offset();
  EMBER_ASSIGN(uint32_t n, r.u32());
  if (uint64_t(n) * min_elem_size > r.remaining()) return r.fail_at("count out of bounds", at);
  return n;
}

Status ComponentDecoder::custom_section(Reader& r, ComponentData* c) {
  CustomSection s;
  EMBER_ASSIGN(s.name, r.name());
  s.offset = r.offset();
  s.size = r.remaining();
  r.skip(r.remaining());
  c->customs.push_back(std::move(s));
  return Status::Ok();
}

// The section is a whole core module; its errors are moved to the
// component's offsets.
Status ComponentDecoder::core_module_section(Reader& r, ComponentData* c) {
  CoreModuleDef def;
  def.offset = r.offset();
  std::vector<uint8_t> bytes(r.pos(), r.pos() + r.remaining());
  r.skip(r.remaining());
  auto m = decode_module(std::move(bytes), features_);
  if (!m) {
    Error e = m.take_error();
    if (e.info().offset != UINT64_MAX) e.info().offset += def.offset;
    e.info().message = "in a core module: " + e.info().message;
    return e;
  }
  def.module = std::move(*m);
  c->modules.push_back(std::move(def));
  note(c, ComponentData::Item::CoreModule, c->modules.size() - 1);
  return Status::Ok();
}

Expected<Sort> ComponentDecoder::core_sort(Reader& r) {
  uint64_t at = r.offset();
  EMBER_ASSIGN(uint8_t b, r.u8());
  switch (b) {
    case 0x00: return Sort::CoreFunc;
    case 0x01: return Sort::CoreTable;
    case 0x02: return Sort::CoreMemory;
    case 0x03: return Sort::CoreGlobal;
    case 0x04: return Sort::CoreTag;
    case 0x10: return Sort::CoreType;
    case 0x11: return Sort::CoreModule;
    case 0x12: return Sort::CoreInstance;
  }
  return r.fail_at("malformed core sort", at);
}

Expected<Sort> ComponentDecoder::sort(Reader& r) {
  uint64_t at = r.offset();
  EMBER_ASSIGN(uint8_t b, r.u8());
  switch (b) {
    case 0x00: return core_sort(r);
    case 0x01: return Sort::Func;
    case 0x02: return Sort::Value;
    case 0x03: return Sort::Type;
    case 0x04: return Sort::Component;
    case 0x05: return Sort::Instance;
  }
  return r.fail_at("malformed sort", at);
}

Status ComponentDecoder::inline_exports(Reader& r, bool core, std::vector<InlineExport>* out) {
  EMBER_ASSIGN(uint32_t n, count(r, 3));
  for (uint32_t i = 0; i < n; i++) {
    InlineExport e;
    e.offset = r.offset();
    if (core) {
      EMBER_ASSIGN(e.name, r.name());
      EMBER_ASSIGN(e.item.sort, core_sort(r));
    } else {
      EMBER_ASSIGN(e.attributes, extern_name(r));
      e.name = e.attributes.name;
      EMBER_ASSIGN(e.item.sort, sort(r));
    }
    EMBER_ASSIGN(e.item.index, r.u32());
    out->push_back(std::move(e));
  }
  return Status::Ok();
}

// The core instance section and the instance section: the same layout,
// core instances taking only instances as arguments.
Status ComponentDecoder::instance_section(Reader& r, bool core, ComponentData* c) {
  EMBER_ASSIGN(uint32_t n, count(r, 2));
  for (uint32_t i = 0; i < n; i++) {
    InstanceDef def;
    def.offset = r.offset();
    EMBER_ASSIGN(uint8_t kind, r.u8());
    if (kind == 0x00) {
      def.instantiate = true;
      EMBER_ASSIGN(def.of, r.u32());
      EMBER_ASSIGN(uint32_t args, count(r, 3));
      for (uint32_t a = 0; a < args; a++) {
        InstantiateArg arg;
        arg.offset = r.offset();
        EMBER_ASSIGN(arg.name, r.name());
        if (core) {
          EMBER_ASSIGN(uint8_t s, r.u8());
          if (s != 0x12)
            return r.fail_at("core instantiate argument must be an instance", arg.offset);
          arg.item.sort = Sort::CoreInstance;
        } else {
          EMBER_ASSIGN(arg.item.sort, sort(r));
        }
        EMBER_ASSIGN(arg.item.index, r.u32());
        def.args.push_back(std::move(arg));
      }
    } else if (kind == 0x01) {
      EMBER_TRY(inline_exports(r, core, &def.exports));
    } else {
      return r.fail_at(core ? "malformed core instance kind" : "malformed instance kind",
                       def.offset);
    }
    std::vector<InstanceDef>& defs = core ? c->core_instances : c->instances;
    defs.push_back(std::move(def));
    note(c, core ? ComponentData::Item::CoreInstance : ComponentData::Item::Instance,
         defs.size() - 1);
  }
  return Status::Ok();
}

Status ComponentDecoder::alias(Reader& r, Alias* a) {
  a->offset = r.offset();
  EMBER_ASSIGN(a->sort, sort(r));
  uint64_t at = r.offset();
  EMBER_ASSIGN(uint8_t kind, r.u8());
  if (kind == 0x00 || kind == 0x01) {
    a->kind = kind == 0x00 ? Alias::Kind::Export : Alias::Kind::CoreExport;
    EMBER_ASSIGN(a->instance, r.u32());
    EMBER_ASSIGN(a->name, r.name());
    return Status::Ok();
  }
  if (kind == 0x02) {
    if (a->sort != Sort::CoreModule && a->sort != Sort::CoreType && a->sort != Sort::Type &&
        a->sort != Sort::Component)
      return r.fail_at(std::string("malformed outer alias: a ") + sort_name(a->sort) +
                           " cannot be aliased from an outer scope",
                       a->offset);
    a->kind = Alias::Kind::Outer;
    EMBER_ASSIGN(a->instance, r.u32());
    EMBER_ASSIGN(a->index, r.u32());
    return Status::Ok();
  }
  return r.fail_at("malformed alias kind", at);
}

Status ComponentDecoder::alias_section(Reader& r, ComponentData* c) {
  EMBER_ASSIGN(uint32_t n, count(r, 3));
  for (uint32_t i = 0; i < n; i++) {
    Alias a;
    EMBER_TRY(alias(r, &a));
    c->aliases.push_back(std::move(a));
    note(c, ComponentData::Item::Alias, c->aliases.size() - 1);
  }
  return Status::Ok();
}

Status ComponentDecoder::canon_opts(Reader& r, CanonDef* out) {
  EMBER_ASSIGN(uint32_t n, count(r));
  for (uint32_t i = 0; i < n; i++) {
    CanonOpt o;
    o.offset = r.offset();
    EMBER_ASSIGN(uint8_t code, r.u8());
    if (code > uint8_t(CanonOptCode::Callback))
      return r.fail_at("malformed canon option", o.offset);
    o.code = CanonOptCode(code);
    if (o.code == CanonOptCode::Memory || o.code == CanonOptCode::Realloc ||
        o.code == CanonOptCode::PostReturn || o.code == CanonOptCode::Callback) {
      EMBER_ASSIGN(o.index, r.u32());
    }
    out->opts.push_back(o);
  }
  return Status::Ok();
}

Status ComponentDecoder::canon_section(Reader& r, ComponentData* c) {
  EMBER_ASSIGN(uint32_t n, count(r, 1));
  for (uint32_t i = 0; i < n; i++) {
    CanonDef def;
    def.offset = r.offset();
    EMBER_TRY(canon(r, &def));
    c->canons.push_back(std::move(def));
    note(c, ComponentData::Item::Canon, c->canons.size() - 1);
  }
  return Status::Ok();
}

Status ComponentDecoder::start_section(Reader& r, ComponentData* c) {
  StartDef s;
  s.offset = r.offset();
  EMBER_ASSIGN(s.func, r.u32());
  EMBER_ASSIGN(uint32_t n, count(r));
  for (uint32_t i = 0; i < n; i++) {
    EMBER_ASSIGN(uint32_t v, r.u32());
    s.args.push_back(v);
  }
  EMBER_ASSIGN(s.results, r.u32());
  c->starts.push_back(std::move(s));
  note(c, ComponentData::Item::Start, c->starts.size() - 1);
  return Status::Ok();
}

Expected<ExternName> ComponentDecoder::extern_name(Reader& r) {
  ExternName n;
  n.offset = r.offset();
  EMBER_ASSIGN(uint8_t form, r.u8());
  if (form > 0x02) return r.fail_at("malformed name kind", n.offset);
  EMBER_ASSIGN(n.name, r.name());
  if (form != 0x02) return n;
  EMBER_ASSIGN(uint32_t attrs, count(r, 2));
  bool seen[3] = {false, false, false};
  for (uint32_t i = 0; i < attrs; i++) {
    uint64_t a_at = r.offset();
    EMBER_ASSIGN(uint8_t kind, r.u8());
    if (kind > 0x02) return r.fail_at("malformed name attribute", a_at);
    n.repeated_attribute |= seen[kind];
    seen[kind] = true;
    EMBER_ASSIGN(std::string value, r.name());
    if (kind == 0x00) n.implements = std::move(value);
    if (kind == 0x01) n.version_suffix = std::move(value);
  }
  return n;
}

Status ComponentDecoder::import_section(Reader& r, ComponentData* c) {
  EMBER_ASSIGN(uint32_t n, count(r, 4));
  for (uint32_t i = 0; i < n; i++) {
    ImportDef im;
    im.offset = r.offset();
    EMBER_ASSIGN(im.name, extern_name(r));
    EMBER_ASSIGN(im.desc, extern_desc(r));
    c->imports.push_back(std::move(im));
    note(c, ComponentData::Item::Import, c->imports.size() - 1);
  }
  return Status::Ok();
}

Status ComponentDecoder::export_section(Reader& r, ComponentData* c) {
  EMBER_ASSIGN(uint32_t n, count(r, 4));
  for (uint32_t i = 0; i < n; i++) {
    ExportDef ex;
    ex.offset = r.offset();
    EMBER_ASSIGN(ex.name, extern_name(r));
    EMBER_ASSIGN(ex.item.sort, sort(r));
    EMBER_ASSIGN(ex.item.index, r.u32());
    uint64_t at = r.offset();
    EMBER_ASSIGN(uint8_t has, r.u8());
    if (has > 1) return r.fail_at("malformed optional type", at);
    if (has) {
      EMBER_ASSIGN(ExternDesc d, extern_desc(r));
      ex.ascribed = d;
    }
    c->exports.push_back(std::move(ex));
    note(c, ComponentData::Item::Export, c->exports.size() - 1);
  }
  return Status::Ok();
}

// Values are kept as their type and byte range: the validator refuses them
// (the value sort is not supported yet), so they are never interpreted.
Status ComponentDecoder::value_section(Reader& r, ComponentData* c) {
  EMBER_ASSIGN(uint32_t n, count(r, 2));
  for (uint32_t i = 0; i < n; i++) {
    ValueDef v;
    EMBER_ASSIGN(v.type, val_type(r));
    EMBER_ASSIGN(uint32_t len, r.u32());
    v.offset = r.offset();
    v.size = len;
    EMBER_TRY(r.bytes(len));
    c->values.push_back(v);
    note(c, ComponentData::Item::Value, c->values.size() - 1);
  }
  return Status::Ok();
}

}  // namespace ember::comp
