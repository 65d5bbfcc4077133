// The canonical ABI at run time: Value trees to and from core values
// ("flat": at most 16 parameters, 1 result) and linear memory, as the
// component model's CanonicalABI.md defines them, for calls into a lifted
// function and for `canon lower` of one.
//
// Core values travel as raw 64-bit slots (an i32 or f32 in the low half,
// zero-extended). In those terms a variant's joined payload needs no
// conversion when lowered (an f32 in an i32 or i64 slot keeps its bits);
// lifting a 32-bit value out of an i64 slot takes the low half.
// Sizes and alignments are the validator's (VType::size, align, flat).
#include <cstring>

#include "canon/canon.hh"
#include "support/utf8.hh"

namespace ember::component {
namespace {

using comp::Prim;
using comp::TypeKind;
using comp::VType;

constexpr uint32_t kMaxStringBytes = (1u << 31) - 1;

[[noreturn]] void trap(const std::string& what) {
  throw Trap(what);
}
[[noreturn]] void bad_disc(uint64_t disc, size_t cases) {
  trap("discriminant " + std::to_string(disc) + " out of range [0.." + std::to_string(cases) + ")");
}
[[noreturn]] void bad_value(const std::string& what) {
  throw WasmError(ErrorKind::Internal, what);
}

uint64_t align_to(uint64_t x, uint64_t a) {
  return (x + a - 1) / a * a;
}

// The cases of a variant-like type, as payload type ids (kNoType: none).
std::vector<TypeId> cases_of(const VType& t) {
  switch (t.kind) {
    case TypeKind::Variant: return t.kids;
    case TypeKind::Enum: return std::vector<TypeId>(t.names.size(), comp::kNoType);
    case TypeKind::Option: return {comp::kNoType, t.kids[0]};
    case TypeKind::Result: return {t.ok, t.err};
    default: return {};
  }
}

uint32_t disc_size(size_t cases) {
  return cases <= 256 ? 1 : cases <= 65536 ? 2 : 4;
}

// The payload offset of a variant-like type in memory.
uint64_t payload_offset(const comp::ComponentTypes& T, const std::vector<TypeId>& cases) {
  uint32_t a = 1;
  for (TypeId c : cases)
    if (c != comp::kNoType) a = std::max(a, T[c].align);
  return align_to(disc_size(cases.size()), a);
}

bool valid_char(uint64_t c) {
  return c < 0xD800 || (c >= 0xE000 && c < 0x110000);
}

// ---- text encodings ----------------------------------------------------------

// The scalar values of valid UTF-8.
std::vector<uint32_t> utf8_scalars(std::string_view s) {
  std::vector<uint32_t> out;
  const uint8_t* p = reinterpret_cast<const uint8_t*>(s.data());
  for (size_t i = 0; i < s.size();) {
    size_t n = utf8_sequence_length(p + i, s.size() - i);
    uint32_t c = n == 1 ? p[i] : p[i] & (0xFFu >> (n + 1));
    for (size_t k = 1; k < n; k++) c = (c << 6) | (p[i + k] & 0x3F);
    out.push_back(c);
    i += n;
  }
  return out;
}

// ---- memory --------------------------------------------------------------------

class Mem {
 public:
  explicit Mem(const Options& o) : o_(o) {}

  uint8_t* at(uint64_t ptr, uint64_t len, uint32_t align, const char* what) const {
    if (!o_.memory) bad_value("no memory for a value passed through memory");
    if (ptr % align != 0) trap(std::string("unaligned pointer: ") + what);
    if (ptr + len > o_.memory->data_size())
      trap(std::string(what) + " pointer/length out of bounds of memory");
    return o_.memory->data() + ptr;
  }

  uint32_t alloc(uint64_t size, uint32_t align, const char* what) {
    if (!o_.realloc) bad_value("no realloc for a value passed through memory");
    if (size > UINT32_MAX) trap(std::string(what) + " too large to pass through memory");
    uint64_t slots[4] = {0, 0, align, size};
    o_.realloc->call_raw(slots);
    uint32_t ptr = uint32_t(slots[0]);
    at(ptr, size, align, "realloc result");
    return ptr;
  }

