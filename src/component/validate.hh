// Component validation (pipeline: decode_component -> validate_component).
//
// Checks a decoded component (component.hh) against the component model's
// validation rules: every index space (core funcs, tables, memories,
// globals, tags, types, modules and instances; component funcs, values,
// types, components and instances) grows definition by definition and every
// reference is in range and of the right sort; aliases resolve (an export
// alias names an export the instance has, an outer alias counts enclosing
// scopes); type definitions refer to value types and resources where they
// must; `canon lift`/`lower` agree with the canonical ABI's flattening of
// the function type (MAX_FLAT_PARAMS 16, MAX_FLAT_RESULTS 1) and have the
// options that type needs; instantiations get every import by name with a
// compatible type; import and export names are strongly unique.
// Validation failures are ErrorKind::Invalid with the byte offset of the
// definition; constructs decoded but not supported yet (the value sort and
// start functions, async function types and options, the concurrency,
// error-context and thread built-ins, stream/future/map/fixed-size-list
// types) are ErrorKind::Unsupported, never accepted silently.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "component/component.hh"
#include "support/error.hh"

namespace ember::comp {

// Checks a nested core module. The default (an empty function) runs the
// module-level validation (types, imports, exports, segments); a caller
// that can compile passes one that also validates function bodies.
using CoreModuleCheck = std::function<Status(ModuleData&)>;

// An import or export of the outermost component, for tools.
struct ExternSummary {
  std::string name;
  Sort sort = Sort::Func;
  std::string type;  // e.g. "func(a: u32) -> string"
};

struct ComponentSummary {
  std::vector<ExternSummary> imports, exports;
  uint32_t counts[kNumSorts] = {};  // the outermost scope's index spaces
  uint32_t count(Sort s) const { return counts[size_t(s)]; }
};

struct ComponentTypes;  // validator.hh

// `types`, when given, receives what running the component needs of the
// validation: the resolved types and the function type of each `canon lift`.
Expected<ComponentSummary> validate_component(
    const ComponentData& c, const FeatureSet& features, const CoreModuleCheck& check_module = {},
    std::shared_ptr<const ComponentTypes>* types = nullptr);

}  // namespace ember::comp
