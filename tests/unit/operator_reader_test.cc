// The operator reader: every operator of ir/operators.def decodes with its
// immediates, every truncation of an encoding is refused, and the encodings
// that depend on features or on the module decode as the spec says.
#include <gtest/gtest.h>

#include "binary/operator_reader.hh"

namespace ember {
namespace {

using Bytes = std::vector<uint8_t>;

void leb(Bytes& b, uint64_t v) {
  do {
    uint8_t byte = v & 0x7F;
    v >>= 7;
    b.push_back(byte | (v ? 0x80 : 0));
  } while (v);
}

// The opcode of `info` followed by a sample immediate of its kind; the
// indices are 1 and 2, the memory is 0 (the only one of the test module).
Bytes encode(const OpInfo& info) {
  Bytes b;
  if (info.prefix) {
    b.push_back(info.prefix);
    leb(b, info.code);
  } else {
    b.push_back(uint8_t(info.code));
  }
  switch (info.imm) {
    case ImmKind::None: break;
    case ImmKind::Block: b.push_back(0x7F); break;  // [] -> [i32]
    case ImmKind::BrTable: b.insert(b.end(), {2, 1, 2, 0}); break;
    case ImmKind::CallIndirect:
    case ImmKind::TableInit:
    case ImmKind::TableCopy:
    case ImmKind::TypeField:
    case ImmKind::TypeCount:
    case ImmKind::TypeData:
    case ImmKind::TypeElem:
    case ImmKind::TypeType: b.insert(b.end(), {1, 2}); break;
    case ImmKind::CastType:
      b.push_back(0x6C);
      break;  // i31
    // flags: nullable source, non-null target; label 1; anyref to (ref $2)
    case ImmKind::BrOnCast: b.insert(b.end(), {1, 1, 0x6E, 2}); break;
    case ImmKind::SelectT: b.insert(b.end(), {1, 0x7E}); break;
    case ImmKind::MemArg: b.insert(b.end(), {0, 0x81, 0x01}); break;  // offset 129
    case ImmKind::MemArgLane: b.insert(b.end(), {0, 0x81, 0x01, 1}); break;
    case ImmKind::Memory: b.push_back(0); break;
    case ImmKind::MemoryInit: b.insert(b.end(), {1, 0}); break;
    case ImmKind::MemoryCopy: b.insert(b.end(), {0, 0}); break;
    case ImmKind::I32: b.push_back(0x7F); break;  // -1
    case ImmKind::I64: b.push_back(0x7F); break;
    case ImmKind::F32: b.insert(b.end(), {1, 2, 3, 4}); break;
    case ImmKind::F64: b.insert(b.end(), {1, 2, 3, 4, 5, 6, 7, 8}); break;
    case ImmKind::HeapType: b.push_back(0x6F); break;
    case ImmKind::V128:
    case ImmKind::Shuffle:
      for (uint8_t i = 0; i < 16; i++) b.push_back(i);
      break;
    case ImmKind::Lane: b.push_back(1); break;
    case ImmKind::Zero: b.push_back(0); break;
    // [] -> [i32], catch 1 -> label 2, catch_all_ref -> label 0
    case ImmKind::TryTable: b.insert(b.end(), {0x7F, 2, 0, 1, 2, 3, 0}); break;
    default: b.push_back(1); break;  // one index
  }
  return b;
}

ModuleData one_memory(bool is64 = false) {
  ModuleData m;
  MemoryType mt;
  mt.limits.is64 = is64;
  m.memories.push_back(mt);
  m.data_count = 2;
  return m;
}

// One operator; its spans (targets, types) dangle once this returns.
Expected<Instr> read_one(const Bytes& b, const ModuleData& m, FeatureSet f,
                         OperatorReader::Context cx = OperatorReader::Context::FunctionBody) {
  Reader r(b.data(), b.size());
  OperatorReader ops(r, m, f, cx);
  Instr in;
  EMBER_TRY(ops.next(&in));
  return in;
}

void expect_immediates(const Instr& in) {
  switch (in.info->imm) {
    case ImmKind::Block:
      EXPECT_EQ(in.block.kind, BlockType::Kind::Value);
      EXPECT_EQ(in.block.value, ValType::I32);
      break;
    case ImmKind::BrTable:
      EXPECT_EQ(std::vector<uint32_t>(in.targets.begin(), in.targets.end()),
                (std::vector<uint32_t>{1, 2, 0}));
      break;
    case ImmKind::CallIndirect:
    case ImmKind::TableInit:
    case ImmKind::TableCopy:
    case ImmKind::TypeField:
    case ImmKind::TypeCount:
    case ImmKind::TypeData:
    case ImmKind::TypeElem:
    case ImmKind::TypeType:
      EXPECT_EQ(in.index[0], 1u);
      EXPECT_EQ(in.index[1], 2u);
      break;
    case ImmKind::CastType: EXPECT_EQ(in.ref, ValType::ref(HeapKind::I31, false)); break;
    case ImmKind::BrOnCast:
      EXPECT_EQ(in.index[0], 1u);
      EXPECT_EQ(in.ref, ValType::ref(HeapKind::Any, true));
      EXPECT_EQ(in.ref2, ValType::ref_index(2, false));
      break;
    case ImmKind::SelectT:
      ASSERT_EQ(in.types.size(), 1u);
      EXPECT_EQ(in.types[0], ValType::I64);
      break;
    case ImmKind::MemArg:
    case ImmKind::MemArgLane:
      EXPECT_EQ(in.memarg.offset, 129u);
      EXPECT_EQ(in.memarg.mem, 0u);
      if (in.info->imm == ImmKind::MemArgLane) {
        EXPECT_EQ(in.lane, 1);
      }
      break;
    case ImmKind::MemoryInit:
      EXPECT_EQ(in.index[0], 1u);
      EXPECT_EQ(in.index[1], 0u);
      break;
    case ImmKind::I32: EXPECT_EQ(in.bits, 0xFFFFFFFFu); break;
    case ImmKind::I64: EXPECT_EQ(in.bits, ~uint64_t(0)); break;
    case ImmKind::F32: EXPECT_EQ(in.bits, 0x04030201u); break;
    case ImmKind::F64: EXPECT_EQ(in.bits, 0x0807060504030201u); break;
    case ImmKind::HeapType: EXPECT_EQ(in.ref, ValType::ExternRef); break;
    case ImmKind::V128:
      EXPECT_EQ(in.bits, 0x0706050403020100u);
      EXPECT_EQ(in.bits_hi, 0x0F0E0D0C0B0A0908u);
      break;
    case ImmKind::Shuffle:
      ASSERT_NE(in.lanes, nullptr);
      EXPECT_EQ(in.lanes[15], 15);
      break;
    case ImmKind::Lane: EXPECT_EQ(in.lane, 1); break;
    case ImmKind::TryTable:
      EXPECT_EQ(in.block.kind, BlockType::Kind::Value);
      ASSERT_EQ(in.catches.size(), 2u);
      EXPECT_EQ(in.catches[0].kind, CatchClause::Catch);
      EXPECT_EQ(in.catches[0].tag, 1u);
      EXPECT_EQ(in.catches[0].label, 2u);
      EXPECT_EQ(in.catches[1].kind, CatchClause::CatchAllRef);
      EXPECT_EQ(in.catches[1].label, 0u);
      break;
    case ImmKind::None:
    case ImmKind::Zero:
    case ImmKind::Memory:
    case ImmKind::MemoryCopy: break;
    default: EXPECT_EQ(in.index[0], 1u); break;
  }
}

TEST(OperatorReader, EveryOperatorDecodesWithItsImmediates) {
  ModuleData m = one_memory();
  size_t n = 0;
  for (size_t i = 0; i < kOpCount; i++) {
    const OpInfo& info = op_info(Op(i));
    Bytes b = encode(info);
    Reader r(b.data(), b.size());
    // The spans of an Instr point into its reader: check them while it lives.
    OperatorReader ops(r, m, FeatureSet::defaults(), OperatorReader::Context::FunctionBody);
    Instr in;
    Status st = ops.next(&in);
    ASSERT_TRUE(st.ok()) << info.mnemonic << ": " << st.error().describe();
    EXPECT_EQ(in.info, &info) << info.mnemonic;
    EXPECT_TRUE(r.at_end()) << info.mnemonic;
    expect_immediates(in);
    n++;
  }
  EXPECT_GT(n, 400u);
}

TEST(OperatorReader, EveryTruncationIsMalformed) {
  ModuleData m = one_memory();
  for (size_t i = 0; i < kOpCount; i++) {
    const OpInfo& info = op_info(Op(i));
    Bytes b = encode(info);
    for (size_t len = 0; len < b.size(); len++) {
      Bytes part(b.begin(), b.begin() + len);
      auto r = read_one(part, m, FeatureSet::defaults());
      ASSERT_FALSE(r.ok()) << info.mnemonic << " cut to " << len << " bytes";
      EXPECT_EQ(r.error().kind(), ErrorKind::Malformed);
    }
  }
}

TEST(OperatorReader, UnknownOpcodesAreIllegal) {
  ModuleData m = one_memory();
  for (Bytes b : {Bytes{0xFF}, Bytes{0xFC, 0x7F}, Bytes{0xFD, 0xFF, 0x7F}}) {
    auto r = read_one(b, m, FeatureSet::all());
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message().find("illegal opcode"), std::string::npos);
  }
}

FeatureSet without(Feature f) {
  FeatureSet s = FeatureSet::defaults();
  s.set(f, false);
  return s;
}

TEST(OperatorReader, CallIndirectTableByteNeedsReferenceTypes) {
  ModuleData m = one_memory();
  Bytes b{0x11, 0x00, 0x01};
  auto with = read_one(b, m, FeatureSet::defaults());
  ASSERT_TRUE(with.ok());
  EXPECT_EQ(with->index[1], 1u);
  auto old = read_one(b, m, without(Feature::ReferenceTypes));
  ASSERT_FALSE(old.ok());
  EXPECT_NE(old.error().message().find("zero byte expected"), std::string::npos);
}

TEST(OperatorReader, MemoryIndicesNeedMultiMemory) {
  ModuleData m = one_memory();
  m.memories.push_back(m.memories[0]);
  auto size1 = read_one({0x3F, 0x01}, m, FeatureSet::all());  // memory.size 1
  ASSERT_TRUE(size1.ok());
  EXPECT_EQ(size1->index[0], 1u);
  auto refused = read_one({0x3F, 0x01}, m, without(Feature::MultiMemory));
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message().find("zero byte expected"), std::string::npos);
  // A memarg whose alignment has bit 6 set names its memory.
  auto load = read_one({0x28, 0x42, 0x01, 0x05}, m, FeatureSet::all());
  ASSERT_TRUE(load.ok());
  EXPECT_EQ(load->memarg.align, 2u);
  EXPECT_EQ(load->memarg.mem, 1u);
  EXPECT_EQ(load->memarg.offset, 5u);
}

