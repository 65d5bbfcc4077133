// A tiny wasm binary assembler for the validator and interpreter unit tests,
// plus helpers that compile, instantiate and call through the internal API.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "binary/decoder.hh"
#include "compile/compile.hh"
#include "runtime/runtime.hh"
#include "support/leb128.hh"
#include "validate/validate.hh"

namespace ember::testing {

using Bytes = std::vector<uint8_t>;

inline void uleb(Bytes& b, uint64_t v) {
  put_uleb(b, v);
}
inline void sleb(Bytes& b, int64_t v) {
  put_sleb(b, v);
}
inline Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}
inline Bytes i32c(int32_t v) {
  Bytes b{0x41};
  sleb(b, v);
  return b;
}
inline Bytes i64c(int64_t v) {
  Bytes b{0x42};
  sleb(b, v);
  return b;
}
inline Bytes lget(uint32_t x) {
  Bytes b{0x20};
  uleb(b, x);
  return b;
}
inline Bytes lset(uint32_t x) {
  Bytes b{0x21};
  uleb(b, x);
  return b;
}
inline Bytes ltee(uint32_t x) {
  Bytes b{0x22};
  uleb(b, x);
  return b;
}
inline Bytes call(uint32_t f) {
  Bytes b{0x10};
  uleb(b, f);
  return b;
}

constexpr uint8_t I32 = 0x7F, I64 = 0x7E, F32 = 0x7D, F64 = 0x7C, FUNCREF = 0x70;

class ModuleBuilder {
 public:
  uint32_t type(Bytes params, Bytes results) {
    Bytes t{0x60};
    uleb(t, params.size());
    t.insert(t.end(), params.begin(), params.end());
    uleb(t, results.size());
    t.insert(t.end(), results.begin(), results.end());
    types_.push_back(t);
    return uint32_t(types_.size() - 1);
  }
  // `locals` is the encoded local declarations (count + groups); `body`
  // the instructions including the final `end` (0x0B).
  uint32_t func(uint32_t type, Bytes locals, Bytes body, const std::string& export_name = "") {
    funcs_.push_back(type);
    Bytes code = locals;
    code.insert(code.end(), body.begin(), body.end());
    codes_.push_back(code);
    uint32_t index = num_func_imports_ + uint32_t(funcs_.size() - 1);
    if (!export_name.empty()) export_(export_name, 0, index);
    return index;
  }
  uint32_t import_func(const std::string& mod, const std::string& name, uint32_t type) {
    Bytes b;
    str(b, mod);
    str(b, name);
    b.push_back(0x00);
    uleb(b, type);
    imports_.push_back(b);
    return num_func_imports_++;
  }
  void memory(uint32_t min, std::optional<uint32_t> max = std::nullopt) {
    Bytes b{uint8_t(max ? 1 : 0)};
    uleb(b, min);
    if (max) uleb(b, *max);
    memories_.push_back(b);
  }
  void table(uint32_t min) {
    Bytes b{FUNCREF, 0x00};
    uleb(b, min);
    tables_.push_back(b);
  }
  // Active funcref segment at constant offset in table 0.
  void elem(uint32_t offset, const std::vector<uint32_t>& funcs) {
    Bytes b{0x00};
    Bytes off = i32c(int32_t(offset));
    b.insert(b.end(), off.begin(), off.end());
    b.push_back(0x0B);
    uleb(b, funcs.size());
    for (uint32_t f : funcs) uleb(b, f);
    elems_.push_back(b);
  }
  void export_(const std::string& name, uint8_t kind, uint32_t index) {
    Bytes b;
    str(b, name);
    b.push_back(kind);
    uleb(b, index);
    exports_.push_back(b);
  }
  void raw_section(uint8_t id, Bytes contents) { extra_.emplace_back(id, contents); }

