// Custom page sizes through the public API: the feature switch, memories of
// 1-byte pages (sizes, growth, exact bounds for every access width and
// address form), import matching and serialization.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ember/ember.hh"

namespace ember {
namespace {

Engine engine_with_pages(bool on) {
  Config c;
  c.wasm_feature(Feature::CustomPageSizes, on);
  return Engine(c);
}

std::vector<Val> call(const Func& f, std::vector<Val> args = {}) {
  return f.call(args);
}

ErrorKind compile_error(const Engine& e, const std::string& wat, std::string* msg = nullptr) {
  try {
    (void)Module::from_text(e, wat);
  } catch (const WasmError& err) {
    if (msg) *msg = err.what();
    return err.kind();
  }
  return ErrorKind::Internal;  // compiled: not what any caller expects
}

TEST(CustomPageSizes, OffByDefaultAndInvalidWhileOff) {
  EXPECT_FALSE(FeatureSet::defaults().has(Feature::CustomPageSizes));
  Engine off = engine_with_pages(false);
  std::string msg;
  // Any stated page size needs the proposal, the default one included.
  for (const char* wat :
       {"(module (memory 1 (pagesize 1)))", "(module (memory 1 (pagesize 65536)))",
        "(module (import \"m\" \"m\" (memory 1 (pagesize 1))))"}) {
    EXPECT_EQ(compile_error(off, wat, &msg), ErrorKind::Invalid) << wat;
    EXPECT_NE(msg.find("custom page sizes proposal must be enabled"), std::string::npos) << msg;
  }
  (void)Module::from_text(off, "(module (memory 1))");
  Engine on = engine_with_pages(true);
  (void)Module::from_text(on, "(module (memory 1 (pagesize 1)))");
  EXPECT_EQ(compile_error(on, "(module (memory 1 (pagesize 2)))", &msg), ErrorKind::Invalid);
  EXPECT_NE(msg.find("invalid custom page size"), std::string::npos) << msg;
  EXPECT_EQ(compile_error(on, "(module (memory 1 (pagesize 3)))"), ErrorKind::Malformed);
}

TEST(CustomPageSizes, LimitsDependOnThePageSize) {
  Engine on = engine_with_pages(true);
  (void)Module::from_text(on, "(module (memory 0xFFFF_FFFF (pagesize 1)))");
  (void)Module::from_text(on, "(module (memory i64 0xFFFF_FFFF_FFFF_FFFF (pagesize 1)))");
  EXPECT_EQ(compile_error(on, "(module (memory 0x1_0000_0000 (pagesize 1)))"), ErrorKind::Invalid);
  EXPECT_EQ(compile_error(on, "(module (memory 65537 (pagesize 65536)))"), ErrorKind::Invalid);
  // Without memory64 (the 2.0 text format) a 32-bit limit is a u32 literal.
  Config c20;
  c20.wasm_feature(Feature::Memory64, false);
  EXPECT_EQ(compile_error(Engine(c20), "(module (memory 0x1_0000_0000))"), ErrorKind::Malformed);
  EXPECT_EQ(compile_error(Engine(), "(module (memory 0x1_0000_0000))"), ErrorKind::Invalid);
}

TEST(CustomPageSizes, HostMemoryOfBytePages) {
  Engine engine;  // no switch needed: it gates modules only
  Store store(engine);
  MemoryType t;
  t.limits.min = 3;
  t.limits.max = 5;
  t.page_size_log2 = 0;
  Memory m = Memory::create(store, t);
  EXPECT_EQ(m.page_size(), 1u);
  EXPECT_EQ(m.page_size_log2(), 0);
  EXPECT_EQ(m.size(), 3u);
  EXPECT_EQ(m.data_size(), 3u);
  EXPECT_EQ(m.grow(2), 3u);
  EXPECT_EQ(m.size(), 5u);
  EXPECT_EQ(m.data_size(), 5u);
  EXPECT_THROW(m.grow(1), WasmError);
  EXPECT_EQ(m.type(), (MemoryType{{5, 5, false, false}, 0}));
  uint8_t last = 0;
  m.read(4, std::span<uint8_t>(&last, 1));
  EXPECT_THROW(m.read(5, std::span<uint8_t>(&last, 1)), WasmError);
  // The store's byte limit counts bytes, whatever the page size.
  Store limited(engine);
  limited.set_limits(10);
  t.limits = {8, std::nullopt};
  Memory l = Memory::create(limited, t);
  EXPECT_EQ(l.grow(2), 8u);
  EXPECT_THROW(l.grow(1), WasmError);
  MemoryType bad;
  bad.page_size_log2 = 4;
  EXPECT_THROW(Memory::create(store, bad), WasmError);
}

// Grows past host-page boundaries a byte at a time: every new byte reads as
// zero and becomes writable, the next one stays out of bounds.
TEST(CustomPageSizes, ByteGrowthAcrossHostPages) {
  Engine engine = engine_with_pages(true);
  Store store(engine);
  Module mod = Module::from_text(engine, R"((module
      (memory (export "m") 4090 (pagesize 1))
      (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
      (func (export "size") (result i32) (memory.size))
      (func (export "ld") (param i32) (result i32) (i32.load8_u (local.get 0)))
      (func (export "st") (param i32 i32) (i32.store8 (local.get 0) (local.get 1)))))");
  Instance inst(store, mod, {});
  Func grow = *inst.get_export("grow")->func(), size = *inst.get_export("size")->func();
  Func ld = *inst.get_export("ld")->func(), st = *inst.get_export("st")->func();
  for (int32_t n = 4090; n < 4110; n++) {
    EXPECT_EQ(call(size)[0].i32(), n);
    EXPECT_THROW(call(ld, {Val::i32(n)}), Trap);
    EXPECT_EQ(call(grow, {Val::i32(1)})[0].i32(), n);
    EXPECT_EQ(call(ld, {Val::i32(n)})[0].i32(), 0);
    call(st, {Val::i32(n), Val::i32(0xAB)});
    EXPECT_EQ(call(ld, {Val::i32(n)})[0].i32(), 0xAB);
  }
  EXPECT_EQ(inst.get_export("m")->memory()->data_size(), 4110u);
}

// The loads and stores of every width, and the instruction forms the
// translator makes of their addresses (plain, memarg offset, i32.add of a
// constant, a second memory, a 64-bit memory; Ember's SIMD accesses have
// the first three), each at the exact end of a
// memory whose byte size is odd and not a multiple of the host page: the
// last in-bounds access works, one byte further traps.
struct Access {
  const char* op;
  uint32_t width;
  const char* type;  // of the value stored or loaded
};
const Access kAccesses[] = {
    {"i32.load", 4, "i32"},          {"i64.load", 8, "i64"},
    {"f32.load", 4, "f32"},          {"f64.load", 8, "f64"},
    {"i32.load8_s", 1, "i32"},       {"i32.load8_u", 1, "i32"},
    {"i32.load16_s", 2, "i32"},      {"i32.load16_u", 2, "i32"},
    {"i64.load8_s", 1, "i64"},       {"i64.load8_u", 1, "i64"},
    {"i64.load16_s", 2, "i64"},      {"i64.load16_u", 2, "i64"},
    {"i64.load32_s", 4, "i64"},      {"i64.load32_u", 4, "i64"},
    {"v128.load", 16, "v128"},       {"v128.load8x8_s", 8, "v128"},
    {"v128.load32_zero", 4, "v128"}, {"v128.load64_splat", 8, "v128"},
    {"i32.store", 4, "i32"},         {"i64.store", 8, "i64"},
    {"f32.store", 4, "f32"},         {"f64.store", 8, "f64"},
    {"i32.store8", 1, "i32"},        {"i32.store16", 2, "i32"},
    {"i64.store8", 1, "i64"},        {"i64.store16", 2, "i64"},
    {"i64.store32", 4, "i64"},       {"v128.store", 16, "v128"},
};
constexpr uint32_t kOddSize = 2 * 4096 + 4096 / 2 + 5;  // 10245 bytes

std::string zero_of(const std::string& type) {
  return type == "v128" ? "(v128.const i64x2 0 0)" : "(" + type + ".const 0)";
}

// One function per access and form: (param address) -> (), dropping a load.
std::string access_module() {
  std::string wat = "(module\n";
  wat += "  (memory $a " + std::to_string(kOddSize) + " (pagesize 1))\n";
  wat += "  (memory $b " + std::to_string(kOddSize) + " (pagesize 1))\n";
  wat += "  (memory $c i64 " + std::to_string(kOddSize) + " (pagesize 1))\n";
  for (size_t i = 0; i < std::size(kAccesses); i++) {
    const Access& a = kAccesses[i];
    const bool store = std::string(a.op).find("store") != std::string::npos;
    auto fn = [&](const std::string& name, const std::string& mem, const std::string& memarg,
                  const std::string& addr) {
      std::string body = "(" + std::string(a.op) + mem + memarg + " " + addr;
      body += store ? " " + zero_of(a.type) + ")" : ")";
      if (!store) body = "(drop " + body + ")";
      std::string param = mem == " $c" ? "i64" : "i32";
      wat += "  (func (export \"" + name + std::to_string(i) + "\") (param " + param + ") " + body +
             ")\n";
    };
    fn("plain", "", "", "(local.get 0)");
    fn("offset", "", " offset=3", "(local.get 0)");
    fn("addimm", "", "", "(i32.add (local.get 0) (i32.const 3))");
    if (std::string(a.type) == "v128") continue;  // SIMD: memory 0, 32-bit, only
    fn("mem1", " $b", "", "(local.get 0)");
    fn("mem64", " $c", "", "(local.get 0)");
  }
  return wat + ")";
}

TEST(CustomPageSizes, EveryAccessIsCheckedAtTheExactByteSize) {
  Engine engine = engine_with_pages(true);
  Store store(engine);
  Module mod = Module::from_text(engine, access_module());
  Instance inst(store, mod, {});
  struct Form {
    const char* name;
    uint64_t bias;  // added to the address by the form itself
  };
  const Form forms[] = {{"plain", 0}, {"offset", 3}, {"addimm", 3}, {"mem1", 0}, {"mem64", 0}};
  size_t checked = 0;
  for (size_t i = 0; i < std::size(kAccesses); i++) {
    const Access& a = kAccesses[i];
    for (const Form& f : forms) {
      if (!inst.get_export(f.name + std::to_string(i))) continue;
      checked++;
      Func fn = *inst.get_export(f.name + std::to_string(i))->func();
      auto at = [&](uint64_t addr) {
        return std::string(f.name) == "mem64" ? Val::i64(int64_t(addr)) : Val::i32(int32_t(addr));
      };
      const uint64_t last = kOddSize - a.width - f.bias;  // the last access in bounds
      SCOPED_TRACE(std::string(a.op) + " " + f.name);
      EXPECT_NO_THROW(call(fn, {at(last)}));
      EXPECT_NO_THROW(call(fn, {at(0)}));
      try {
        call(fn, {at(last + 1)});
        ADD_FAILURE() << "no trap one byte past the end";
      } catch (const Trap& t) {
        EXPECT_EQ(t.code(), TrapCode::MemoryOutOfBounds);
        // wasmtime checks such a memory explicitly: no fault to report.
        EXPECT_FALSE(t.fault().has_value());
      }
      EXPECT_THROW(call(fn, {at(kOddSize - f.bias)}), Trap);
    }
  }
  EXPECT_EQ(checked, 23u * 5 + 5u * 3);  // 28 accesses, 5 of them v128
}

TEST(CustomPageSizes, BulkOperationsAtTheExactByteSize) {
  Engine engine = engine_with_pages(true);
  Store store(engine);
  Module mod = Module::from_text(engine, R"((module
      (memory 7 (pagesize 1))
      (data $d "abc")
      (func (export "fill") (param i32 i32) (memory.fill (local.get 0) (i32.const 1) (local.get 1)))
      (func (export "copy") (param i32 i32) (memory.copy (local.get 0) (i32.const 0) (local.get 1)))
      (func (export "init") (param i32 i32)
        (memory.init $d (local.get 0) (i32.const 0) (local.get 1)))))");
  Instance inst(store, mod, {});
  for (const char* name : {"fill", "copy", "init"}) {
    Func f = *inst.get_export(name)->func();
    EXPECT_NO_THROW(call(f, {Val::i32(4), Val::i32(3)})) << name;
    EXPECT_THROW(call(f, {Val::i32(5), Val::i32(3)}), Trap) << name;
  }
}

TEST(CustomPageSizes, ImportsMatchOnlyTheSamePageSize) {
  Engine engine = engine_with_pages(true);
  Store store(engine);
  MemoryType small;
  small.limits.min = 1;
  small.page_size_log2 = 0;
  Memory bytes = Memory::create(store, small);
  Memory pages = Memory::create(store, MemoryType{{1, std::nullopt, false, false}, 16});
  Module wants_bytes =
      Module::from_text(engine, "(module (import \"m\" \"m\" (memory 1 (pagesize 1))))");
  Module wants_pages = Module::from_text(engine, "(module (import \"m\" \"m\" (memory 1)))");
  (void)Instance(store, wants_bytes, std::vector<Extern>{bytes});
  (void)Instance(store, wants_pages, std::vector<Extern>{pages});
  for (auto [mod, mem] : {std::pair{&wants_bytes, &pages}, std::pair{&wants_pages, &bytes}}) {
    try {
      (void)Instance(store, *mod, std::vector<Extern>{*mem});
      ADD_FAILURE() << "instantiated with a memory of another page size";
    } catch (const WasmError& e) {
      EXPECT_EQ(e.kind(), ErrorKind::Unlinkable);
      EXPECT_NE(std::string(e.what()).find("page size"), std::string::npos) << e.what();
    }
  }
}

TEST(CustomPageSizes, TypesAndSerializationKeepThePageSize) {
  Engine engine = engine_with_pages(true);
  Module mod = Module::from_text(engine, R"((module
      (import "m" "in" (memory 2 (pagesize 1)))
      (memory (export "out") (pagesize 1) (data "xyz"))
      (func (export "size") (result i32) (memory.size 1))))");
  Module back = Module::deserialize(engine, mod.serialize());
  for (const Module* m : {&mod, &back}) {
    ASSERT_EQ(m->imports().size(), 1u);
    EXPECT_EQ(m->imports()[0].type.memory, (MemoryType{{2, std::nullopt, false, false}, 0}));
    bool seen = false;
    for (const ExportType& e : m->exports()) {
      if (e.name != "out") continue;
      seen = true;
      EXPECT_EQ(e.type.memory, (MemoryType{{3, 3, false, false}, 0}));
    }
    EXPECT_TRUE(seen);
  }
  Store store(engine);
  MemoryType t;
  t.limits.min = 2;
  t.page_size_log2 = 0;
  Instance inst(store, back, std::vector<Extern>{Memory::create(store, t)});
  EXPECT_EQ(call(*inst.get_export("size")->func())[0].i32(), 3);
}

}  // namespace
}  // namespace ember
