// Copy-on-write memory images and recycled memory reservations: what an
// instance sees must be exactly what copying the data segments into fresh
// zeroed memory would give, whatever memory it was handed.
#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "ember/ember.hh"
#include "runtime/memory_image.hh"

namespace ember {
namespace {

const char* kImaged = R"((module (memory (export "m") 1 4)
  (data (i32.const 16) "hello")
  (data (i32.const 8190) "across a page")
  (data (i32.const 20) "O")
  (data $p "passive")
  (func (export "load8") (param i32) (result i32) local.get 0 i32.load8_u)
  (func (export "store8") (param i32 i32) local.get 0 local.get 1 i32.store8)
  (func (export "init") (param i32 i32 i32) local.get 0 local.get 1 local.get 2 memory.init $p)
  (func (export "init_active") (param i32) local.get 0 i32.const 0 i32.const 1 memory.init 0)
  (func (export "grow") (param i32) (result i32) local.get 0 memory.grow)))";

std::string read(const Memory& m, uint64_t at, size_t n) {
  return std::string(reinterpret_cast<const char*>(m.data()) + at, n);
}

TEST(MemoryImage, ContentsMatchCopyingTheSegments) {
  Engine engine;
  Module mod = Module::from_text(engine, kImaged);
  ASSERT_NE(rt::memory_image(*mod.raw()), nullptr);  // this module qualifies
  Store store(engine);
  Instance inst(store, mod, {});
  Memory m = *inst.get_export("m")->memory();
  EXPECT_EQ(read(m, 16, 5), std::string("hellO"));  // later segments overwrite earlier ones
  EXPECT_EQ(read(m, 8190, 13), "across a page");
  EXPECT_EQ(m.data()[0], 0);
  EXPECT_EQ(m.data()[65535], 0);
}

TEST(MemoryImage, WritesArePrivateToTheInstance) {
  Engine engine;
  Module mod = Module::from_text(engine, kImaged);
  Store s1(engine), s2(engine);
  Instance a(s1, mod, {});
  Instance b(s1, mod, {});
  Instance c(s2, mod, {});
  a.get_export("store8")->func()->typed<void(int32_t, int32_t)>()(16, 'J');
  EXPECT_EQ(read(*a.get_export("m")->memory(), 16, 2), "Je");
  EXPECT_EQ(read(*b.get_export("m")->memory(), 16, 2), "he");
  EXPECT_EQ(read(*c.get_export("m")->memory(), 16, 2), "he");
  Instance d(s2, mod, {});  // instantiated after the write: still the image
  EXPECT_EQ(read(*d.get_export("m")->memory(), 16, 2), "he");
}

TEST(MemoryImage, SegmentsStillServeMemoryInitAndAreDropped) {
  Engine engine;
  Store store(engine);
  Instance inst(store, Module::from_text(engine, kImaged), {});
  inst.get_export("init")->func()->typed<void(int32_t, int32_t, int32_t)>()(100, 1, 4);
  EXPECT_EQ(read(*inst.get_export("m")->memory(), 100, 4), "assi");
  // Active segment 0 was dropped by instantiation: a non-empty init traps.
  EXPECT_THROW(inst.get_export("init_active")->func()->typed<void(int32_t)>()(0), Trap);
}

TEST(MemoryImage, GrowthBeyondTheImage) {
  Engine engine;
  Store store(engine);
  Instance inst(store, Module::from_text(engine, kImaged), {});
  EXPECT_EQ(inst.get_export("grow")->func()->typed<int32_t(int32_t)>()(2), 1);
  Memory m = *inst.get_export("m")->memory();
  EXPECT_EQ(m.data()[3 * 65536 - 1], 0);
  inst.get_export("store8")->func()->typed<void(int32_t, int32_t)>()(3 * 65536 - 1, 9);
  EXPECT_EQ(inst.get_export("load8")->func()->typed<int32_t(int32_t)>()(3 * 65536 - 1), 9);
  EXPECT_EQ(read(m, 16, 5), "hellO");
}

TEST(MemoryImage, ModulesThatDoNotQualifyAreCopiedAndTrapAsBefore) {
  Engine engine;
  // Offset from a global: no image, same contents.
  Module g = Module::from_text(engine, R"((module (import "" "g" (global i32))
    (memory (export "m") 1) (data (global.get 0) "xyz")))");
  EXPECT_EQ(rt::memory_image(*g.raw()), nullptr);
  Store store(engine);
  Global offset = Global::create(store, GlobalType{ValType::I32, false}, Val::i32(32));
  Extern imports[] = {offset};
  Instance inst(store, g, imports);
  EXPECT_EQ(read(*inst.get_export("m")->memory(), 32, 3), "xyz");
  // A segment past the memory: no image, and instantiation traps.
  Module oob = Module::from_text(engine, R"((module (memory 1) (data (i32.const 65534) "xyz")))");
  EXPECT_EQ(rt::memory_image(*oob.raw()), nullptr);
  EXPECT_THROW(Instance(store, oob, {}), Trap);
}

TEST(MemoryImage, RecycledMemoryStartsZeroed) {
  Engine engine;
  Module writer = Module::from_text(engine, kImaged);
  Module plain = Module::from_text(engine, R"((module (memory (export "m") 1)))");
  int reused = 0;
  for (int round = 0; round < 40; round++) {
    const uint8_t* dirty;
    {
      Store s(engine);
      Instance a(s, writer, {});
      Memory m = *a.get_export("m")->memory();
      std::memset(m.data(), 0xAB, 65536);  // dirty every byte, image pages included
      dirty = m.data();
    }  // the reservation goes back to the pool here
    Store s(engine);
    Instance b(s, plain, {});
    Memory m = *b.get_export("m")->memory();
    reused += m.data() == dirty;
    for (size_t i = 0; i < 65536; i += 511)
      ASSERT_EQ(m.data()[i], 0) << "round " << round << " byte " << i;
    ASSERT_EQ(m.data()[16], 0);
    ASSERT_EQ(m.data()[8190], 0);
  }
  EXPECT_GT(reused, 0);  // the pool really handed the dirty reservations back out
}

}  // namespace
}  // namespace ember
