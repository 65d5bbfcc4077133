// Compilation knobs: validate=false (what it skips and what it never skips),
// parallel translation (identical code, same errors as the serial path), and
// the code-generator settings accepted for compatibility.
#include <gtest/gtest.h>

#include <string>
#include <thread>

#include "ember/ember.hh"
#include "interp/code.hh"
#include "jit/jit.hh"
#include "interp_builder.hh"
#include "text/wat.hh"

namespace ember {
namespace {

using testing::Bytes;
using testing::ModuleBuilder;

// ---- validate = false -----------------------------------------------------------

TEST(ValidateFalse, SkipsOnlyRulesExecutionDoesNotNeed) {
  Engine engine;
  // Two exports with one name: invalid, but nothing relies on uniqueness.
  ModuleBuilder b;
  uint32_t t = b.type({}, {testing::I32});
  b.func(t, {0}, {0x41, 0x07, 0x0B}, "f");
  b.export_("f", 0, 0);
  Bytes dup = b.build();
  EXPECT_THROW(Module::from_binary(engine, dup), WasmError);
  Module m = Module::from_binary(engine, dup, /*validate=*/false);
  Store store(engine);
  Instance inst(store, m, {});
  EXPECT_EQ(inst.get_export("f")->func()->call({})[0].i32(), 7);
  // What compiled unvalidated also loads back from its serialized form.
  Module back = Module::deserialize(engine, m.serialize());
  EXPECT_EQ(back.exports().size(), 2u);

  // Multi-value results with the feature off: accepted unvalidated.
  Config no_mv;
  no_mv.wasm_feature(Feature::MultiValue, false);
  Engine old(no_mv);
  Expected<std::vector<uint8_t>> two =
      wat_to_wasm("(module (func (export \"p\") (result i32 i32) i32.const 1 i32.const 2))");
  EXPECT_THROW(Module::from_binary(old, *two), WasmError);
  EXPECT_NO_THROW(Module::from_binary(old, *two, false));
}

TEST(ValidateFalse, NeverSkipsWhatSafetyNeeds) {
  Engine engine;
  // A function body with a type error: the translator is driven by the
  // validator, so bodies are always checked.
  Expected<std::vector<uint8_t>> body = wat_to_wasm("(module (func (result i32) (i64.const 1)))");
  EXPECT_THROW(Module::from_binary(engine, *body, false), WasmError);

  // An export of a function that does not exist.
  ModuleBuilder b;
  uint32_t t = b.type({}, {});
  b.func(t, {0}, {0x0B});
  b.export_("ghost", 0, 5);
  EXPECT_THROW(Module::from_binary(engine, b.build(), false), WasmError);

  // An element segment for a table that does not exist, a start function
  // out of range, a global initialised with the wrong type.
  ModuleBuilder e;
  uint32_t te = e.type({}, {});
  e.func(te, {0}, {0x0B});
  e.elem(0, {0});  // no table
  EXPECT_THROW(Module::from_binary(engine, e.build(), false), WasmError);

  ModuleBuilder s;
  uint32_t ts = s.type({}, {});
  s.func(ts, {0}, {0x0B});
  s.raw_section(8, {0x09});  // start = function 9
  EXPECT_THROW(Module::from_binary(engine, s.build(), false), WasmError);

  ModuleBuilder g;
  g.raw_section(6,
                {0x01, testing::FUNCREF, 0x00, 0x41, 0x05, 0x0B});  // funcref global = i32.const 5
  EXPECT_THROW(Module::from_binary(engine, g.build(), false), WasmError);

  // Malformed bytes stay malformed.
  EXPECT_THROW(Module::from_binary(engine, Bytes{0, 'a', 's', 'm', 2, 0, 0, 0}, false), WasmError);
}

// ---- parallel translation ----------------------------------------------------------

// A module with `n` functions of assorted shapes (loops, branches, calls,
// memory), large enough for the parallel path.
std::string big_module(int n, int broken_at = -1, const char* broken_body = "") {
  std::string w = "(module (memory 1) (table " + std::to_string(n) + " funcref)\n";
  w += " (type $t (func (param i32 i32) (result i32)))\n";
  for (int i = 0; i < n; i++) {
    w += " (func $f" + std::to_string(i) + " (export \"f" + std::to_string(i) +
         "\") (type $t) (local i32)\n";
    if (i == broken_at) {
      w += broken_body;
      w += ")\n";
      continue;
    }
    switch (i % 4) {
      case 0:
        w += "  (block $d (loop $l (br_if $d (i32.ge_u (local.get 2) (local.get 1)))"
             " (local.set 0 (i32.add (i32.mul (local.get 0) (i32.const 3)) (local.get 2)))"
             " (local.set 2 (i32.add (local.get 2) (i32.const 1))) (br $l))) (local.get 0))\n";
        break;
      case 1:
        w += "  (i32.store (i32.and (local.get 0) (i32.const 1020)) (local.get 1))"
             " (i32.add (i32.load (i32.and (local.get 0) (i32.const 1020))) (i32.const " +
             std::to_string(i) + ")))\n";
        break;
      case 2:
        w += "  (if (result i32) (i32.lt_s (local.get 0) (local.get 1))"
             " (then (call $f" +
             std::to_string(i - 1) +
             " (local.get 1) (local.get 0)))"
             " (else (i32.sub (local.get 0) (local.get 1)))))\n";
        break;
      default:
        w += "  (block $c (block $b (block $a (br_table $a $b $c (i32.and (local.get 0) (i32.const "
             "3))))"
             " (return (i32.const 10))) (return (call_indirect (type $t) (local.get 0) (local.get "
             "1) (i32.const 0))))"
             " (i32.const " +
             std::to_string(i) + "))\n";
        break;
    }
  }
  w += " (elem (i32.const 0) $f0))";
  return w;
}

std::shared_ptr<ModuleData> compile_with(bool parallel, const std::vector<uint8_t>& wasm,
                                         Status* status = nullptr) {
  auto engine = std::make_shared<rt::EngineData>();
  engine->config.parallel_compilation = parallel;
  auto m = decode_module(wasm, engine->config.features);
  EXPECT_TRUE(m.ok());
  Status st = compile_module(**m, *engine);
  if (status) *status = std::move(st);
  else EXPECT_TRUE(st.ok()) << st.error().describe();
  return *m;
}

TEST(ParallelCompilation, SameCodeAsSerial) {
  Expected<std::vector<uint8_t>> wasm = wat_to_wasm(big_module(8000));
  ASSERT_TRUE(wasm.ok()) << wasm.error().describe();
  auto serial = compile_with(false, *wasm);
  auto parallel = compile_with(true, *wasm);
  rt::EngineConfig on;
  if (std::thread::hardware_concurrency() > 1) {
    EXPECT_GT(compile_threads(*parallel, on), 1u) << "the module should take the parallel path";
  }
  rt::EngineConfig off;
  off.parallel_compilation = false;
  EXPECT_EQ(compile_threads(*parallel, off), 1u);
  const CompiledCode& a = *serial->code;
  const CompiledCode& b = *parallel->code;
  // Handler words are the same in one process, so the words compare directly.
  EXPECT_EQ(a.words, b.words);
  ASSERT_EQ(a.funcs.size(), b.funcs.size());
  for (size_t i = 0; i < a.funcs.size(); i++) {
    EXPECT_EQ(a.funcs[i].begin, b.funcs[i].begin);
    EXPECT_EQ(a.funcs[i].end, b.funcs[i].end);
    EXPECT_EQ(a.funcs[i].frame_slots, b.funcs[i].frame_slots);
    EXPECT_EQ(a.funcs[i].num_locals, b.funcs[i].num_locals);
    EXPECT_EQ(b.funcs[i].entry, b.words.data() + b.funcs[i].begin);
  }
  ASSERT_EQ(a.pc_map.size(), b.pc_map.size());
  for (size_t i = 0; i < a.pc_map.size(); i++) {
    EXPECT_EQ(a.pc_map[i].word, b.pc_map[i].word);
    EXPECT_EQ(a.pc_map[i].offset, b.pc_map[i].offset);
  }

  // And it runs: the public API with parallel compilation on.
  Engine engine;
  Module m = Module::from_binary(engine, *wasm);
  Store store(engine);
  Instance inst(store, m, {});
  auto call = [&](int f, int32_t x, int32_t y) {
    return inst.get_export("f" + std::to_string(f))
        ->func()
        ->call(std::vector<Val>{Val::i32(x), Val::i32(y)})[0]
        .i32();
  };
  EXPECT_EQ(call(0, 1, 4), 99);     // the loop: x = 3x + i for i < 4
  EXPECT_EQ(call(7999, 0, 0), 10);  // br_table arms
  EXPECT_EQ(call(7999, 1, 4), 99);  // ... call_indirect of f0
  EXPECT_EQ(call(7999, 2, 0), 7999);
  EXPECT_EQ(call(2002, 1, 5), call(2001, 5, 1));
}

TEST(ParallelCompilation, SameErrorsAsSerial) {
  struct Case {
    int at;
    const char* body;
  };
  // Type errors early and late in the module: the first one is reported.
  for (Case c : {Case{6500, "(i64.const 1)"}, Case{10, "(f32.const 1)"}}) {
    Expected<std::vector<uint8_t>> wasm = wat_to_wasm(big_module(8000, c.at, c.body));
    ASSERT_TRUE(wasm.ok());
    Status s1, s2;
    compile_with(false, *wasm, &s1);
    compile_with(true, *wasm, &s2);
    ASSERT_FALSE(s1.ok());
    ASSERT_FALSE(s2.ok());
    EXPECT_EQ(s1.error().describe(), s2.error().describe());
  }
  // A type error followed later by a malformed body: malformed wins, as in
  // the serial path.
  Expected<std::vector<uint8_t>> wasm = wat_to_wasm(big_module(8000, 100, "(i64.const 1)"));
  ASSERT_TRUE(wasm.ok());
  // Make function 6000's body malformed: a bad local type.
  auto m = decode_module(*wasm, FeatureSet::defaults());
  ASSERT_TRUE(m.ok());
  std::vector<uint8_t> bad = *wasm;
  const FuncBody& body = (*m)->bodies[6000];
  bad[body.offset + 2] = 0xFF;  // after the local declarations (1 group: count, type)
  Status s1, s2;
  compile_with(false, bad, &s1);
  compile_with(true, bad, &s2);
  ASSERT_FALSE(s1.ok());
  EXPECT_EQ(s1.error().kind(), ErrorKind::Malformed);
  EXPECT_EQ(s1.error().describe(), s2.error().describe());
}

// ---- settings accepted for compatibility --------------------------------------------

TEST(CompileSettings, AcceptedValuesAndErrors) {
  Config c;
  for (const char* s : {"auto", "cranelift", "winch", "interpreter"})
    EXPECT_NO_THROW(c.strategy(s));
  EXPECT_THROW(c.strategy("pulley"), WasmError);
  EXPECT_THROW(c.strategy("llvm"), WasmError);
  for (const char* p : {"none", "jitdump", "vtune", "perfmap"}) EXPECT_NO_THROW(c.profiler(p));
  EXPECT_THROW(c.profiler("gprof"), WasmError);
  for (const char* o : {"none", "speed", "speed_and_size"})
    EXPECT_NO_THROW(c.cranelift_opt_level(o));
  EXPECT_THROW(c.cranelift_opt_level("fast"), WasmError);
  c.debug_info(true).cranelift_debug_verifier(true).parallel_compilation(false);
  Engine engine(c);
  EXPECT_FALSE(engine.is_pulley());
  EXPECT_STREQ(engine.tier(), "interpreter");
  // None of them changes what runs.
  Store store(engine);
  Instance inst(
      store, Module::from_text(engine, "(module (func (export \"f\") (result i32) (i32.const 3)))"),
      {});
  EXPECT_EQ(inst.get_export("f")->func()->call({})[0].i32(), 3);
}

// ---- what runs: the strategy's tiers -------------------------------------------------

constexpr const char* kTwoFunctions = R"((module
  (func $sq (param i32) (result i32) (i32.mul (local.get 0) (local.get 0)))
  (func (export "f") (param i32) (result i32) (call $sq (local.get 0)))))";