  uint64_t load(uint64_t ptr, uint32_t n) const {
    uint64_t v = 0;
    std::memcpy(&v, at(ptr, n, 1, "value"), n);
    return v;
  }
  void store(uint64_t ptr, uint32_t n, uint64_t v) const {
    std::memcpy(at(ptr, n, 1, "value"), &v, n);
  }

 private:
  const Options& o_;
};

// ---- lowering: host value -> guest ---------------------------------------------

// Borrowed handles lent to a callee for one call (index, generation): each
// must be dropped by the time the call returns.
using Lent = std::vector<std::pair<uint32_t, uint64_t>>;

const std::shared_ptr<RType>& resource_of(const ResourceMap* m, const VType& t) {
  if (!m) bad_value("a resource type this instance does not know");
  auto it = m->find(t.resource);
  if (it == m->end()) bad_value("a resource type this instance does not know");
  return it->second;
}

class Lower {
 public:
  Lower(const comp::ComponentTypes& T, const Options& o, const ResourceMap* r = nullptr,
        Lent* lent = nullptr)
      : T_(T), o_(o), mem_(o), resources_(r), lent_(lent) {}

  void flat(TypeId id, const Value& v, std::vector<uint64_t>& out) {
    const VType& t = T_[id];
    switch (t.kind) {
      case TypeKind::Prim: return prim_flat(t.prim, v, out);
      case TypeKind::List: {
        auto [ptr, len] = list(t, v);
        out.push_back(ptr);
        out.push_back(len);
        return;
      }
      case TypeKind::Record:
      case TypeKind::Tuple:
        fields(t, v);
        for (size_t i = 0; i < t.kids.size(); i++) flat(t.kids[i], v.items[i], out);
        return;
      case TypeKind::Flags: out.push_back(flags(t, v)); return;
      case TypeKind::Variant:
      case TypeKind::Enum:
      case TypeKind::Option:
      case TypeKind::Result: {
        std::vector<TypeId> cases = cases_of(t);
        TypeId payload = which_case(cases, v);
        size_t start = out.size();
        out.push_back(v.num);
        if (payload != comp::kNoType) flat(payload, v.items[0], out);
        while (out.size() < start + t.flat.size()) out.push_back(0);
        return;
      }
      case TypeKind::Own:
      case TypeKind::Borrow: out.push_back(handle(t, v)); return;
      default: bad_value("values of this type are not supported yet");
    }
  }

  void store(TypeId id, const Value& v, uint64_t ptr) {
    const VType& t = T_[id];
    switch (t.kind) {
      case TypeKind::Prim: return prim_store(t.prim, v, ptr);
      case TypeKind::List: {
        auto [p, len] = list(t, v);
        mem_.store(ptr, 4, p);
        mem_.store(ptr + 4, 4, len);
        return;
      }
      case TypeKind::Record:
      case TypeKind::Tuple: {
        fields(t, v);
        uint64_t off = 0;
        for (size_t i = 0; i < t.kids.size(); i++) {
          const VType& f = T_[t.kids[i]];
          off = align_to(off, f.align);
          store(t.kids[i], v.items[i], ptr + off);
          off += f.size;
        }
        return;
      }
      case TypeKind::Flags: mem_.store(ptr, uint32_t(t.size), flags(t, v)); return;
      case TypeKind::Variant:
      case TypeKind::Enum:
      case TypeKind::Option:
      case TypeKind::Result: {
        std::vector<TypeId> cases = cases_of(t);
        TypeId payload = which_case(cases, v);
        mem_.store(ptr, disc_size(cases.size()), v.num);
        if (payload != comp::kNoType) store(payload, v.items[0], ptr + payload_offset(T_, cases));
        return;
      }
      case TypeKind::Own:
      case TypeKind::Borrow: mem_.store(ptr, 4, handle(t, v)); return;
      default: bad_value("values of this type are not supported yet");
    }
  }

  // A tuple of values (parameters passed through memory) at a new place.
  uint32_t store_tuple(const std::vector<TypeId>& types, std::span<const Value> vals) {
    uint64_t size = 0;
    uint32_t align = 1;
    for (TypeId id : types) {
      size = align_to(size, T_[id].align) + T_[id].size;
      align = std::max(align, T_[id].align);
    }
    uint32_t ptr = mem_.alloc(align_to(size, align), align, "parameters");
    uint64_t off = 0;
    for (size_t i = 0; i < types.size(); i++) {
      off = align_to(off, T_[types[i]].align);
      store(types[i], vals[i], ptr + off);
      off += T_[types[i]].size;
    }
    return ptr;
  }

