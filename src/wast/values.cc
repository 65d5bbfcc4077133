// Script values: conversion, comparison and printing; the spectest module.
#include "wast/values.hh"

#include <cstdio>
#include <cstring>

namespace ember::wast {

rt::ExternObj* ExternRefs::get(uint64_t id) {
  auto it = objs_.find(id);
  if (it != objs_.end()) return it->second.obj;
  rt::ExternObj* o = rt::create_extern(store_, id, nullptr);
  objs_.emplace(id, Held{o, rt::make_root(store_, rt::gc_slot(o))});
  return o;
}

bool arg_to_slots(const Value& v, ValType t, rt::Slot* out, ExternRefs& refs) {
  switch (v.kind) {
    case ValueKind::I32:
    case ValueKind::F32:
      if (v.type != t) return false;
      out[0] = uint32_t(v.bits);
      return true;
    case ValueKind::I64:
    case ValueKind::F64:
      if (v.type != t) return false;
      out[0] = v.bits;
      return true;
    case ValueKind::V128:
      if (t != ValType::V128) return false;
      out[0] = v.bits;
      out[1] = v.bits_hi;
      return true;
    case ValueKind::RefNull:
      if (!is_ref(t) || !t.nullable()) return false;
      out[0] = 0;
      return true;
    case ValueKind::RefExtern:
    case ValueKind::RefHost:
      // A host reference, or the same internalized (any.convert_extern)
      // where an anyref is expected.
      if (t.kind() != ValKind::ExternRef && t.kind() != ValKind::AnyRef) return false;
      if (t.has_index() || (t.heap() != HeapKind::Extern && t.heap() != HeapKind::Any))
        return false;
      out[0] = reinterpret_cast<rt::Slot>(refs.get(v.bits));
      return true;
    default: return false;
  }
}

namespace {

bool is_canonical_nan(uint64_t bits, unsigned width) {
  if (width == 32) return (bits & 0x7fffffffu) == 0x7fc00000u;
  return (bits & 0x7fffffffffffffffull) == 0x7ff8000000000000ull;
}

bool is_arithmetic_nan(uint64_t bits, unsigned width) {
  if (width == 32) return (bits & 0x7fc00000u) == 0x7fc00000u;
  return (bits & 0x7ff8000000000000ull) == 0x7ff8000000000000ull;
}

unsigned float_width(const Value& v) {
  return v.type == ValType::F64 ? 64 : 32;
}

// A scalar expectation against raw bits of `width` bits.
bool scalar_matches(const Value& e, uint64_t bits, unsigned width) {
  uint64_t mask = width == 64 ? ~0ull : (1ull << width) - 1;
  switch (e.kind) {
    case ValueKind::NanCanonical: return is_canonical_nan(bits, width);
    case ValueKind::NanArithmetic: return is_arithmetic_nan(bits, width);
    default: return (bits & mask) == (e.bits & mask);
  }
}

uint64_t lane_of(const rt::Slot* s, unsigned lane_bits, size_t i) {
  size_t bit = i * lane_bits;
  uint64_t word = s[bit / 64];
  uint64_t mask = lane_bits == 64 ? ~0ull : (1ull << lane_bits) - 1;
  return (word >> (bit % 64)) & mask;
}

bool v128_matches(const Value& e, const rt::Slot* s) {
  if (e.lane_bits == 0 || e.lanes.empty()) return s[0] == e.bits && s[1] == e.bits_hi;
  for (size_t i = 0; i < e.lanes.size(); i++)
    if (!scalar_matches(e.lanes[i], lane_of(s, e.lane_bits, i), e.lane_bits)) return false;
  return true;
}

// The host reference id of slot `s` of the any or extern hierarchy, if it
// holds a host extern.
bool host_id(ValType t, rt::Slot s, uint64_t* id) {
  if (t.kind() != ValKind::ExternRef && t.kind() != ValKind::AnyRef) return false;
  if (!rt::is_host_extern(s)) return false;
  *id = static_cast<const rt::ExternObj*>(rt::gc_obj(s))->host_id;
  return true;
}

// The kind of GC object slot `s` of the any hierarchy points at.
bool gc_kind_is(ValType t, rt::Slot s, rt::ObjKind k) {
  return t.kind() == ValKind::AnyRef && s != 0 && !rt::is_i31(s) && rt::gc_obj(s)->type->kind == k;
}

bool ref_matches(const Value& e, ValType t, rt::Slot s) {
  uint64_t id = 0;
  switch (e.kind) {
    case ValueKind::RefNull:
      return s == 0 && (e.ref_null_any || e.type.kind() == t.kind() || !is_ref(e.type));
    case ValueKind::RefFunc: return s != 0 && t.kind() == ValKind::FuncRef;
    case ValueKind::RefExtern:
      if (t.kind() != ValKind::ExternRef || s == 0) return false;
      return e.ref_extern_any || (host_id(t, s, &id) && id == e.bits);
    case ValueKind::RefHost: return host_id(t, s, &id) && id == e.bits;
    case ValueKind::RefAny: return s != 0;
    case ValueKind::RefEq:
      return t.kind() == ValKind::AnyRef && s != 0 &&
             (rt::is_i31(s) || rt::gc_obj(s)->type->kind != rt::ObjKind::Extern);
    case ValueKind::RefI31: return t.kind() == ValKind::AnyRef && rt::is_i31(s);
    case ValueKind::RefStruct: return gc_kind_is(t, s, rt::ObjKind::Struct);
    case ValueKind::RefArray: return gc_kind_is(t, s, rt::ObjKind::Array);
    default: return false;
  }
}

// How a non-null reference of the any or extern hierarchy prints.
std::string describe_gc(ValType t, rt::Slot s) {
  uint64_t id = 0;
  if (host_id(t, s, &id))
    return (t.kind() == ValKind::ExternRef ? "ref.extern " : "ref.host ") + std::to_string(id);
  if (rt::is_i31(s)) return "ref.i31 " + std::to_string(rt::i31_get_u(s));
  const char* what = rt::gc_obj(s)->type->kind == rt::ObjKind::Struct ? "struct" : "array";
  return (t.kind() == ValKind::ExternRef ? "ref.extern (" : "ref.") + std::string(what) +
         (t.kind() == ValKind::ExternRef ? ")" : "");
}

}  // namespace

bool result_matches(const Value& e, ValType t, const rt::Slot* slots) {
  switch (e.kind) {
    case ValueKind::Either:
      for (const Value& alt : e.alternatives)
        if (result_matches(alt, t, slots)) return true;
      return false;
    case ValueKind::I32:
    case ValueKind::I64:
    case ValueKind::F32:
    case ValueKind::F64:
      return e.type == t &&
             scalar_matches(e, slots[0], t == ValType::I64 || t == ValType::F64 ? 64 : 32);
    case ValueKind::NanCanonical:
    case ValueKind::NanArithmetic:
      if (t == ValType::V128) return false;
      return t == e.type && scalar_matches(e, slots[0], float_width(e));
    case ValueKind::V128: return t == ValType::V128 && v128_matches(e, slots);
    default: return is_ref(t) && ref_matches(e, t, slots[0]);
  }
}

std::string describe_result(ValType t, const rt::Slot* slots) {
  char buf[96];
  switch (t.kind()) {
    case ValKind::I32:
    case ValKind::F32:
      std::snprintf(buf, sizeof buf, "%s:0x%08llx", val_type_name(t).c_str(),
                    (unsigned long long)uint32_t(slots[0]));
      break;
    case ValKind::I64:
    case ValKind::F64:
      std::snprintf(buf, sizeof buf, "%s:0x%016llx", val_type_name(t).c_str(),
                    (unsigned long long)slots[0]);
      break;
    case ValKind::V128:
      std::snprintf(buf, sizeof buf, "v128:0x%016llx%016llx", (unsigned long long)slots[1],
                    (unsigned long long)slots[0]);
      break;
    case ValKind::FuncRef:
      std::snprintf(buf, sizeof buf, "%s", slots[0] ? "ref.func" : "ref.null func");
      break;
    case ValKind::ExnRef:
      std::snprintf(buf, sizeof buf, "%s", slots[0] ? "ref.exn" : "ref.null exn");
      break;
    case ValKind::ExternRef:
    case ValKind::AnyRef:
      if (slots[0] != 0) return describe_gc(t, slots[0]);
      std::snprintf(buf, sizeof buf, "%s",
                    t.kind() == ValKind::ExternRef ? "ref.null extern" : "ref.null any");
      break;
    case ValKind::Bottom: std::snprintf(buf, sizeof buf, "?"); break;
  }
  return buf;
}

std::string describe_expected(const Value& v) {
  char buf[96];
  switch (v.kind) {
    case ValueKind::NanCanonical: return std::string(val_type_name(v.type)) + ":nan:canonical";
    case ValueKind::NanArithmetic: return std::string(val_type_name(v.type)) + ":nan:arithmetic";
    case ValueKind::V128:
      if (v.lane_bits != 0) return "v128 (lanes)";
      std::snprintf(buf, sizeof buf, "v128:0x%016llx%016llx", (unsigned long long)v.bits_hi,
                    (unsigned long long)v.bits);
      return buf;
    case ValueKind::RefNull: return "ref.null";
    case ValueKind::RefFunc: return "ref.func";
    case ValueKind::RefExtern: return "ref.extern " + std::to_string(v.bits);
    case ValueKind::RefHost: return "ref.host " + std::to_string(v.bits);
    case ValueKind::RefAny: return "ref.any";
    case ValueKind::RefEq: return "ref.eq";
    case ValueKind::RefI31: return "ref.i31";
    case ValueKind::RefStruct: return "ref.struct";
    case ValueKind::RefArray: return "ref.array";
    case ValueKind::Either: {
      std::string s = "either(";
      for (const Value& a : v.alternatives) s += describe_expected(a) + " ";
      return s + ")";
    }
    default: {
      rt::Slot s[2] = {v.bits, v.bits_hi};
      return describe_result(v.type, s);
    }
  }
}

// ---- spectest ----------------------------------------------------------------

std::map<std::string, rt::Extern> make_spectest(rt::StoreData& s) {
  std::map<std::string, rt::Extern> m;
  auto print = [&](const char* name, std::vector<ValType> params) {
    rt::HostFn fn = [](rt::HostCall&, rt::Slot*) { return TrapCode::None; };
    m[name] = {ExternKind::Func, rt::create_host_func(s, FuncType{std::move(params), {}}, fn)};
  };
  print("print", {});
  print("print_i32", {ValType::I32});
  print("print_i64", {ValType::I64});
  print("print_f32", {ValType::F32});
  print("print_f64", {ValType::F64});
  print("print_i32_f32", {ValType::I32, ValType::F32});
  print("print_f64_f64", {ValType::F64, ValType::F64});

  auto global = [&](const char* name, ValType t, rt::Slot bits) {
    rt::Slot v[2] = {bits, 0};
    m[name] = {ExternKind::Global, rt::create_global(s, GlobalType{t, false}, v)};
  };
  float f = 666.6f;
  double d = 666.6;
  uint32_t fb;
  uint64_t db;
  std::memcpy(&fb, &f, 4);
  std::memcpy(&db, &d, 8);
  global("global_i32", ValType::I32, 666);
  global("global_i64", ValType::I64, 666);
  global("global_f32", ValType::F32, fb);
  global("global_f64", ValType::F64, db);

  TableType tt;
  tt.elem = ValType::FuncRef;
  tt.limits.min = 10;
  tt.limits.max = 20;
  if (Expected<rt::TableInst*> t = rt::create_table(s, tt, nullptr))
    m["table"] = {ExternKind::Table, *t};
  tt.limits.is64 = true;  // the same with a 64-bit index (table64)
  if (Expected<rt::TableInst*> t = rt::create_table(s, tt, nullptr))
    m["table64"] = {ExternKind::Table, *t};
  MemoryType mt;
  mt.limits.min = 1;
  mt.limits.max = 2;
  if (Expected<rt::MemoryInst*> mem = rt::create_memory(s, mt))
    m["memory"] = {ExternKind::Memory, *mem};
  mt.limits.shared = true;  // the same, shared (threads)
  if (Expected<rt::MemoryInst*> mem = rt::create_memory(s, mt))
    m["shared_memory"] = {ExternKind::Memory, *mem};
  return m;
}

}  // namespace ember::wast