// With memory64 (Wasm 3.0) every memarg offset is a u64, also for a 32-bit
// memory, whose range the validator checks; without it (2.0) a u32.
TEST(OperatorReader, Memory64OffsetsAreSixtyFourBit) {
  Bytes b{0x28, 0x02, 0x80, 0x80, 0x80, 0x80, 0x10};  // offset 2^32
  auto wide = read_one(b, one_memory(true), FeatureSet::all());
  ASSERT_TRUE(wide.ok());
  EXPECT_EQ(wide->memarg.offset, uint64_t(1) << 32);
  auto narrow = read_one(b, one_memory(false), FeatureSet::all());
  ASSERT_TRUE(narrow.ok());
  EXPECT_EQ(narrow->memarg.offset, uint64_t(1) << 32);
  auto v2 = read_one(b, one_memory(false), without(Feature::Memory64));
  ASSERT_FALSE(v2.ok());
  EXPECT_EQ(v2.error().kind(), ErrorKind::Malformed);
}

TEST(OperatorReader, MemopFlagsAbove127AreMalformed) {
  for (uint8_t hi : {uint8_t(0x01), uint8_t(0x02)}) {
    Bytes b{0x28, 0x80, hi, 0x00};  // flags 128 / 256
    auto r = read_one(b, one_memory(false), FeatureSet::all());
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message().find("malformed memop flags"), std::string::npos);
  }
}