  Mem& mem() { return mem_; }

 private:
  // A host handle into the callee's table: an owned one moves there; a
  // borrowed one is lent for the call (its representation itself when the
  // callee defined the type).
  uint32_t handle(const VType& t, const Value& v) {
    if (!v.resource) bad_value("expected a resource handle");
    ResourceState& r = *v.resource;
    const std::shared_ptr<RType>& rt = resource_of(resources_, t);
    if (!same_type(*r.type, *rt)) bad_value("mismatched resource types");
    if (r.consumed) bad_value("resource already consumed");
    if (!o_.state) bad_value("no handle table to pass a resource to");
    if (t.kind == TypeKind::Own) {
      if (!r.owned) bad_value("cannot lower a `borrow` resource into an `own`");
      if (!rt->host) r.consumed = true;  // a host handle is a value; a guest's moves
      return o_.state->insert(rt, r.rep, true);
    }
    if (rt->owner.lock() == o_.state) return r.rep;
    uint32_t i = o_.state->insert(rt, r.rep, false);
    if (lent_) lent_->emplace_back(i, o_.state->handles[i].generation);
    return i;
  }

  void fields(const VType& t, const Value& v) {
    if (v.items.size() != t.kids.size())
      bad_value("expected " + std::to_string(t.kids.size()) + " fields, got " +
                std::to_string(v.items.size()));
  }

  TypeId which_case(const std::vector<TypeId>& cases, const Value& v) {
    if (v.num >= cases.size()) bad_value("case " + std::to_string(v.num) + " out of range");
    TypeId payload = cases[v.num];
    if (v.items.size() != (payload != comp::kNoType ? 1u : 0u))
      bad_value(payload != comp::kNoType ? "a case needs its payload" : "a case has no payload");
    return payload;
  }

  uint64_t flags(const VType& t, const Value& v) {
    size_t n = t.names.size();
    if (n < 64 && (v.num >> n) != 0) bad_value("a flag beyond the type's flags is set");
    return v.num;
  }

  static uint64_t prim_bits(Prim p, const Value& v) {
    switch (p) {
      case Prim::Bool: return v.num != 0;
      case Prim::S8:
      case Prim::U8: return uint8_t(v.num);
      case Prim::S16:
      case Prim::U16: return uint16_t(v.num);
      case Prim::S32:
      case Prim::U32:
      case Prim::F32: return uint32_t(v.num);
      case Prim::Char:
        if (!valid_char(v.num)) bad_value("not a Unicode scalar value");
        return v.num;
      default: return v.num;
    }
  }

  // A primitive's value has no fields, payload or resource: a host
  // function that returns another shape than its declared type (a WASI
  // function imported with another result type) is refused, not read as
  // a number.
  static void scalar(const Value& v) {
    if (!v.items.empty() || v.resource)
      bad_value("expected a primitive value, got a compound value or a resource");
  }

  void prim_flat(Prim p, const Value& v, std::vector<uint64_t>& out) {
    scalar(v);
    if (p == Prim::String) {
      auto [ptr, len] = string(v.bytes);
      out.push_back(ptr);
      out.push_back(len);
      return;
    }
    if (p == Prim::ErrorContext) bad_value("error-context values are not supported yet");
    out.push_back(prim_bits(p, v));
  }

  void prim_store(Prim p, const Value& v, uint64_t ptr) {
    static const uint8_t kSize[] = {1, 1, 1, 2, 2, 4, 4, 8, 8, 4, 8, 4};
    scalar(v);
    if (p == Prim::String) {
      auto [s, len] = string(v.bytes);
      mem_.store(ptr, 4, s);
      mem_.store(ptr + 4, 4, len);
      return;
    }
    if (p == Prim::ErrorContext) bad_value("error-context values are not supported yet");
    mem_.store(ptr, kSize[size_t(p)], prim_bits(p, v));
  }

