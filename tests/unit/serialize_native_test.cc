// Serialized modules with machine code (serialize.hh's NATV section): an
// eagerly compiled module's blob brings its code back linked, not compiled
// again, in any engine that runs compiled code; the same results and trap
// frames as the interpreter; refusal of code keyed to another LLVM, target,
// CPU features or build, naming what differs; damaged machine code refused
// even under a recomputed checksum.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "compile/serialize.hh"
#include "ember/ember.hh"
#include "interp/code.hh"
#include "jit/jit.hh"

namespace ember {
namespace {

using Bytes = std::vector<uint8_t>;

// Calls across functions (direct calls between compiled functions), a loop,
// memory, a table and a trap several frames deep.
const char kProgram[] = R"((module
  (memory 1)
  (table 2 funcref)
  (elem (i32.const 0) $sq $fib)
  (type $ii (func (param i32) (result i32)))
  (func $sq (type $ii) (i32.mul (local.get 0) (local.get 0)))
  (func $fib (export "fib") (type $ii)
    (if (result i32) (i32.lt_u (local.get 0) (i32.const 2))
      (then (local.get 0))
      (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))
                     (call $fib (i32.sub (local.get 0) (i32.const 2)))))))
  (func (export "sum_squares") (param i32) (result i32) (local i32)
    (block $done (loop $l
      (br_if $done (i32.eqz (local.get 0)))
      (local.set 1 (i32.add (local.get 1)
        (call_indirect (type $ii) (local.get 0) (i32.const 0))))
      (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
      (br $l)))
    (local.get 1))
  (func (export "store_load") (param i32 i32) (result i32)
    (i32.store (local.get 0) (local.get 1)) (i32.load (local.get 0)))
  (func $deep (export "deep") (param i32) (result i32)
    (if (result i32) (local.get 0)
      (then (call $deep (i32.sub (local.get 0) (i32.const 1))))
      (else (unreachable)))))
)";

Engine eager_engine() {
  Config c;
  c.strategy("cranelift");
  return Engine(c);
}

struct Outcome {
  std::vector<int32_t> values;
  std::vector<FrameInfo> frames;
  std::string oob;
};

Outcome run(const Engine& engine, const Module& m) {
  Store store(engine);
  Instance inst(store, m, {});
  auto f = [&](const char* name) { return *inst.get_export(name)->func(); };
  auto call = [&](const char* name, std::vector<Val> args) { return f(name).call(args)[0].i32(); };
  Outcome o;
  o.values.push_back(call("fib", {Val::i32(20)}));
  o.values.push_back(call("sum_squares", {Val::i32(10)}));
  o.values.push_back(call("store_load", {Val::i32(100), Val::i32(-7)}));
  try {
    call("deep", {Val::i32(3)});
    ADD_FAILURE() << "expected a trap";
  } catch (const Trap& t) {
    EXPECT_EQ(t.code(), TrapCode::Unreachable);
    o.frames = t.frames();
  }
  try {
    call("store_load", {Val::i32(65534), Val::i32(1)});
    ADD_FAILURE() << "expected a trap";
  } catch (const Trap& t) {
    o.oob = t.what();
  }
  return o;
}

void expect_same(const Outcome& a, const Outcome& b) {
  EXPECT_EQ(a.values, b.values);
  EXPECT_EQ(a.oob, b.oob);
  ASSERT_EQ(a.frames.size(), b.frames.size());
  for (size_t i = 0; i < a.frames.size(); i++) {
    EXPECT_EQ(a.frames[i].func_index, b.frames[i].func_index);
    EXPECT_EQ(a.frames[i].module_offset, b.frames[i].module_offset);
  }
}

bool from_image(const Module& m) {
  return m.raw()->code->native_from_image;
}

// Where the NATV key starts: its tag, then the present byte (1). The test
// module's CODE section is small; the tag does not occur before it.
size_t natv_key(const Bytes& blob) {
  static const uint8_t kTag[] = {'N', 'A', 'T', 'V', 1};
  auto it = std::search(blob.begin(), blob.end(), kTag, kTag + 5);
  EXPECT_NE(it, blob.end());
  return size_t(it - blob.begin()) + 5;
}

