// A helper of the GC handlers (dispatch_gc.inc), shared by the tiers that
// include them (dispatch.cc, native_gc.cc).
#pragma once

#include "runtime/gc.hh"
#include "runtime/store_data.hh"

namespace ember::interp {

// new_struct / new_array reported as the other allocations report: the
// reference in *out, or why there is none.
inline TrapCode made(const rt::StoreData& s, rt::GcObject* o, rt::Slot* out) {
  *out = rt::gc_slot(o);
  return o ? TrapCode::None : s.heap.failure;
}

}  // namespace ember::interp
