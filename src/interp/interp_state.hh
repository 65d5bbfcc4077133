// Per-store interpreter state (internal to src/interp).
//
// Held in StoreData::interp, created on the first call. The value stack and
// the frame stack are allocated once, at their maximum sizes, so the dispatch
// loop never allocates.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "interp/code.hh"
#include "interp/interp.hh"
#include "runtime/store_data.hh"

namespace ember::interp {

// A suspended caller: where to resume and its frame.
struct Frame {
  const uint32_t* pc;
  rt::Slot* fp;
  rt::ModuleInst* inst;
  const FuncCode* fn;
};

struct State {
  std::unique_ptr<rt::Slot[]> stack;  // untouched until used (lazily paged)
  rt::Slot* stack_end = nullptr;
  std::vector<Frame> frames;  // grows (cold path) up to kMaxFrames
  size_t nframes = 0;
  rt::Slot* top = nullptr;  // first free slot for a nested entry
  uint32_t nesting = 0;     // dispatch loops active on the native stack
  std::vector<BacktraceFrame> backtrace;
};

constexpr size_t kMaxFrames = 100000;
constexpr size_t kInitialFrames = 256;
constexpr uint32_t kMaxNesting = 200;

State& state_of(rt::StoreData& store);

// The dispatch loop: runs wasm function `f` whose frame starts at `fp`
// (arguments in place, locals zeroed). Results end in fp[0..).
TrapCode run(State& st, rt::StoreData& store, rt::FuncInst* f, rt::Slot* fp);

// Label-offset table of the dispatch loop (indexed by IOp).
const int32_t* handler_table();

}  // namespace ember::interp