// Replaces the `field`-th string of the NATV key (0 LLVM version, 1 triple,
// 2 CPU, 3 features) and fixes the size and checksum.
Bytes with_key_string(const Bytes& blob, int field,
                      const std::function<std::string(std::string)>& edit) {
  size_t at = natv_key(blob);
  for (int k = 0; k < field; k++) {
    uint32_t n;
    std::memcpy(&n, blob.data() + at, 4);
    at += 4 + n;
  }
  uint32_t n;
  std::memcpy(&n, blob.data() + at, 4);
  std::string old(blob.begin() + long(at + 4), blob.begin() + long(at + 4 + n));
  std::string now = edit(old);
  Bytes out(blob.begin(), blob.begin() + long(at));
  uint32_t m = uint32_t(now.size());
  out.insert(out.end(), reinterpret_cast<uint8_t*>(&m), reinterpret_cast<uint8_t*>(&m) + 4);
  out.insert(out.end(), now.begin(), now.end());
  out.insert(out.end(), blob.begin() + long(at + 4 + n), blob.end());
  uint64_t size = out.size();
  std::memcpy(out.data() + 16, &size, 8);
  rt::reseal(out);
  return out;
}

std::string refusal(const Engine& engine, const Bytes& blob) {
  try {
    Module::deserialize(engine, blob);
  } catch (const WasmError& e) {
    return e.what();
  }
  return "(accepted)";
}

class SerializeNative : public testing::Test {
 protected:
  void SetUp() override {
    if (!jit::available()) GTEST_SKIP() << "this build has no compiled tier";
  }
};

TEST_F(SerializeNative, RoundTripLinksTheMachineCode) {
  Engine engine = eager_engine();
  Module m = Module::from_text(engine, kProgram);
  ASSERT_EQ(m.raw()->code->native_funcs, m.raw()->code->funcs.size());
  EXPECT_FALSE(from_image(m));
  Bytes blob = m.serialize();
  Module back = Module::deserialize(engine, blob);
  EXPECT_TRUE(from_image(back));
  EXPECT_EQ(back.raw()->code->native_funcs, m.raw()->code->native_funcs);
  // In another engine of the same configuration too (another process's
  // addresses are another FuncCode array: the code links by symbol).
  Engine other = eager_engine();
  Module again = Module::deserialize(other, blob);
  EXPECT_TRUE(from_image(again));

  Engine interp([] {
    Config c;
    c.strategy("interpreter");
    return c;
  }());
  Outcome reference = run(interp, Module::from_text(interp, kProgram));
  EXPECT_EQ(reference.values, (std::vector<int32_t>{6765, 385, -7}));
  ASSERT_EQ(reference.frames.size(), 4u);
  expect_same(reference, run(engine, m));
  expect_same(reference, run(engine, back));
  expect_same(reference, run(other, again));
  // Deterministic: reloaded, the module serializes to the same bytes.
  EXPECT_EQ(back.serialize(), blob);
}

TEST_F(SerializeNative, OtherStrategiesUseOrIgnoreIt) {
  Engine engine = eager_engine();
  Bytes blob = Module::from_text(engine, kProgram).serialize();
  Engine tiered;  // strategy "auto": the code is there, so it runs
  Module t = Module::deserialize(tiered, blob);
  EXPECT_TRUE(from_image(t));
  Config c;
  c.strategy("interpreter");
  Engine interp(c);  // the interpreter runs the blob's IR
  Module i = Module::deserialize(interp, blob);
  EXPECT_FALSE(from_image(i));
  EXPECT_EQ(i.raw()->code->native_funcs, 0u);
  expect_same(run(interp, i), run(tiered, t));
  // A blob without machine code (tiering engine) loads into an eager
  // engine, which compiles it.
  Module plain = Module::deserialize(engine, Module::from_text(tiered, kProgram).serialize());
  EXPECT_FALSE(from_image(plain));
  EXPECT_EQ(plain.raw()->code->native_funcs, plain.raw()->code->funcs.size());
}

