// Serialized modules: round trips through the public API (same results,
// traps and backtraces), refusal of blobs from another configuration,
// version or build and of damaged blobs (the engine and store stay usable),
// files, and the IR verifier's structural checks on tampered code.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <span>
#include <unistd.h>

#include "ember/ember.hh"
#include "interp/code.hh"
#include "interp/ir_codec.hh"
#include "interp/ir_insn.hh"
#include "interp_builder.hh"
#include "runtime/gc.hh"
#include "compile/serialize.hh"
#include "support/hash.hh"
#include "text/wat.hh"

namespace ember {
namespace {

using Bytes = std::vector<uint8_t>;

// Touches most module sections and IR op families: imports, memory + data,
// table + elem + call_indirect, globals, br_table, loops, a start function,
// names, and custom sections.
const char kRich[] = R"((module $rich
  (import "env" "twice" (func $twice (param i32) (result i32)))
  (type $ii (func (param i32) (result i32)))
  (memory (export "mem") 1 2)
  (data (i32.const 16) "hello")
  (data $passive "xyz")
  (table 5 funcref)
  (elem (i32.const 0) $sq $twice $inc $other)
  (global $g (mut i32) (i32.const 7))
  (global (export "k") i64 (i64.const -3))
  (func $sq (type $ii) (i32.mul (local.get 0) (local.get 0)))
  (func $inc (type $ii) (i32.add (local.get 0) (i32.const 1)))
  (func $other (param i64) (result i64) (local.get 0))
  (func $start (global.set $g (i32.add (global.get $g) (i32.const 1))))
  (start $start)
  (func (export "dispatch") (param i32 i32) (result i32)
    (call_indirect (type $ii) (local.get 1) (local.get 0)))
  (func (export "sum") (param i32) (result i64) (local i64)
    (block $done
      (loop $l
        (br_if $done (i32.eqz (local.get 0)))
        (local.set 1 (i64.add (local.get 1) (i64.extend_i32_u (local.get 0))))
        (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
        (br $l)))
    (local.get 1))
  (func (export "classify") (param i32) (result i32)
    (block $c (block $b (block $a
      (br_table $a $b $c (local.get 0)))
      (return (i32.const 10)))
      (return (i32.const 20)))
    (i32.const 30))
  (func (export "load") (param i32) (result i32) (i32.load8_u (local.get 0)))
  (func (export "init") (memory.init $passive (i32.const 100) (i32.const 0) (i32.const 3))
    (i32.load8_u (i32.const 102)) drop)
  (func (export "g") (result i32) (global.get $g))
  (func $deep (export "trap") (param i32) (result i32)
    (if (result i32) (local.get 0)
      (then (call $deep (i32.sub (local.get 0) (i32.const 1))))
      (else (unreachable))))
  (func (export "grow") (result i32) (memory.grow (i32.const 1)))
  (func (export "fill") (param i32 i32 i32) (memory.fill (local.get 0) (local.get 1) (local.get 2)))
  (func (export "tsize") (result i32) (table.size 0)))
)";

struct Results {
  std::vector<int64_t> values;
  std::vector<FrameInfo> trap_frames;
};

Results exercise(const Engine& engine, const Module& m) {
  Store store(engine);
  Linker linker(engine);
  linker.func_wrap(store, "env", "twice", [](int32_t x) { return 2 * x; });
  Instance inst = linker.instantiate(store, m);
  auto f = [&](const char* name) { return *inst.get_export(name)->func(); };
  Results r;
  for (int32_t i : {0, 1, 2})
    r.values.push_back(f("dispatch").call(std::vector<Val>{Val::i32(i), Val::i32(9)})[0].i32());
  r.values.push_back(f("sum").call(std::vector<Val>{Val::i32(100)})[0].i64());
  for (int32_t i : {0, 1, 2, 7})
    r.values.push_back(f("classify").call(std::vector<Val>{Val::i32(i)})[0].i32());
  r.values.push_back(f("load").call(std::vector<Val>{Val::i32(17)})[0].i32());
  f("init").call({});
  r.values.push_back(f("load").call(std::vector<Val>{Val::i32(101)})[0].i32());
  r.values.push_back(f("g").call({})[0].i32());
  r.values.push_back(f("grow").call({})[0].i32());
  r.values.push_back(f("grow").call({})[0].i32());
  f("fill").call(std::vector<Val>{Val::i32(0), Val::i32(0x41), Val::i32(4)});
  r.values.push_back(f("load").call(std::vector<Val>{Val::i32(3)})[0].i32());
  r.values.push_back(f("tsize").call({})[0].i32());
  r.values.push_back(inst.get_export("k")->global()->get().i64());
  try {
    f("trap").call(std::vector<Val>{Val::i32(3)});
    ADD_FAILURE() << "expected a trap";
  } catch (const Trap& t) {
    EXPECT_EQ(t.code(), TrapCode::Unreachable);
    r.trap_frames = t.frames();
  }
  for (int32_t i : {3, 4}) {  // another signature; a null entry
    try {
      f("dispatch").call(std::vector<Val>{Val::i32(i), Val::i32(1)});
      ADD_FAILURE() << "expected a trap";
    } catch (const Trap& t) {
      r.values.push_back(int64_t(t.code()));
    }
  }
  return r;
}

Bytes rich_binary() {
  Expected<std::vector<uint8_t>> b = wat_to_wasm(kRich);
  EXPECT_TRUE(b.ok());
  // Two custom sections of one name and one of another, appended.
  Bytes out = std::move(*b);
  for (const char* payload : {"one", "two"}) {
    Bytes sec{0x00};
    Bytes body;
    testing::uleb(body, 4);
    body.insert(body.end(), {'m', 'e', 't', 'a'});
    body.insert(body.end(), payload, payload + std::strlen(payload));
    testing::uleb(sec, body.size());
    sec.insert(sec.end(), body.begin(), body.end());
    out.insert(out.end(), sec.begin(), sec.end());
  }
  return out;
}

TEST(Serialize, RoundTripRunsTheSame) {
  Engine engine;
  Module m = Module::from_binary(engine, rich_binary());
  Bytes blob = m.serialize();
  ASSERT_TRUE(Module::is_serialized(blob));
  Module back = Module::deserialize(engine, blob);

  Results a = exercise(engine, m), b = exercise(engine, back);
  EXPECT_EQ(a.values, b.values);
  EXPECT_EQ(a.values[0], 81);  // sq(9)
  EXPECT_EQ(a.values[1], 18);  // twice(9), an import in the table
  EXPECT_EQ(a.values[3], 5050);
  ASSERT_EQ(a.trap_frames.size(), b.trap_frames.size());
  ASSERT_EQ(a.trap_frames.size(), 4u);
  for (size_t i = 0; i < a.trap_frames.size(); i++) {
    EXPECT_EQ(a.trap_frames[i].func_index, b.trap_frames[i].func_index);
    EXPECT_EQ(a.trap_frames[i].module_offset, b.trap_frames[i].module_offset);
    EXPECT_EQ(a.trap_frames[i].func_name, b.trap_frames[i].func_name);
    EXPECT_EQ(b.trap_frames[i].module_name, "rich");
  }

  // Reflection survives.
  EXPECT_EQ(back.name(), "rich");
  ASSERT_EQ(back.imports().size(), 1u);
  EXPECT_EQ(back.imports()[0].name, "twice");
  EXPECT_EQ(back.exports().size(), m.exports().size());
  auto meta = back.custom_sections("meta");
  ASSERT_EQ(meta.size(), 2u);
  EXPECT_EQ(std::string(meta[0].begin(), meta[0].end()), "one");
  EXPECT_EQ(std::string(meta[1].begin(), meta[1].end()), "two");

  // Deterministic: the same module gives the same bytes, also once reloaded.
  EXPECT_EQ(m.serialize(), blob);
  EXPECT_EQ(back.serialize(), blob);
}

TEST(Serialize, AnotherEngineWithTheSameConfigLoadsIt) {
  Engine a;
  Bytes blob = Module::from_binary(a, rich_binary()).serialize();
  // A second engine whose type registry holds other types first, so the
  // canonical ids differ: call_indirect's type checks must be relinked.
  Engine b;
  (void)Module::from_text(
      b, "(module (func (param f64 f64 f64)) (func (result f32 i64) f32.const 0 i64.const 0))");
  Module m = Module::deserialize(b, blob);
  Results r = exercise(b, m);
  EXPECT_EQ(r.values, exercise(a, Module::deserialize(a, blob)).values);
  EXPECT_EQ(r.values[0], 81);
  // Through the table: a function of another signature still traps as a
  // signature mismatch, a null entry as uninitialized.
  ASSERT_GE(r.values.size(), 2u);
  EXPECT_EQ(r.values[r.values.size() - 2], int64_t(TrapCode::IndirectCallTypeMismatch));
  EXPECT_EQ(r.values[r.values.size() - 1], int64_t(TrapCode::UninitializedElement));
}

TEST(Serialize, RefusesAnotherConfiguration) {
  Engine plain;
  Bytes blob = Module::from_binary(plain, rich_binary()).serialize();
  struct Case {
    Config config;
    const char* says;
  };
  std::vector<Case> cases;
  cases.push_back(
      {Config().consume_fuel(true), "consume_fuel is off in the module but on in the engine"});
  cases.push_back({Config().epoch_interruption(true), "epoch_interruption is off"});
  cases.push_back({Config().wasm_feature(Feature::Memory64, false), "wasm_memory64 is on"});
  cases.push_back({Config().wasm_feature(Feature::TailCall, false), "wasm_tail_call is on"});
  cases.push_back({Config().signals_based_traps(false), "signals_based_traps is on"});
  for (Case& c : cases) {
    Engine other(c.config);
    try {
      Module::deserialize(other, blob);
      ADD_FAILURE() << "accepted: " << c.says;
    } catch (const WasmError& e) {
      EXPECT_EQ(e.kind(), ErrorKind::Internal);
      EXPECT_NE(std::string(e.what()).find(c.says), std::string::npos) << e.what();
    }
    // The engine is unharmed: it compiles and runs.
    Store store(other);
    if (c.config.raw().consume_fuel) store.set_fuel(1000);
    if (c.config.raw().epoch_interruption) store.set_epoch_deadline(1000);
    Module ok =
        Module::from_text(other, "(module (func (export \"f\") (result i32) (i32.const 5)))");
    Instance inst(store, ok, {});
    EXPECT_EQ(inst.get_export("f")->func()->call({})[0].i32(), 5);
  }
  // Settings that do not change translated code do not matter.
  Engine stacky(Config().max_wasm_stack(1 << 20).cranelift_opt_level("none").strategy("cranelift"));
  EXPECT_NO_THROW(Module::deserialize(stacky, blob));
  // A fuel engine's blob loads in a fuel engine.
  Engine fuel(Config().consume_fuel(true));
  EXPECT_NO_THROW(Module::deserialize(fuel, Module::from_binary(fuel, rich_binary()).serialize()));
}

TEST(Serialize, FuelAndEpochCodeSurvives) {
  Engine fuel(Config().consume_fuel(true).epoch_interruption(true));
  Module m = Module::from_binary(fuel, rich_binary());
  Module back = Module::deserialize(fuel, m.serialize());
  auto left = [&](const Module& mod) {
    Store store(fuel);
    store.set_fuel(1'000'000);
    store.set_epoch_deadline(1000);
    Linker linker(fuel);
    linker.func_wrap(store, "env", "twice", [](int32_t x) { return 2 * x; });
    Instance inst = linker.instantiate(store, mod);
    EXPECT_EQ(inst.get_export("sum")->func()->call(std::vector<Val>{Val::i32(100)})[0].i64(), 5050);
    inst.get_export("fill")->func()->call(
        std::vector<Val>{Val::i32(0), Val::i32(1), Val::i32(1000)});
    uint64_t fuel_left = store.get_fuel();
    // Out of fuel, then the epoch deadline: both still trap.
    store.set_fuel(10);
    try {
      inst.get_export("sum")->func()->call(std::vector<Val>{Val::i32(100)});
      ADD_FAILURE() << "expected out of fuel";
    } catch (const Trap& t) {
      EXPECT_EQ(t.code(), TrapCode::OutOfFuel);
    }
    store.set_fuel(1'000'000);
    store.set_epoch_deadline(0);
    fuel.increment_epoch();
    EXPECT_THROW(inst.get_export("sum")->func()->call(std::vector<Val>{Val::i32(100)}), Trap);
    return fuel_left;
  };
  EXPECT_EQ(left(m), left(back));
}

size_t key_start() {
  return 32;
}

TEST(Serialize, RefusesAnotherVersionOrBuild) {
  Engine engine;
  Bytes blob = Module::from_binary(engine, rich_binary()).serialize();
  // The key starts with the version string (u32 length + text).
  uint32_t len;
  std::memcpy(&len, blob.data() + key_start(), 4);
  ASSERT_EQ(std::string(blob.begin() + 36, blob.begin() + 36 + len), rt::ember_version());
  Bytes other = blob;
  std::memset(other.data() + 36, '9', len);
  rt::reseal(other);
  try {
    Module::deserialize(engine, other);
    FAIL();
  } catch (const WasmError& e) {
    EXPECT_NE(std::string(e.what()).find("produced by Ember 9"), std::string::npos) << e.what();
  }
  Bytes build = blob;
  build[36 + len] ^= 0x5A;  // first byte of the build fingerprint
  rt::reseal(build);
  try {
    Module::deserialize(engine, build);
    FAIL();
  } catch (const WasmError& e) {
    EXPECT_NE(std::string(e.what()).find("another build"), std::string::npos) << e.what();
  }
  Bytes format = blob;
  const uint32_t next_format = rt::kSerializedFormat + 1;
  format[8] = uint8_t(next_format);  // format version field (low byte)
  try {
    Module::deserialize(engine, format);
    FAIL();
  } catch (const WasmError& e) {
    EXPECT_NE(std::string(e.what()).find("format version " + std::to_string(next_format)),
              std::string::npos)
        << e.what();
  }
}

TEST(Serialize, RefusesDamagedBlobs) {
  Engine engine;
  Bytes blob = Module::from_binary(engine, rich_binary()).serialize();
  auto refused = [&](const Bytes& b, const char* says) {
    try {
      Module::deserialize(engine, b);
      ADD_FAILURE() << "accepted; expected " << says;
    } catch (const WasmError& e) {
      EXPECT_EQ(e.kind(), ErrorKind::Malformed) << e.what();
      EXPECT_NE(std::string(e.what()).find(says), std::string::npos) << e.what();
    }
  };
  refused({}, "not a serialized Ember module");
  refused(Bytes(blob.begin(), blob.begin() + 20), "truncated header");
  for (size_t n : {size_t(32), size_t(100), blob.size() / 2, blob.size() - 1})
    refused(Bytes(blob.begin(), blob.begin() + long(n)), "truncated");
  Bytes longer = blob;
  longer.push_back(0);
  refused(longer, "trailing bytes");
  for (size_t at : {size_t(40), blob.size() / 2, blob.size() - 2}) {
    Bytes flipped = blob;
    flipped[at] ^= 0x10;
    refused(flipped, "checksum mismatch");
  }
  refused(rich_binary(), "not a serialized Ember module");  // wasm is not a blob

  // Every 4-byte overwrite of the payload with a large value, checksum
  // recomputed: never a crash; refused unless the bytes carry no structure
  // (names, custom section and data bytes, constant values, source
  // offsets: about a quarter of this module's payload).
  size_t accepted = 0, total = 0;
  for (size_t at = key_start() + rt::compatibility_key(engine.raw()->config).size();
       at + 4 <= blob.size(); at += 4) {
    for (uint32_t v : {0xFFFFFFF0u, 0x00FFFFFFu}) {
      Bytes b = blob;
      std::memcpy(b.data() + at, &v, 4);
      rt::reseal(b);
      total++;
      Expected<std::shared_ptr<ModuleData>> m = rt::deserialize_module(b, *engine.raw());
      if (m) accepted++;
    }
  }
  EXPECT_LT(accepted * 2, total) << accepted << " of " << total << " tampered blobs accepted";

  // After all that, the engine still works.
  Store store(engine);
  Linker linker(engine);
  linker.func_wrap(store, "env", "twice", [](int32_t x) { return 2 * x; });
  Instance inst = linker.instantiate(store, Module::deserialize(engine, blob));
  EXPECT_EQ(inst.get_export("sum")->func()->call(std::vector<Val>{Val::i32(4)})[0].i64(), 10);
}

// Names come out of the API as text (Python str): a blob whose name is not
// UTF-8 is refused as corrupted, as the decoder refuses such a .wasm.
TEST(Serialize, RefusesNamesThatAreNotUtf8) {
  Engine engine;
  Bytes blob = Module::from_text(engine, R"((module $MODULENM
    (import "IMPMODUL" "IMPFIELD" (func))
    (func $FUNCNAME (export "EXPORTNM"))
    (@custom "CUSTOMNM" "payload")))")
                   .serialize();
  for (std::string name :
       {"MODULENM", "IMPMODUL", "IMPFIELD", "FUNCNAME", "EXPORTNM", "CUSTOMNM"}) {
    Bytes b = blob;
    size_t found = 0;  // every copy (the name section's too)
    for (auto it = b.begin(); (it = std::search(it, b.end(), name.begin(), name.end())) != b.end();
         ++it, ++found)
      *it = 0xC0;  // an overlong 2-byte form's lead byte: never valid
    ASSERT_GT(found, 0u) << name;
    rt::reseal(b);
    try {
      Module::deserialize(engine, b);
      ADD_FAILURE() << name << ": accepted";
    } catch (const WasmError& e) {
      EXPECT_EQ(e.kind(), ErrorKind::Malformed) << e.what();
      EXPECT_NE(std::string(e.what()).find("\"\\xc0" + name.substr(1) + "\" is not valid UTF-8"),
                std::string::npos)
          << e.what();
    }
  }
  Module m = Module::deserialize(engine, blob);
  EXPECT_EQ(m.exports().at(0).name, "EXPORTNM");
}