  std::pair<uint32_t, uint32_t> string(const std::string& s) {
    if (!is_valid_utf8(s)) bad_value("a string is not valid UTF-8");
    if (o_.encoding == Encoding::Utf8) {
      if (s.size() > kMaxStringBytes) trap("string too large to pass");
      uint32_t ptr = mem_.alloc(s.size(), 1, "string");
      if (!s.empty()) std::memcpy(mem_.at(ptr, s.size(), 1, "string"), s.data(), s.size());
      return {ptr, uint32_t(s.size())};
    }
    std::vector<uint32_t> cs = utf8_scalars(s);
    bool latin1 = o_.encoding == Encoding::Latin1Utf16;
    for (uint32_t c : cs) latin1 &= c < 256;
    if (latin1) {
      uint32_t ptr = mem_.alloc(cs.size(), 2, "string");
      uint8_t* p = mem_.at(ptr, cs.size(), 1, "string");
      for (size_t i = 0; i < cs.size(); i++) p[i] = uint8_t(cs[i]);
      return {ptr, uint32_t(cs.size())};
    }
    std::vector<uint16_t> units;
    for (uint32_t c : cs) {
      if (c < 0x10000) {
        units.push_back(uint16_t(c));
      } else {
        units.push_back(uint16_t(0xD800 + ((c - 0x10000) >> 10)));
        units.push_back(uint16_t(0xDC00 + ((c - 0x10000) & 0x3FF)));
      }
    }
    if (units.size() > kMaxStringBytes / 2) trap("string too large to pass");
    uint32_t ptr = mem_.alloc(units.size() * 2, 2, "string");
    if (!units.empty())
      std::memcpy(mem_.at(ptr, units.size() * 2, 2, "string"), units.data(), units.size() * 2);
    uint32_t len = uint32_t(units.size());
    if (o_.encoding == Encoding::Latin1Utf16) len |= 1u << 31;
    return {ptr, len};
  }

  std::pair<uint32_t, uint32_t> list(const VType& t, const Value& v) {
    const VType& e = T_[t.kids[0]];
    bool bytes = e.kind == TypeKind::Prim && e.prim == Prim::U8;
    uint64_t n = bytes ? v.bytes.size() : v.items.size();
    if (n * e.size > UINT32_MAX) trap("list too large to pass");
    uint32_t ptr = mem_.alloc(n * e.size, e.align, "list");
    if (bytes) {
      if (n) std::memcpy(mem_.at(ptr, n, 1, "list"), v.bytes.data(), n);
    } else {
      for (uint64_t i = 0; i < n; i++) store(t.kids[0], v.items[i], ptr + i * e.size);
    }
    return {ptr, uint32_t(n)};
  }

  const comp::ComponentTypes& T_;
  const Options& o_;
  Mem mem_;
  const ResourceMap* resources_;
  Lent* lent_;
};

// ---- lifting: guest -> host ------------------------------------------------------

// The handles of a caller that a call borrows (index, generation): each is
// lent (its `lends` counted) until the call returns.
class Lenders {
 public:
  explicit Lenders(std::shared_ptr<InstanceState> s) : s_(std::move(s)) {}
  void add(uint32_t index) {
    s_->handles[index].lends++;
    lent_.emplace_back(index, s_->handles[index].generation);
  }
  ~Lenders() {
    for (auto [index, generation] : lent_) {
      Handle& h = s_->handles[index];
      if (h.used && h.generation == generation && h.lends > 0) h.lends--;
    }
  }

 private:
  std::shared_ptr<InstanceState> s_;
  Lent lent_;
};

class Lift {
 public:
  Lift(const comp::ComponentTypes& T, const Options& o, const ResourceMap* r = nullptr,
       Lenders* lenders = nullptr)
      : T_(T), o_(o), mem_(o), resources_(r), lenders_(lenders) {}