TEST_F(SerializeNative, RefusesCodeForAnotherTarget) {
  Engine engine = eager_engine();
  Bytes blob = Module::from_text(engine, kProgram).serialize();
  // A CPU feature this host lacks: named in the refusal.
  std::string why = refusal(engine, with_key_string(blob, 3, [](std::string f) {
                              return f + ",+ember-imaginary-feature";
                            }));
  EXPECT_NE(why.find("CPU features this host lacks (ember-imaginary-feature)"), std::string::npos)
      << why;
  EXPECT_NE(why.find("incompatible"), std::string::npos) << why;
  // A feature the code does not use but the host has is fine: dropping
  // every "+feature" leaves code that needs nothing.
  Bytes fewer = with_key_string(blob, 3, [](std::string) { return std::string("-avx512f"); });
  EXPECT_TRUE(from_image(Module::deserialize(engine, fewer)));
  why = refusal(engine, with_key_string(blob, 0, [](std::string) { return std::string("3.1.4"); }));
  EXPECT_NE(why.find("compiled by LLVM 3.1.4"), std::string::npos) << why;
  why = refusal(engine, with_key_string(blob, 1, [](std::string) {
                  return std::string("riscv64-unknown-linux-gnu");
                }));
  EXPECT_NE(why.find("compiled for riscv64-unknown-linux-gnu"), std::string::npos) << why;
  // The layouts compiled code reads (the u64 after the features).
  Bytes layout = blob;
  size_t at = natv_key(layout);
  for (int k = 0; k < 4; k++) {
    uint32_t n;
    std::memcpy(&n, layout.data() + at, 4);
    at += 4 + n;
  }
  layout[at] ^= 1;
  rt::reseal(layout);
  why = refusal(engine, layout);
  EXPECT_NE(why.find("other runtime layouts"), std::string::npos) << why;
  // The engine is unchanged by the refusals.
  expect_same(run(engine, Module::from_text(engine, kProgram)),
              run(engine, Module::deserialize(engine, blob)));
}

TEST_F(SerializeNative, RefusesDamagedMachineCode) {
  Engine engine = eager_engine();
  Bytes blob = Module::from_text(engine, kProgram).serialize();
  // Bytes in the last object (before the digest and END!), and in the
  // CODE section the machine code was compiled from: refused although the
  // header checksum is recomputed.
  for (size_t from_end : {size_t(40), size_t(200)}) {
    Bytes b = blob;
    b[b.size() - from_end] ^= 0x10;
    rt::reseal(b);
    std::string why = refusal(engine, b);
    EXPECT_NE(why.find("machine code digest mismatch"), std::string::npos) << why;
  }
  // The digest covers the module sections too. CODE ends with the pc map's (word, offset) pairs and
  // four empty vectors (tries, handlers, stack maps, reference slots): the last pair's module
  // offset is 20 bytes before NATV. Another offset is structurally fine (the IR verifier would take
  // it); the digest is not.
  Bytes code = blob;
  size_t natv = natv_key(code) - 5;
  code[natv - 20] ^= 0x01;
  rt::reseal(code);
  std::string why = refusal(engine, code);
  EXPECT_NE(why.find("machine code digest mismatch"), std::string::npos) << why;
  // Interpreter-only blobs have no digest: there the same change loads.
  Config c;
  c.strategy("interpreter");
  Engine interp(c);
  Bytes plain = Module::from_text(interp, kProgram).serialize();
  natv = plain.size() - 4 - 5;  // NATV tag and its 0 byte, then END!
  ASSERT_EQ(std::string(plain.begin() + long(natv), plain.begin() + long(natv) + 4), "NATV");
  plain[natv - 20] ^= 0x01;
  rt::reseal(plain);
  EXPECT_NO_THROW(Module::deserialize(interp, plain));
}

TEST_F(SerializeNative, CompileProgressReportsEveryFunction) {
  std::vector<std::pair<uint32_t, uint32_t>> calls;
  Config c;
  c.strategy("cranelift").compile_progress([&](uint32_t done, uint32_t total) {
    calls.emplace_back(done, total);
  });
  Engine engine(c);
  Module m = Module::from_text(engine, kProgram);
  const uint32_t n = uint32_t(m.raw()->code->funcs.size());
  ASSERT_GE(calls.size(), 2u);
  EXPECT_EQ(calls.front(), std::make_pair(0u, n));
  EXPECT_EQ(calls.back(), std::make_pair(n, n));
  for (size_t i = 1; i < calls.size(); i++) EXPECT_GT(calls[i].first, calls[i - 1].first);
}

}  // namespace
}  // namespace ember
