// The component decoder's state and helpers, shared by decoder.cc (framing,
// instances, aliases, canon, imports and exports) and decode_types.cc
// (component-level and core types). Internal to src/component.
#pragma once

#include <cstdint>
#include <string>

#include "binary/reader.hh"
#include "component/component.hh"
#include "component/decoder.hh"

namespace ember::comp {

class ComponentDecoder {
 public:
  ComponentDecoder(const FeatureSet& f) : features_(f) {}

  // The component whose preamble starts at `r`'s position; `depth` counts
  // the components around it.
  Status component(Reader& r, uint32_t depth, ComponentData* out);

  // ---- types (decode_types.cc) ----
  Status type_section(Reader& r, ComponentData* c, uint32_t depth);
  Status core_type_section(Reader& r, ComponentData* c, uint32_t depth);
  Expected<std::shared_ptr<const TypeDef>> type_def(Reader& r, uint32_t depth);
  Expected<std::shared_ptr<const CoreTypeDef>> core_type(Reader& r, uint32_t depth);
  Expected<ValTypeRef> val_type(Reader& r);
  Expected<std::optional<ValTypeRef>> optional_val_type(Reader& r);
  Expected<ExternDesc> extern_desc(Reader& r);
  Expected<std::string> label(Reader& r);

  // ---- shared ----
  Expected<uint32_t> count(Reader& r, size_t min_elem_size = 1);
  Expected<Sort> sort(Reader& r);
  Expected<Sort> core_sort(Reader& r);
  Expected<ExternName> extern_name(Reader& r);
  Expected<ValType> core_val_type(Reader& r);
  Status alias(Reader& r, Alias* out);

 private:
  Status section(uint8_t id, Reader& r, ComponentData* c, uint32_t depth);
  Status core_module_section(Reader& r, ComponentData* c);
  Status instance_section(Reader& r, bool core, ComponentData* c);
  Status alias_section(Reader& r, ComponentData* c);
  Status canon_section(Reader& r, ComponentData* c);
  Status canon(Reader& r, CanonDef* out);
  Status canon_opts(Reader& r, CanonDef* out);
  Status start_section(Reader& r, ComponentData* c);
  Status import_section(Reader& r, ComponentData* c);
  Status export_section(Reader& r, ComponentData* c);
  Status value_section(Reader& r, ComponentData* c);
  Status custom_section(Reader& r, ComponentData* c);
  Status inline_exports(Reader& r, bool core, std::vector<InlineExport>* out);

  const FeatureSet& features_;
};

}  // namespace ember::comp