TEST(Serialize, Files) {
  Engine engine;
  Module m =
      Module::from_text(engine, "(module (func (export \"f\") (result i32) (i32.const 42)))");
  auto dir =
      std::filesystem::temp_directory_path() / ("ember-serialize-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::string path = (dir / "m.cwasm").string();
  {
    Bytes blob = m.serialize();
    std::ofstream(path, std::ios::binary)
        .write(reinterpret_cast<const char*>(blob.data()), long(blob.size()));
  }
  Store store(engine);
  Instance a(store, Module::deserialize_file(engine, path), {});
  EXPECT_EQ(a.get_export("f")->func()->call({})[0].i32(), 42);
  Instance b(store, Module::load_file(engine, path), {});  // told apart by its magic
  EXPECT_EQ(b.get_export("f")->func()->call({})[0].i32(), 42);
  std::string wat = (dir / "m.wat").string();
  std::ofstream(wat) << "(module (func (export \"f\") (result i32) (i32.const 7)))";
  Instance c(store, Module::load_file(engine, wat), {});
  EXPECT_EQ(c.get_export("f")->func()->call({})[0].i32(), 7);
  try {
    Module::deserialize_file(engine, (dir / "missing.cwasm").string());
    FAIL();
  } catch (const WasmError& e) {
    EXPECT_NE(std::string(e.what()).find("missing.cwasm"), std::string::npos);
  }
  EXPECT_THROW(Module::deserialize_file(engine, wat), WasmError);  // text is not a blob
  std::filesystem::remove_all(dir);
}

// ---- the IR verifier, on hand-tampered code ------------------------------------

TEST(IrVerifier, EveryIrOpHasALayout) {
  for (size_t i = 0; i < interp::kIOpCount; i++) {
    EXPECT_TRUE(interp::ir_layout(interp::IOp(i)).known)
        << interp::iop_name(interp::IOp(i)) << " has no operand layout in src/interp/ir_codec.cc";
  }
}

struct Tamper {
  std::shared_ptr<ModuleData> m;
  CompiledCode portable;                   // words in portable form
  std::shared_ptr<rt::EngineData> engine;  // whose registry holds m's types
};

Tamper portable_of(const char* wat) {
  auto engine = std::make_shared<rt::EngineData>();
  Expected<std::vector<uint8_t>> bin = wat_to_wasm(wat);
  auto m = decode_module(std::move(*bin), engine->config.features);
  EXPECT_TRUE(m.ok());
  EXPECT_TRUE(compile_module(**m, *engine).ok());
  Tamper t{*m, *(*m)->code, engine};
  auto words = interp::to_portable(*(*m)->code, **m);
  EXPECT_TRUE(words.ok());
  t.portable.words = *words;
  return t;
}

// Position of the first instruction with op `op` in function `fi`.
size_t find_op(const CompiledCode& c, uint32_t fi, interp::IOp op) {
  for (uint32_t pc = c.funcs[fi].begin; pc < c.funcs[fi].end;) {
    if (c.words[pc] == uint32_t(op)) return pc;
    const interp::IrLayout& l = interp::ir_layout(interp::IOp(c.words[pc]));
    pc += l.variable ? 4 + c.words[pc + 2] : 1 + l.count;
  }
  ADD_FAILURE() << interp::iop_name(op) << " not found in function " << fi;
  return c.funcs[fi].begin;  // tampering there still exercises the verifier
}

std::string verify(Tamper t, const std::function<void(CompiledCode&)>& edit, unsigned threads = 1) {
  edit(t.portable);
  Status st = interp::from_portable(t.portable, *t.m, t.engine->types, threads);
  return st ? "ok" : st.error().message();
}

TEST(IrVerifier, ChecksStructure) {
  Tamper t = portable_of(R"((module (memory 1) (table 1 funcref) (global $g (mut i32) (i32.const 0))
    (func $f (param i32) (result i32)
      (block (br_if 0 (local.get 0)) (global.set $g (i32.const 1)))
      (call $f (i32.load (local.get 0))))
    (func (param i32) (result i32) (call_indirect (param i32) (result i32) (local.get 0) (i32.const 0)))))");
  using interp::IOp;
  EXPECT_EQ(verify(t, [](CompiledCode&) {}), "ok");
  auto says = [](const std::string& got, const char* want) {
    EXPECT_NE(got.find(want), std::string::npos) << got;
  };
  says(verify(t, [](CompiledCode& c) { c.words[0] = uint32_t(interp::kIOpCount); }),
       "unknown IR op");
  says(verify(t, [](CompiledCode& c) { c.words[0] = 0xFFFFFFFF; }), "unknown IR op");
  says(verify(t,
              [](CompiledCode& c) {
                size_t at = find_op(c, 0, IOp::I32Load);
                c.words[at + 1] = c.funcs[0].frame_slots;  // destination slot past the frame
              }),
       "operand out of range in I32Load");
  says(verify(t,
              [](CompiledCode& c) {
                size_t at = find_op(c, 0, IOp::CallLocal);
                c.words[at + 1] = 99;  // no such function (relative to this one)
              }),
       "operand out of range in CallLocal");
  says(verify(t,
              [](CompiledCode& c) {
                size_t at = find_op(c, 0, IOp::CallLocal);
                c.words[at + 1] = uint32_t(-1);  // before the first function
              }),
       "operand out of range in CallLocal");
  says(verify(t,
              [](CompiledCode& c) {
                size_t at = find_op(c, 0, IOp::CallLocal);
                c.words[at + 2] = c.funcs[0].frame_slots;  // argument window past the frame
              }),
       "operand out of range in CallLocal");
  says(verify(t,
              [](CompiledCode& c) {
                size_t at = find_op(c, 0, IOp::GlobalSet);
                c.words[at + 1] = 1;  // one global only
              }),
       "operand out of range in GlobalSet");
  says(verify(t,
              [](CompiledCode& c) {
                size_t at = find_op(c, 0, IOp::BrIf);
                c.words[at + 2] = 0x1000;  // past the function
              }),
       "branch target");
  says(verify(t,
              [](CompiledCode& c) {
                size_t at = find_op(c, 0, IOp::BrIf);
                c.words[at + 2] = uint32_t(-1);  // into the middle of the branch itself
              }),
       "branch target");
  says(verify(t,
              [](CompiledCode& c) {
                size_t at = find_op(c, 1, IOp::CallIndirect);
                c.words[at + 1] = 7;  // no such type
              }),
       "operand out of range in CallIndirect");
  says(verify(t, [](CompiledCode& c) { c.funcs[0].frame_slots = 1u << 25; }), "frame");
  says(verify(t, [](CompiledCode& c) { c.funcs[0].num_params = 0; }), "frame");
  says(verify(t, [](CompiledCode& c) { c.funcs[1].begin++; }), "range");
  says(verify(t,
              [](CompiledCode& c) {
                c.funcs[0].end--;  // its last word goes to the next function
                c.funcs[1].begin--;
              }),
       "runs past its function");
  says(verify(t, [](CompiledCode& c) { c.funcs[1].end--; }), "outside every function");
  says(verify(t,
              [](CompiledCode& c) {
                c.words.push_back(uint32_t(IOp::Return));  // words outside every function
              }),
       "outside every function");
  says(verify(t,
              [](CompiledCode& c) {
                // Replace the final return by an op that falls through.
                uint32_t last = c.funcs[1].end - 2;
                ASSERT_EQ(c.words[last], uint32_t(IOp::Return1));
                c.words[last] = uint32_t(IOp::Br);
                c.words[last + 1] =
                    uint32_t(-1);  // a branch onto itself is fine; falling off is not
              }),
       "ok");
  says(verify(t,
              [](CompiledCode& c) {
                uint32_t last = c.funcs[1].end - 2;
                c.words[last] = uint32_t(IOp::Fuel);  // [Fuel][cost]: falls through the end
              }),
       "does not end in a return");
  says(verify(t,
              [](CompiledCode& c) {
                c.pc_map.push_back({0, 0});  // out of order
              }),
       "pc map");
}

