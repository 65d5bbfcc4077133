// Native stack headroom (platform layer).
//
// The interpreter runs wasm-to-wasm calls on its own frame stack, so only
// re-entry through the host (wasm -> host function -> wasm) consumes native
// stack. Each entry asks how much native stack the current thread has left
// and refuses to nest (StackOverflow trap) when less than
// kNativeStackReserve remains, so a deep wasm/host recursion traps instead
// of overflowing, also on threads started with a small stack.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ember::platform {

// Headroom kept free below any nested interpreter entry: one wasm -> host ->
// wasm cycle through the Python binding uses about 2 KiB, so this leaves room
// for many more than the host needs to unwind and report the trap.
constexpr size_t kNativeStackReserve = 64 * 1024;

// Bytes of native stack left below the caller's frame on this thread
// (SIZE_MAX when the platform cannot tell).
size_t native_stack_remaining();

// Lowest usable address of this thread's stack (0 when the platform cannot
// tell): compiled wasm code compares its stack pointer with a limit above it.
uintptr_t native_stack_low();

}  // namespace ember::platform