TEST(OperatorReader, DataCountRequiredInBodiesOnly) {
  ModuleData m = one_memory();
  m.data_count.reset();
  Bytes drop{0xFC, 0x09, 0x00};  // data.drop 0
  auto body = read_one(drop, m, FeatureSet::defaults());
  ASSERT_FALSE(body.ok());
  EXPECT_NE(body.error().message().find("data count section required"), std::string::npos);
  EXPECT_TRUE(read_one(drop, m, FeatureSet::defaults(), OperatorReader::Context::ConstExpr).ok());
}

TEST(OperatorReader, BlockTypesAndBadTypeBytes) {
  ModuleData m = one_memory();
  auto empty = read_one({0x02, 0x40}, m, FeatureSet::defaults());
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->block.kind, BlockType::Kind::Empty);
  auto indexed = read_one({0x02, 0x05}, m, FeatureSet::defaults());
  ASSERT_TRUE(indexed.ok());
  EXPECT_EQ(indexed->block.kind, BlockType::Kind::Index);
  EXPECT_EQ(indexed->block.index, 5u);
  auto negative = read_one({0x02, 0x60}, m, FeatureSet::defaults());  // s33 -32
  ASSERT_FALSE(negative.ok());
  EXPECT_NE(negative.error().message().find("malformed value type"), std::string::npos);
  auto heap = read_one({0xD0, 0x7F}, m, FeatureSet::defaults());  // ref.null i32
  ASSERT_FALSE(heap.ok());
  EXPECT_NE(heap.error().message().find("malformed reference type"), std::string::npos);
  auto select = read_one({0x1C, 0x01, 0x55}, m, FeatureSet::defaults());
  ASSERT_FALSE(select.ok());
  EXPECT_NE(select.error().message().find("malformed value type"), std::string::npos);
}

}  // namespace
}  // namespace ember