// Large modules are verified on several threads, a range of functions each;
// what a blob is told and what it loads as do not depend on how many.
TEST(IrVerifier, AnyThreadCountLoadsAndRefusesAlike) {
  std::string wat = "(module (memory 1)";
  for (int i = 0; i < 64; i++)
    wat += "(func (param i32) (result i32) (block (br_if 0 (local.get 0)) (i32.store (i32.const " +
           std::to_string(4 * i) + ") (i32.const 1))) (i32.load (local.get 0)))";
  wat += ")";
  Tamper t = portable_of(wat.c_str());
  using interp::IOp;
  auto load = [&](unsigned threads) {
    Tamper copy = t;
    EXPECT_TRUE(interp::from_portable(copy.portable, *copy.m, copy.engine->types, threads).ok());
    return copy.portable.words;
  };
  const std::vector<uint32_t> executable = load(1);
  EXPECT_EQ(executable, t.m->code->words);  // handler words, as translated
  for (unsigned threads : {2u, 3u, 8u, 64u, 200u}) EXPECT_EQ(load(threads), executable) << threads;
  // Damage in an early and a late function: the early one is named, alone
  // or with the late one, whichever thread meets its damage first.
  auto bad_branch = [](uint32_t fi) {
    return [fi](CompiledCode& c) { c.words[find_op(c, fi, IOp::BrIf) + 2] = 0x100000; };
  };
  auto bad_slot = [](uint32_t fi) {
    return [fi](CompiledCode& c) {
      c.words[find_op(c, fi, IOp::I32Load) + 1] = c.funcs[fi].frame_slots;
    };
  };
  for (unsigned threads : {1u, 2u, 4u, 64u}) {
    EXPECT_NE(verify(t, bad_branch(5), threads)
                  .find("branch target is not an instruction of its "
                        "function (defined function 5,"),
              std::string::npos);
    std::string both = verify(
        t,
        [&](CompiledCode& c) {
          bad_slot(60)(c);
          bad_branch(7)(c);
        },
        threads);
    EXPECT_NE(both.find("(defined function 7,"), std::string::npos) << threads << ": " << both;
    std::string late = verify(t, bad_slot(63), threads);
    EXPECT_NE(late.find("operand out of range in I32Load (defined function 63,"), std::string::npos)
        << late;
  }
}

