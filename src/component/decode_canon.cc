// Component decoder: `canon` definitions, read by the shape of their row in
// canon.def, and the names of sorts, primitive types and built-ins.
#include "component/decoder_impl.hh"

namespace ember::comp {
namespace {

enum class Shape : uint8_t {
  Lift,
  Lower,
  Type,
  None,
  ResultOpts,
  Context,
  Flag,
  TypeOpts,
  TypeFlag,
  Opts,
  FlagMemory,
  TypeTable,
  FlagType,
  FlagTypeTable,
  Unknown,
};

Shape shape_of(uint8_t op) {
  switch (op) {
#define EMBER_CANON(code, name, shape, validated) \
  case code: return Shape::shape;
#include "component/canon.def"
  }
  return Shape::Unknown;
}

Expected<bool> flag(Reader& r) {
  uint64_t at = r.offset();
  EMBER_ASSIGN(uint8_t b, r.u8());
  if (b > 1) return r.fail_at("malformed flag byte", at);
  return b == 1;
}

}  // namespace

const char* canon_name(uint8_t op) {
  switch (op) {
#define EMBER_CANON(code, name, shape, validated) \
  case code: return name;
#include "component/canon.def"
  }
  return "unknown";
}

const char* sort_name(Sort s) {
  static const char* const kNames[] = {"core func", "core table", "core memory", "core global",
                                       "core tag",  "core type",  "core module", "core instance",
                                       "func",      "value",      "type",        "component",
                                       "instance"};
  return kNames[size_t(s)];
}

const char* prim_name(Prim p) {
  static const char* const kNames[] = {"bool", "s8",   "u8",     "s16",          "u16",
                                       "s32",  "u32",  "s64",    "u64",          "f32",
                                       "f64",  "char", "string", "error-context"};
  return kNames[size_t(p)];
}

Status ComponentDecoder::canon(Reader& r, CanonDef* d) {
  EMBER_ASSIGN(d->op, r.u8());
  Shape shape = shape_of(d->op);
  auto func_sort = [&]() -> Status {
    uint64_t at = r.offset();
    EMBER_ASSIGN(uint8_t b, r.u8());
    if (b != 0x00) return r.fail_at("malformed canon: expected the func sort", at);
    return Status::Ok();
  };
  switch (shape) {
    case Shape::Lift: {
      EMBER_TRY(func_sort());
      EMBER_ASSIGN(d->func, r.u32());
      EMBER_TRY(canon_opts(r, d));
      EMBER_ASSIGN(d->type, r.u32());
      return Status::Ok();
    }
    case Shape::Lower: {
      EMBER_TRY(func_sort());
      EMBER_ASSIGN(d->func, r.u32());
      return canon_opts(r, d);
    }
    case Shape::Type: {
      EMBER_ASSIGN(d->type, r.u32());
      return Status::Ok();
    }
    case Shape::None: {
      return Status::Ok();
    }
    case Shape::ResultOpts: {
      uint64_t at = r.offset();
      EMBER_ASSIGN(uint8_t b, r.u8());
      if (b == 0x00) {
        EMBER_ASSIGN(ValTypeRef t, val_type(r));
        d->result = t;
      } else if (b == 0x01) {
        EMBER_ASSIGN(uint8_t z, r.u8());
        if (z != 0x00) return r.fail_at("malformed result list", at);
      } else {
        return r.fail_at("malformed result list", at);
      }
      return canon_opts(r, d);
    }
    case Shape::Context: {
      EMBER_ASSIGN(d->core_type, core_val_type(r));
      EMBER_ASSIGN(d->extra, r.u32());
      return Status::Ok();
    }
    case Shape::Flag: {
      EMBER_ASSIGN(d->flag, flag(r));
      return Status::Ok();
    }
    case Shape::TypeOpts: {
      EMBER_ASSIGN(d->type, r.u32());
      return canon_opts(r, d);
    }
    case Shape::TypeFlag: {
      EMBER_ASSIGN(d->type, r.u32());
      EMBER_ASSIGN(d->flag, flag(r));
      return Status::Ok();
    }
    case Shape::Opts: {
      return canon_opts(r, d);
    }
    case Shape::FlagMemory: {
      EMBER_ASSIGN(d->flag, flag(r));
      EMBER_ASSIGN(d->extra, r.u32());
      return Status::Ok();
    }
    case Shape::TypeTable: {
      EMBER_ASSIGN(d->type, r.u32());
      EMBER_ASSIGN(d->extra, r.u32());
      return Status::Ok();
    }
    case Shape::FlagType: {
      EMBER_ASSIGN(d->flag, flag(r));
      EMBER_ASSIGN(d->type, r.u32());
      return Status::Ok();
    }
    case Shape::FlagTypeTable: {
      EMBER_ASSIGN(d->flag, flag(r));
      EMBER_ASSIGN(d->type, r.u32());
      EMBER_ASSIGN(d->extra, r.u32());
      return Status::Ok();
    }
    case Shape::Unknown: break;
  }
  return r.fail_at("malformed canon opcode", d->offset);
}

}  // namespace ember::comp