  Bytes build() const {
    Bytes out{0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00};
    std::vector<Bytes> fs;
    for (uint32_t t : funcs_) {
      Bytes b;
      uleb(b, t);
      fs.push_back(b);
    }
    std::vector<Bytes> bodies;
    for (const Bytes& c : codes_) {
      Bytes b;
      uleb(b, c.size());
      b.insert(b.end(), c.begin(), c.end());
      bodies.push_back(b);
    }
    // Sections in the binary format's order (data count before code).
    const uint8_t order[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 10, 11};
    for (uint8_t id : order) {
      switch (id) {
        case 1: section(out, 1, types_); break;
        case 2: section(out, 2, imports_); break;
        case 3: section(out, 3, fs); break;
        case 4: section(out, 4, tables_); break;
        case 5: section(out, 5, memories_); break;
        case 7: section(out, 7, exports_); break;
        case 9: section(out, 9, elems_); break;
        case 10: section(out, 10, bodies); break;
        default: break;
      }
      for (auto& [eid, c] : extra_) {
        if (eid != id) continue;
        out.push_back(eid);
        uleb(out, c.size());
        out.insert(out.end(), c.begin(), c.end());
      }
    }
    return out;
  }

 private:
  static void str(Bytes& b, const std::string& s) {
    uleb(b, s.size());
    b.insert(b.end(), s.begin(), s.end());
  }
  static void section(Bytes& out, uint8_t id, const std::vector<Bytes>& items) {
    if (items.empty()) return;
    Bytes c;
    uleb(c, items.size());
    for (const Bytes& i : items) c.insert(c.end(), i.begin(), i.end());
    out.push_back(id);
    uleb(out, c.size());
    out.insert(out.end(), c.begin(), c.end());
  }
  std::vector<Bytes> types_, imports_, tables_, memories_, exports_, elems_, codes_;
  std::vector<uint32_t> funcs_;
  std::vector<std::pair<uint8_t, Bytes>> extra_;
  uint32_t num_func_imports_ = 0;
};

// Decodes and compiles; returns the error (or an ok Status).
inline Expected<std::shared_ptr<ModuleData>> compile(const Bytes& bytes, rt::EngineData& engine) {
  EMBER_ASSIGN(auto m, decode_module(bytes, engine.config.features));
  EMBER_TRY(compile_module(*m, engine));
  return m;
}

// A store with one instance of a module, for calling its exports.
struct Instance {
  std::shared_ptr<rt::EngineData> engine = std::make_shared<rt::EngineData>();
  rt::StoreData store;
  rt::ModuleInst* inst = nullptr;
  std::string error;

  Instance() { store.engine = engine; }
  explicit Instance(const Bytes& bytes, const std::vector<rt::Extern>& imports = {}) {
    store.engine = engine;
    load(bytes, imports);
  }
  // Compiles and instantiates `bytes` in this store (error in `error`).
  void load(const Bytes& bytes, const std::vector<rt::Extern>& imports = {}) {
    auto m = compile(bytes, *engine);
    if (!m) {
      error = m.error().describe();
      return;
    }
    auto i = rt::instantiate(store, *m, imports);
    if (!i) {
      error = i.error().describe();
      return;
    }
    inst = *i;
  }
  // Calls export `name` with `args`; results (or the trap) come back.
  TrapCode call(const std::string& name, std::vector<rt::Slot> args,
                std::vector<rt::Slot>* results = nullptr) {
    auto e = rt::find_export(*inst, name);
    rt::FuncInst* f = e ? e->func() : nullptr;
    if (!f) return TrapCode::HostError;
    args.resize(std::max<size_t>(args.size(), rt::call_slots(*f->type)) + 1);
    TrapCode t = rt::invoke(store, f, args.data());
    if (results) {
      args.resize(f->type->results.size());
      *results = args;
    }
    return t;
  }
  uint64_t call1(const std::string& name, std::vector<rt::Slot> args) {
    std::vector<rt::Slot> r;
    TrapCode t = call(name, std::move(args), &r);
    return t == TrapCode::None && !r.empty() ? r[0] : 0xDEADBEEFDEADBEEFull;
  }
};

}  // namespace ember::testing