TEST(IrVerifier, ChecksModuleFacts) {
  // call_indirect through an externref table, memory ops without memory.
  Tamper t = portable_of(R"((module (table $f 1 funcref) (table $e 1 externref)
    (func (result i32) (call_indirect $f (result i32) (i32.const 0)))))");
  using interp::IOp;
  EXPECT_NE(verify(t,
                   [](CompiledCode& c) {
                     size_t at = find_op(c, 0, IOp::CallIndirect);
                     c.words[at + 2] = 1;  // the externref table
                   })
                .find("non-funcref table"),
            std::string::npos);
  Tamper n =
      portable_of("(module (func (param i32) (result i32) (i32.add (local.get 0) (local.get 0))))");
  EXPECT_NE(verify(n,
                   [](CompiledCode& c) {
                     size_t at = find_op(c, 0, IOp::I32Add);
                     c.words[at] = uint32_t(IOp::I32Load);  // same length, but no memory
                     c.words[at + 2] = 0;
                   })
                .find("without memory"),
            std::string::npos);
}

TEST(IrVerifier, ChecksHandlerTables) {
  Tamper t = portable_of(R"((module (tag $e (param i64)) (tag $f)
    (func (param i32) (result i64)
      (block $h (result i64)
        (try_table (catch $e $h) (catch $e 1)
          (if (local.get 0) (then (throw $f))))
        (i64.const 0)))))");
  auto says = [](const std::string& got, const char* want) {
    EXPECT_NE(got.find(want), std::string::npos) << got;
  };
  ASSERT_EQ(t.portable.tries.size(), 1u);
  ASSERT_EQ(t.portable.handlers.size(), 2u);
  EXPECT_EQ(verify(t, [](CompiledCode&) {}), "ok");
  says(verify(t, [](CompiledCode& c) { c.funcs[0].tries_end = 2; }), "try table out of range");
  says(verify(t, [](CompiledCode& c) { c.tries[0].end = c.funcs[0].end + 1; }),
       "out of its function");
  says(verify(t, [](CompiledCode& c) { c.tries[0].count = 3; }), "out of its function");
  says(verify(t, [](CompiledCode& c) { c.handlers[0].tag = 2; }), "no tag");
  says(verify(t, [](CompiledCode& c) { c.handlers[0].kind = 4; }), "catch kind");
  says(verify(t, [](CompiledCode& c) { c.handlers[0].target = c.funcs[0].end; }), "catch target");
  says(verify(t, [](CompiledCode& c) { c.handlers[0].dst = c.funcs[0].frame_slots; }),
       "out of frame");
  // The second clause returns the i64 payload from the function: a
  // catch_ref would return two values, a catch_all none.
  EXPECT_EQ(t.portable.handlers[1].target, interp::kReturnTarget);
  says(verify(t, [](CompiledCode& c) { c.handlers[1].kind = CatchClause::CatchRef; }),
       "returns other values");
  says(verify(t, [](CompiledCode& c) { c.handlers[1].kind = CatchClause::CatchAll; }),
       "returns other values");
  says(verify(t, [](CompiledCode& c) { c.handlers[1].dst = 1; }), "returns other values");
  says(verify(t,
              [](CompiledCode& c) {
                size_t at = find_op(c, 0, interp::IOp::Throw);
                c.words[at + 1] = 5;  // no such tag
              }),
       "operand out of range in Throw");
}

