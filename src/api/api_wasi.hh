// The store's WASI context, for the WASI 0.2 host (src/wasip2), which
// shares preview 1's configuration, stdio and preopened directories.
#pragma once

#include <memory>

#include "runtime/store_data.hh"
#include "wasi/wasi.hh"

namespace ember {

// The context Store's set_wasi() made current; null before that.
std::shared_ptr<wasi::Context> store_wasi_context(rt::StoreData& store);

}  // namespace ember