  // Reads from flat slots; `i` advances past what the type takes.
  Value flat(TypeId id, const uint64_t* s, size_t& i) {
    const VType& t = T_[id];
    switch (t.kind) {
      case TypeKind::Prim: {
        if (t.prim == Prim::String) {
          uint64_t ptr = uint32_t(s[i]), len = uint32_t(s[i + 1]);
          i += 2;
          return Value::of_string(string(ptr, len));
        }
        return Value::of(prim(t.prim, s[i++]));
      }
      case TypeKind::List: {
        uint64_t ptr = uint32_t(s[i]), len = uint32_t(s[i + 1]);
        i += 2;
        return list(t, ptr, len);
      }
      case TypeKind::Record:
      case TypeKind::Tuple: {
        Value v;
        for (TypeId k : t.kids) v.items.push_back(flat(k, s, i));
        return v;
      }
      case TypeKind::Flags: return Value::of(flags(t, s[i++]));
      case TypeKind::Variant:
      case TypeKind::Enum:
      case TypeKind::Option:
      case TypeKind::Result: {
        std::vector<TypeId> cases = cases_of(t);
        size_t end = i + t.flat.size();
        uint64_t disc = uint32_t(s[i++]);
        if (disc >= cases.size()) bad_disc(disc, cases.size());
        Value v = Value::of(disc);
        if (cases[disc] != comp::kNoType) v.items.push_back(flat(cases[disc], s, i));
        i = end;
        return v;
      }
      case TypeKind::Own:
      case TypeKind::Borrow: return handle(t, uint32_t(s[i++]));
      default: bad_value("values of this type are not supported yet");
    }
  }

  Value load(TypeId id, uint64_t ptr) {
    const VType& t = T_[id];
    mem_.at(ptr, t.size, t.align, "value");
    switch (t.kind) {
      case TypeKind::Prim: {
        if (t.prim == Prim::String)
          return Value::of_string(string(mem_.load(ptr, 4), mem_.load(ptr + 4, 4)));
        return Value::of(prim(t.prim, mem_.load(ptr, uint32_t(t.size))));
      }
      case TypeKind::List: return list(t, mem_.load(ptr, 4), mem_.load(ptr + 4, 4));
      case TypeKind::Record:
      case TypeKind::Tuple: {
        Value v;
        uint64_t off = 0;
        for (TypeId k : t.kids) {
          off = align_to(off, T_[k].align);
          v.items.push_back(load(k, ptr + off));
          off += T_[k].size;
        }
        return v;
      }
      case TypeKind::Flags: return Value::of(flags(t, mem_.load(ptr, uint32_t(t.size))));
      case TypeKind::Variant:
      case TypeKind::Enum:
      case TypeKind::Option:
      case TypeKind::Result: {
        std::vector<TypeId> cases = cases_of(t);
        uint64_t disc = mem_.load(ptr, disc_size(cases.size()));
        if (disc >= cases.size()) bad_disc(disc, cases.size());
        Value v = Value::of(disc);
        if (cases[disc] != comp::kNoType)
          v.items.push_back(load(cases[disc], ptr + payload_offset(T_, cases)));
        return v;
      }
      case TypeKind::Own:
      case TypeKind::Borrow: return handle(t, uint32_t(mem_.load(ptr, 4)));
      default: bad_value("values of this type are not supported yet");
    }
  }

  Mem& mem() { return mem_; }

 private:
  // A handle out of the caller's table: an owned one leaves it; a borrowed
  // view of any handle stays.
  Value handle(const VType& t, uint32_t index) {
    const std::shared_ptr<RType>& rt = resource_of(resources_, t);
    if (!o_.state) bad_value("no handle table to take a resource from");
    auto r = std::make_shared<ResourceState>();
    if (t.kind == TypeKind::Own) {
      Handle h = o_.state->remove(index, *rt);
      if (!h.own) trap("handle index " + std::to_string(index) + " is a borrow, not owned");
      *r = ResourceState{h.type, h.rep, true, false};
    } else {
      const Handle& h = o_.state->get(index, *rt);
      *r = ResourceState{h.type, h.rep, false, false};
      if (lenders_ && h.own) lenders_->add(index);
    }
    Value v;
    v.resource = std::move(r);
    return v;
  }

  static uint64_t prim(Prim p, uint64_t raw) {
    switch (p) {
      case Prim::Bool: return (raw & 0xFFFFFFFF) != 0;
      case Prim::S8: return uint64_t(int64_t(int8_t(raw)));
      case Prim::U8: return uint8_t(raw);
      case Prim::S16: return uint64_t(int64_t(int16_t(raw)));
      case Prim::U16: return uint16_t(raw);
      case Prim::S32: return uint64_t(int64_t(int32_t(raw)));
      case Prim::U32:
      case Prim::F32: return uint32_t(raw);
      case Prim::Char:
        if (!valid_char(uint32_t(raw)) || (raw >> 32) != 0)
          trap("converted integer out of range for `char`");
        return uint32_t(raw);
      default: return raw;
    }
  }