// The safepoint instructions of function `fi` (calls, allocations) with
// the last word of each, in order.
std::vector<std::pair<interp::IOp, uint32_t>> safepoints(const CompiledCode& c, uint32_t fi) {
  using interp::IOp;
  std::vector<std::pair<IOp, uint32_t>> out;
  for (uint32_t pc = c.funcs[fi].begin; pc < c.funcs[fi].end;) {
    const IOp op = IOp(c.words[pc]);
    const interp::IrLayout& l = interp::ir_layout(op);
    const uint32_t n = l.variable ? 4 + c.words[pc + 2] : 1 + l.count;
    if (op == IOp::CallLocal || op == IOp::StructNew) out.emplace_back(op, pc + n - 1);
    pc += n;
  }
  return out;
}

// Stack maps (code.hh, StackMap): at each call and allocation, the
// reference operands held in their own slots; the reference locals once
// per function. Numbers, and operands still read from a local, are not
// listed.
TEST(StackMaps, ListTheReferencesLiveAtCallsAndAllocations) {
  Tamper t = portable_of(R"((module
    (type $box (struct (field anyref)))
    (func $f (param $e externref) (param $n i64) (result anyref) (local $i i32) (local $a anyref)
      (call $g)               ;; slot 4, nothing under the call
      (call $g)               ;; slot 5, under it slot 4
      (struct.new $box)       ;; its input, slot 5, and slot 4
      (call $k (i64.const 7)) ;; slots 4 and 5 under it
      (drop) (drop)
      (local.get $a) (call $g) (drop) (drop))  ;; slot 4 under it; $a is a local's
    (func $g (result anyref) (ref.null any))
    (func $k (param i64) (result i32) (i32.const 0))))");
  const CompiledCode& c = t.portable;
  const interp::FuncCode& f = c.funcs[0];
  EXPECT_EQ(std::vector<uint32_t>(c.ref_slots.begin() + f.ref_locals_begin,
                                  c.ref_slots.begin() + f.ref_locals_end),
            (std::vector<uint32_t>{0, 3}));
  auto sp = safepoints(c, 0);
  ASSERT_EQ(sp.size(), 5u);
  EXPECT_EQ(sp[2].first, interp::IOp::StructNew);
  auto map = [&](size_t i) {
    std::span<const uint32_t> s = c.stack_map(sp[i].second);
    return std::vector<uint32_t>(s.begin(), s.end());
  };
  EXPECT_EQ(map(0), std::vector<uint32_t>{});
  EXPECT_EQ(map(1), std::vector<uint32_t>{4});
  EXPECT_EQ(map(2), (std::vector<uint32_t>{4, 5}));
  EXPECT_EQ(map(3), (std::vector<uint32_t>{4, 5}));
  EXPECT_EQ(map(4), std::vector<uint32_t>{4});
  size_t in_f = 0;
  for (const interp::StackMap& m : c.stack_maps) in_f += m.word < f.end;
  EXPECT_EQ(in_f, 4u);
  EXPECT_EQ(c.funcs[1].ref_locals_begin, c.funcs[1].ref_locals_end);
}

