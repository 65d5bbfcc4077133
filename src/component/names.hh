// The grammar of component import/export names and type labels, and the
// "strongly-unique" rule that keeps names of one scope apart.
//
// Place: used by the component decoder (a name that does not follow the
// grammar is malformed) and by the validator (names of one scope must be
// strongly unique). The grammar is the component model explainer's
// `externname`: a kebab-case `label` (`a-b`, `HTTP-2`), a plain name with a
// `[constructor]`, `[method]` or `[static]` annotation, or an interface name
// `ns:pkg/iface` with an optional `@semver`.
#pragma once

#include <string>
#include <string_view>

namespace ember::comp {

// A kebab-case label: fragments of lowercase words or uppercase acronyms
// joined by '-', the first starting with a letter.
bool is_label(std::string_view s);

// Why `s` is not a valid extern name, or "" when it is.
std::string extern_name_problem(std::string_view s);

// Why `s` is not a valid semantic version (semver.org 2.0), or "".
std::string semver_problem(std::string_view s);

// The canonical form two names are compared by for strong uniqueness
// (acronyms lowercased, `[method]r.r` and `[static]r.r` as `r`, annotations
// other than `[constructor]` dropped). `name` must be a valid extern name.
std::string unique_key(std::string_view name);

// Annotation of a plain name: "" or "constructor", "method", "static", and
// the resource label it names.
struct Annotation {
  std::string_view kind, resource;
};
Annotation annotation(std::string_view name);

}  // namespace ember::comp
