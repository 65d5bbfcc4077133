// The Ember C++ API: one include for everything.
//
//   ember::Engine engine;
//   ember::Store store(engine);
//   ember::Module module = ember::Module::from_text(engine, "(module ...)");
//   ember::Linker linker(engine);
//   linker.func_wrap(store, "env", "log", [](int32_t x) { ... });
//   ember::Instance inst = linker.instantiate(store, module);
//   auto add = inst.get_export("add")->func()->typed<int32_t(int32_t, int32_t)>();
//   int32_t r = add(1, 2);
//
// Errors are exceptions (WasmError, Trap; errors.hh). Lifetime rule: nothing
// a Store creates is freed before the Store; handles are plain pointers into
// it. See examples/hello.cc.
#pragma once

#include "ember/component.hh"
#include "ember/engine.hh"
#include "ember/errors.hh"
#include "ember/instance.hh"
#include "ember/linker.hh"
#include "ember/module.hh"
#include "ember/objects.hh"
#include "ember/store.hh"
#include "ember/types.hh"
#include "ember/wasi.hh"