// Exnrefs are listed too, flagged (kExnRefSlot): the collector skips them,
// compiled code writes them to its frame before calls and throws for the
// exception collector's scan. A throw's map lists the operands below its
// payload.
TEST(StackMaps, ListExnrefsFlagged) {
  Tamper t = portable_of(R"((module
    (tag $t (param i32))
    (func $f (param $x exnref) (local $i i32) (local $a anyref)
      (call $h)                   ;; slot 3
      (call $h)                   ;; slot 4, under it slot 3
      (i32.const 1) (throw $t))   ;; slots 3 and 4 under the payload
    (func $h (result exnref) (ref.null exn))))");
  const CompiledCode& c = t.portable;
  const interp::FuncCode& f = c.funcs[0];
  using interp::kExnRefSlot;
  EXPECT_EQ(std::vector<uint32_t>(c.ref_slots.begin() + f.ref_locals_begin,
                                  c.ref_slots.begin() + f.ref_locals_end),
            (std::vector<uint32_t>{0 | kExnRefSlot, 2}));
  std::vector<std::vector<uint32_t>> maps;
  for (const interp::StackMap& m : c.stack_maps)
    if (m.word < f.end)
      maps.emplace_back(c.ref_slots.begin() + m.first, c.ref_slots.begin() + m.first + m.count);
  EXPECT_EQ(maps, (std::vector<std::vector<uint32_t>>{{3 | kExnRefSlot},
                                                      {3 | kExnRefSlot, 4 | kExnRefSlot}}));
  size_t throw_end =
      find_op(c, 0, interp::IOp::Throw) + interp::ir_layout(interp::IOp::Throw).count;
  EXPECT_EQ(c.stack_map(uint32_t(throw_end)).size(), 2u);
  EXPECT_TRUE(interp::entry_traced(2) && !interp::entry_traced(3 | kExnRefSlot));
  EXPECT_EQ(interp::entry_slot(3 | kExnRefSlot), 3u);
  EXPECT_EQ(verify(t, [](CompiledCode&) {}), "ok");
  auto says = [](const std::string& got, const char* want) {
    EXPECT_NE(got.find(want), std::string::npos) << got;
  };
  says(verify(t,
              [](CompiledCode& c) {
                c.ref_slots[c.stack_maps[0].first] = c.funcs[0].frame_slots | kExnRefSlot;
              }),
       "slot out of frame");
  says(verify(t,
              [](CompiledCode& c) {
                c.ref_slots[c.funcs[0].ref_locals_begin] = c.funcs[0].num_locals | kExnRefSlot;
              }),
       "reference local out of range");
}