  static uint64_t flags(const VType& t, uint64_t raw) {
    size_t n = t.names.size();
    return n >= 64 ? raw : raw & ((uint64_t{1} << n) - 1);
  }

  std::string string(uint64_t ptr, uint64_t len) {
    std::string out;
    bool utf16 = o_.encoding == Encoding::Utf16;
    if (o_.encoding == Encoding::Latin1Utf16 && (len & (1u << 31))) {
      utf16 = true;
      len &= ~(uint64_t{1} << 31);
    }
    if (o_.encoding == Encoding::Utf8) {
      const uint8_t* p = mem_.at(ptr, len, 1, "string");
      out.assign(reinterpret_cast<const char*>(p), len);
      if (!is_valid_utf8(out)) trap("invalid utf-8 in string");
      return out;
    }
    if (!utf16) {
      const uint8_t* p = mem_.at(ptr, len, 2, "string");
      for (uint64_t i = 0; i < len; i++) append_utf8(out, p[i]);
      return out;
    }
    const uint8_t* p = mem_.at(ptr, len * 2, 2, "string");
    for (uint64_t i = 0; i < len; i++) {
      uint32_t u = uint32_t(p[2 * i]) | uint32_t(p[2 * i + 1]) << 8;
      if (u >= 0xD800 && u < 0xDC00 && i + 1 < len) {
        uint32_t w = uint32_t(p[2 * i + 2]) | uint32_t(p[2 * i + 3]) << 8;
        if (w >= 0xDC00 && w < 0xE000) {
          append_utf8(out, 0x10000 + ((u - 0xD800) << 10) + (w - 0xDC00));
          i++;
          continue;
        }
      }
      if (u >= 0xD800 && u < 0xE000) trap("invalid utf-16 in string");
      append_utf8(out, u);
    }
    return out;
  }

  Value list(const VType& t, uint64_t ptr, uint64_t len) {
    const VType& e = T_[t.kids[0]];
    mem_.at(ptr, len * e.size, e.align, "list");
    Value v;
    if (e.kind == TypeKind::Prim && e.prim == Prim::U8) {
      v.bytes.assign(reinterpret_cast<const char*>(mem_.at(ptr, len, 1, "list")), len);
      return v;
    }
    v.items.reserve(len);
    for (uint64_t i = 0; i < len; i++) v.items.push_back(load(t.kids[0], ptr + i * e.size));
    return v;
  }

  const comp::ComponentTypes& T_;
  const Options& o_;
  Mem mem_;
  const ResourceMap* resources_;
  Lenders* lenders_;
};

// Ends the borrows in `v` (of type `id`): a borrowed handle a host
// function received is valid for that call only.
void end_borrows(const comp::ComponentTypes& T, TypeId id, const Value& v) {
  const VType& t = T[id];
  if (t.kind == TypeKind::Borrow && v.resource) v.resource->consumed = true;
  if (!t.has_borrow) return;
  std::vector<TypeId> cases = cases_of(t);
  for (size_t i = 0; i < v.items.size(); i++) {
    TypeId k = t.kind == TypeKind::List ? t.kids[0]
               : !cases.empty()         ? cases[v.num < cases.size() ? v.num : 0]
               : i < t.kids.size()      ? t.kids[i]
                                        : comp::kNoType;
    if (k != comp::kNoType) end_borrows(T, k, v.items[i]);
  }
}

size_t flat_count(const comp::ComponentTypes& T, const std::vector<TypeId>& types) {
  size_t n = 0;
  for (TypeId id : types) n += T[id].flat.size();
  return n;
}

// Marks a component instance entered for the length of a call. A call
// that fails once inside (a trap, a value the guest got wrong) leaves it
// unenterable: the component model's rule that a trapped instance is never
// run again, which the `wasmtime` package follows.
class Enter {
 public:
  explicit Enter(InstanceState& s) : s_(s) {
    if (!s_.may_enter) trap("wasm trap: cannot enter component instance");
    s_.may_enter = false;
  }
  void done() { s_.may_enter = true; }

