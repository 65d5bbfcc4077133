// Helpers shared by the public API implementation (src/api/api_*.cc):
// conversion of internal errors and trap codes into the API's exceptions.
#pragma once

#include "ember/errors.hh"
#include "runtime/runtime.hh"

namespace ember::api {

// Throws the exception for an internal error (Trap errors become Trap with
// the given code when known).
[[noreturn]] void throw_error(Error e, TrapCode trap = TrapCode::None,
                              rt::StoreData* store = nullptr);
// Throws for a trap code returned by a call: the host function's own
// exception for HostError, else a Trap with the wasm backtrace.
[[noreturn]] void throw_trap(rt::StoreData& store, TrapCode code);

}  // namespace ember::api