TEST(IrVerifier, ChecksStackMaps) {
  Tamper t = portable_of(R"((module (type $box (struct (field anyref)))
    (func $g (result anyref) (ref.null any))
    (func (param anyref) (result anyref)
      (call $g) (struct.new $box (call $g)) (drop))))");
  auto says = [](const std::string& got, const char* want) {
    EXPECT_NE(got.find(want), std::string::npos) << got;
  };
  ASSERT_EQ(t.portable.stack_maps.size(), 2u);
  EXPECT_EQ(verify(t, [](CompiledCode&) {}), "ok");
  says(verify(t, [](CompiledCode& c) { c.stack_maps[0].word--; }),
       "not at a call, allocation or throw");
  says(verify(t, [](CompiledCode& c) { std::swap(c.stack_maps[0], c.stack_maps[1]); }),
       "out of order");
  says(verify(t,
              [](CompiledCode& c) { c.ref_slots[c.stack_maps[1].first] = c.funcs[1].frame_slots; }),
       "slot out of frame");
  says(verify(t, [](CompiledCode& c) { c.stack_maps[1].count = 1u << 30; }), "out of range");
  says(verify(t, [](CompiledCode& c) { c.stack_maps[1].first = uint32_t(-1); }), "out of range");
  says(verify(t, [](CompiledCode& c) { c.ref_slots[c.funcs[1].ref_locals_begin] = 1; }),
       "reference local out of range");
  says(verify(t, [](CompiledCode& c) { c.funcs[1].ref_locals_end = 1u << 30; }),
       "reference locals out of range");
  says(verify(t, [](CompiledCode& c) { c.stack_maps.push_back({uint32_t(c.words.size()), 0, 0}); }),
       "outside every function");
}

// Field and element accesses carry offsets and storages the verifier
// recomputes from the module's types: a blob cannot point an access past
// its object or read a reference field as a number.
TEST(IrVerifier, ChecksGcAccessLayouts) {
  Tamper t = portable_of(R"((module
    (type $s (struct (field (mut i8)) (field (mut i64)) (field (mut anyref))))
    (type $a (array (mut i16)))
    (func (param (ref $s) (ref $a)) (result i32)
      (struct.set $s 1 (local.get 0) (i64.const 1))
      (struct.set $s 2 (local.get 0) (ref.null any))
      (array.set $a (local.get 1) (i32.const 0) (i32.const 3))
      (i32.add (struct.get_s $s 0 (local.get 0)) (array.get_u $a (local.get 1) (i32.const 0))))))");
  using interp::IOp;
  using At = interp::ir::StructGet::At;
  auto says = [](const std::string& got, const char* want) {
    EXPECT_NE(got.find(want), std::string::npos) << got;
  };
  EXPECT_EQ(verify(t, [](CompiledCode&) {}), "ok");
  const CompiledCode& c = t.portable;
  const size_t get = find_op(c, 0, IOp::StructGet), set = find_op(c, 0, IOp::StructSet);
  EXPECT_EQ(c.words[get + At::offset], 16u);  // field 0, an i8, right after the header
  EXPECT_EQ(c.words[set + interp::ir::StructSet::At::offset], 24u);  // field 1, an aligned i64
  const char* bad = "GC operand out of its frame or type in";
  says(verify(t, [&](CompiledCode& c) { c.words[get + At::offset] = 1u << 20; }), bad);
  says(verify(t, [&](CompiledCode& c) { c.words[get + At::storage] = uint32_t(rt::Storage::B64); }),
       bad);
  says(verify(t, [&](CompiledCode& c) { c.words[get + At::sign] = 2; }), bad);
  says(verify(t,
              [&](CompiledCode& c) {
                c.words[set + interp::ir::StructSet::At::offset] = 32;  // the reference field
              }),
       bad);
  const size_t aget = find_op(c, 0, IOp::ArrayGet), aset = find_op(c, 0, IOp::ArraySet);
  says(verify(t,
              [&](CompiledCode& c) {
                c.words[aget + interp::ir::ArrayGet::At::storage] = uint32_t(rt::Storage::V128);
              }),
       bad);
  says(verify(t,
              [&](CompiledCode& c) {
                c.words[aset + interp::ir::ArraySet::At::storage] = uint32_t(rt::Storage::Ref);
              }),
       bad);
}