 private:
  InstanceState& s_;
};

}  // namespace

std::optional<Value> FuncImpl::call(std::span<const Value> args, StoreContext cx) {
  const comp::ComponentTypes& T = types();
  const VType& ft = T[type];
  if (args.size() != ft.kids.size())
    bad_value("expected " + std::to_string(ft.kids.size()) + " arguments, got " +
              std::to_string(args.size()));
  if (host) {
    struct End {
      const comp::ComponentTypes& T;
      const VType& ft;
      std::span<const Value> args;
      ~End() {
        for (size_t i = 0; i < args.size(); i++) end_borrows(T, ft.kids[i], args[i]);
      }
    } end{T, ft, args};
    std::optional<Value> r = host(cx, func_type(), args);
    if (r.has_value() != (ft.ok != comp::kNoType))
      bad_value(r ? "a host function returned a result its type does not have"
                  : "a host function returned no result");
    return r;
  }
  Enter enter(*state);
  std::vector<uint64_t> slots;
  Lent lent;
  Lower lower(T, opts, resources.get(), &lent);
  try {
    if (flat_count(T, ft.kids) > comp::kMaxFlatParams) {
      slots.push_back(lower.store_tuple(ft.kids, args));
    } else {
      for (size_t i = 0; i < args.size(); i++) lower.flat(ft.kids[i], args[i], slots);
    }
  } catch (const Trap&) {
    throw;
  } catch (const WasmError& e) {
    if (e.kind() == ErrorKind::Internal) enter.done();  // the host's value, not the guest's fault
    throw;
  }
  slots.resize(std::max<size_t>(slots.size(), std::max<size_t>(core->slot_count(), 1)));
  core->call_raw(slots.data());
  std::optional<Value> result;
  uint64_t ret = slots[0];
  if (ft.ok != comp::kNoType) {
    Lift lift(T, opts, resources.get());
    const VType& r = T[ft.ok];
    if (r.flat.size() > comp::kMaxFlatResults) {
      result = lift.load(ft.ok, uint32_t(ret));
    } else {
      size_t i = 0;
      result = lift.flat(ft.ok, slots.data(), i);
    }
  }
  for (auto [index, generation] : lent) {
    const Handle& h = state->handles[index];
    if (h.used && h.generation == generation)
      trap("borrow handles still remain at the end of the call");
  }
  if (post_return) {
    uint64_t pr[1] = {ret};
    post_return->call_raw(pr);
  }
  enter.done();
  return result;
}

ember::Func lower_func(Store& store, std::shared_ptr<FuncImpl> target, Options opts,
                       const ember::FuncType& core_type) {
  size_t nparams = core_type.params.size();
  return ember::Func::create(
      store, core_type,
      [target = std::move(target), opts = std::move(opts), nparams](Caller& caller,
                                                                    uint64_t* slots) {
        const comp::ComponentTypes& T = target->types();
        const VType& ft = T[target->type];
        Lenders lenders(opts.state);
        Lift lift(T, opts, target->resources.get(), &lenders);
        std::vector<Value> args;
        bool results_in_memory =
            ft.ok != comp::kNoType && T[ft.ok].flat.size() > comp::kMaxFlatResults;
        if (flat_count(T, ft.kids) > comp::kMaxFlatParams) {
          uint64_t ptr = uint32_t(slots[0]);
          uint64_t off = 0;
          uint32_t align = 1;
          for (TypeId k : ft.kids) align = std::max(align, T[k].align);
          lift.mem().at(ptr, 0, align, "parameters");
          for (TypeId k : ft.kids) {
            off = align_to(off, T[k].align);
            args.push_back(lift.load(k, ptr + off));
            off += T[k].size;
          }
        } else {
          size_t i = 0;
          for (TypeId k : ft.kids) args.push_back(lift.flat(k, slots, i));
        }
        uint64_t retptr = results_in_memory ? uint32_t(slots[nparams - 1]) : 0;
        std::optional<Value> result = target->call(args, StoreContext(caller.store()));
        if (!result) return;
        Lower lower(T, opts, target->resources.get());
        if (results_in_memory) {
          lower.mem().at(retptr, T[ft.ok].size, T[ft.ok].align, "result pointer");
          lower.store(ft.ok, *result, retptr);
        } else {
          std::vector<uint64_t> out;
          lower.flat(ft.ok, *result, out);
          for (size_t i = 0; i < out.size(); i++) slots[i] = out[i];
        }
      });
}

}  // namespace ember::component