uint32_t compiled_after_a_call(const char* strategy, uint32_t* before) {
  Config c;
  c.strategy(strategy).tier_up_after(0).parallel_compilation(false);
  Engine engine(c);
  Module m = Module::from_text(engine, kTwoFunctions);
  *before = m.compiled_functions();
  Store store(engine);
  Instance inst(store, m, {});
  std::vector<Val> args{Val::i32(7)};
  EXPECT_EQ(inst.get_export("f")->func()->call(args)[0].i32(), 49);
  return m.compiled_functions();
}

TEST(CompileSettings, TheStrategyChoosesTheTiers) {
  uint32_t before = 0;
  Config c;
  if (!jit::available()) {
    for (const char* s : {"auto", "cranelift", "winch", "interpreter"}) {
      EXPECT_STREQ(Engine(Config().strategy(s)).tier(), "interpreter");
      EXPECT_EQ(compiled_after_a_call(s, &before), 0u);
    }
    return;
  }
  EXPECT_STREQ(Engine(Config().strategy("auto")).tier(), "tiered");
  EXPECT_STREQ(Engine(Config().strategy("cranelift")).tier(), "compiled");
  EXPECT_STREQ(Engine(Config().strategy("interpreter")).tier(), "interpreter");
  EXPECT_STREQ(Engine(Config().strategy("winch")).tier(), "interpreter");
  // Eager: both functions with the module.
  EXPECT_EQ(compiled_after_a_call("cranelift", &before), 2u);
  EXPECT_EQ(before, 2u);
  // Tiered, at the first call (which waits): the export and, called from
  // it, $sq.
  EXPECT_EQ(compiled_after_a_call("auto", &before), 2u);
  EXPECT_EQ(before, 0u);
  EXPECT_EQ(compiled_after_a_call("interpreter", &before), 0u);
  EXPECT_THROW(Config().tier_up_after(uint64_t{1} << 31), std::invalid_argument);
}

}  // namespace
}  // namespace ember