TEST(IrVerifier, ChecksSimdLanesAndPairs) {
  Tamper t = portable_of(R"((module (memory 1)
    (func (param v128) (result i32) (i32x4.extract_lane 3 (local.get 0)))
    (func (param i32) (result v128) (v128.load32_lane 1 (local.get 0) (v128.const i64x2 0 0)))))");
  using interp::IOp;
  EXPECT_EQ(verify(t, [](CompiledCode&) {}), "ok");
  EXPECT_NE(verify(t,
                   [](CompiledCode& c) {
                     size_t at = find_op(c, 0, IOp::I32x4ExtractLane);
                     c.words[at + 2] = 4;  // i32x4 has lanes 0..3
                   })
                .find("operand out of range"),
            std::string::npos);
  EXPECT_NE(verify(t,
                   [](CompiledCode& c) {
                     size_t at = find_op(c, 1, IOp::V128Load32Lane);
                     c.words[at + 3] = 0x100;  // lane
                   })
                .find("operand out of range"),
            std::string::npos);
  EXPECT_NE(verify(t,
                   [](CompiledCode& c) {
                     size_t at = find_op(c, 0, IOp::I32x4ExtractLane);
                     c.words[at + 3] = c.funcs[0].frame_slots - 1;  // a v128 needs two slots
                   })
                .find("operand out of range"),
            std::string::npos);
}

// The memory64 and other-memory forms of the SIMD accesses: lane, memory
// and slots checked where the ir_kinds.def rows put them.
TEST(IrVerifier, ChecksSimdAccessForms) {
  Tamper t = portable_of(R"((module (memory 1) (memory i64 1) (memory 1)
    (func (param i64) (result v128)
      (v128.load32_lane 1 offset=0x1_0000_0004 3 (local.get 0) (v128.const i64x2 0 0)))
    (func (param i32 v128) (v128.store16_lane 2 7 (local.get 0) (local.get 1)))))");
  using interp::IOp;
  using L = interp::ir::variant::VLoadLaneMemA64<>;
  using S = interp::ir::variant::VStoreLaneMem<>;
  EXPECT_EQ(verify(t, [](CompiledCode&) {}), "ok");
  auto says = [](const std::string& got, const char* want) {
    EXPECT_NE(got.find(want), std::string::npos) << got;
  };
  auto tampered = [&](uint32_t fi, IOp op, int32_t word, uint32_t value) {
    return verify(t, [=](CompiledCode& c) { c.words[find_op(c, fi, op) + word] = value; });
  };
  EXPECT_EQ(tampered(0, IOp::V128Load32LaneMemA64, L::offset_hi, 0xFFFFFFFF), "ok");
  says(tampered(0, IOp::V128Load32LaneMemA64, L::lane, 4), "operand out of range");
  says(tampered(0, IOp::V128Load32LaneMemA64, L::mem, 3), "operand out of range");
  says(tampered(0, IOp::V128Load32LaneMemA64, L::vec, t.portable.funcs[0].frame_slots - 1),
       "operand out of range");
  says(tampered(1, IOp::V128Store16LaneMem, S::lane, 8), "operand out of range");
  says(tampered(1, IOp::V128Store16LaneMem, S::mem, 3), "operand out of range");
  says(tampered(1, IOp::V128Store16LaneMem, S::addr, t.portable.funcs[1].frame_slots),
       "operand out of range");
}

TEST(Hash, Sha256KnownAnswers) {
  auto hex = [](const std::string& s) {
    return Sha256::hex(
        Sha256::of(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(s.data()), s.size())));
  };
  EXPECT_EQ(hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  // Fed in uneven pieces.
  std::string million(1000000, 'a');
  Sha256 h;
  for (size_t i = 0; i < million.size();) {
    size_t n = std::min<size_t>(1 + i % 97, million.size() - i);
    h.update(million.data() + i, n);
    i += n;
  }
  EXPECT_EQ(Sha256::hex(h.finish()),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Hash, ChecksumSeesEveryByte) {
  Bytes data(1000);
  for (size_t i = 0; i < data.size(); i++) data[i] = uint8_t(i * 7);
  for (size_t n : {size_t(0), size_t(1), size_t(31), size_t(32), size_t(33), size_t(999)}) {
    std::span<const uint8_t> s(data.data(), n);
    uint64_t base = checksum64(s);
    for (size_t at = 0; at < n; at++) {
      Bytes copy(data.begin(), data.begin() + long(n));
      copy[at] ^= 1;
      ASSERT_NE(checksum64(copy), base) << "n=" << n << " at=" << at;
    }
  }
  EXPECT_NE(checksum64(std::span<const uint8_t>(data.data(), 8)),
            checksum64(std::span<const uint8_t>(data.data(), 9)));
}

}  // namespace
}  // namespace ember
