// Public API: Module (decode + validate + translate, from binary or text) and
// its import/export descriptions.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>

#include "ember/module.hh"
#include "api/api_support.hh"
#include "compile/module_cache.hh"
#include "compile/serialize.hh"
#include "interp/code.hh"
#include "text/wat.hh"

namespace ember {

namespace {

Module compile(const Engine& engine, std::vector<uint8_t> bytes, bool validate = true) {
  Expected<std::shared_ptr<ModuleData>> m =
      rt::compile_bytes(*engine.raw(), std::move(bytes), validate);
  if (!m) api::throw_error(m.take_error());
  return Module(engine, std::shared_ptr<const ModuleData>(std::move(*m)));
}

std::vector<uint8_t> read_whole_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw WasmError(ErrorKind::Internal, path + ": cannot open file");
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
  if (in.bad()) throw WasmError(ErrorKind::Internal, path + ": read error");
  return bytes;
}

bool is_binary(std::span<const uint8_t> bytes) {
  return bytes.size() >= 4 && bytes[0] == 0 && bytes[1] == 'a' && bytes[2] == 's' &&
         bytes[3] == 'm';
}

// Reflected types name concrete heap types by canonical id, as the types of
// the store entities that instantiation makes (Func::type() and friends).
ExternType type_of(const ModuleData& m, ExternKind kind, uint32_t index) {
  ExternType t;
  t.kind = kind;
  switch (kind) {
    case ExternKind::Func: t.func = m.canonical_types[m.funcs[index]]; break;
    case ExternKind::Table:
      t.table = m.tables[index];
      t.table.elem = m.canonical(t.table.elem);
      break;
    case ExternKind::Memory: t.memory = m.memories[index]; break;
    case ExternKind::Global:
      t.global = m.globals[index].type;
      t.global.type = m.canonical(t.global.type);
      break;
    case ExternKind::Tag: t.tag.functype = m.canonical_types[m.tags[index]]; break;
  }
  return t;
}

}  // namespace

Module Module::from_binary(const Engine& engine, std::span<const uint8_t> bytes, bool validate) {
  return compile(engine, std::vector<uint8_t>(bytes.begin(), bytes.end()), validate);
}

Module Module::from_text(const Engine& engine, std::string_view wat) {
  Expected<std::vector<uint8_t>> bytes = wat_to_wasm(wat, engine.features());
  if (!bytes) api::throw_error(bytes.take_error());
  return compile(engine, std::move(*bytes));
}

Module Module::from_bytes_or_text(const Engine& engine, std::span<const uint8_t> bytes) {
  if (is_binary(bytes)) return from_binary(engine, bytes);
  return from_text(engine,
                   std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

Module Module::from_file(const Engine& engine, const std::string& path) {
  std::vector<uint8_t> bytes = read_whole_file(path);
  try {
    return from_bytes_or_text(engine, bytes);
  } catch (const WasmError& e) {
    throw WasmError(e.kind(), path + ": " + e.what());
  }
}

void Module::validate(const Engine& engine, std::span<const uint8_t> bytes) {
  (void)from_binary(engine, bytes);
}

bool Module::is_serialized(std::span<const uint8_t> bytes) {
  return rt::is_serialized(bytes);
}

Module Module::deserialize(const Engine& engine, std::span<const uint8_t> blob) {
  Expected<std::shared_ptr<ModuleData>> m = rt::deserialize_module(blob, *engine.raw());
  if (!m) api::throw_error(m.take_error());
  return Module(engine, std::shared_ptr<const ModuleData>(std::move(*m)));
}

Module Module::deserialize_file(const Engine& engine, const std::string& path) {
  std::vector<uint8_t> blob;
  FILE* f = std::fopen(path.c_str(), "rb");
  int err = errno;
  bool good = f != nullptr;
  if (f) {
    uint8_t buf[1 << 16];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) blob.insert(blob.end(), buf, buf + n);
    good = !std::ferror(f);
    err = errno;
    std::fclose(f);
  }
  if (!good)
    throw WasmError(ErrorKind::Internal,
                    "failed to read serialized module `" + path + "`: " + std::strerror(err));
  try {
    return deserialize(engine, blob);
  } catch (const WasmError& e) {
    throw WasmError(e.kind(), path + ": " + e.what(), e.message());
  }
}

Module Module::load_file(const Engine& engine, const std::string& path) {
  std::vector<uint8_t> bytes = read_whole_file(path);
  try {
    if (is_serialized(bytes)) return deserialize(engine, bytes);
    return from_bytes_or_text(engine, bytes);
  } catch (const WasmError& e) {
    throw WasmError(e.kind(), path + ": " + e.what());
  }
}

std::vector<uint8_t> Module::serialize() const {
  Expected<std::vector<uint8_t>> blob = rt::serialize_module(*data_, *engine_.raw());
  if (!blob) api::throw_error(blob.take_error());
  return std::move(*blob);
}

Module Module::for_engine(const Engine& engine) const {
  if (engine == engine_) return *this;
  rt::ReboundModules& cache = engine.raw()->rebound;
  {
    std::lock_guard<std::mutex> lock(cache.mu);
    auto it = cache.entries.find(data_.get());
    if (it != cache.entries.end() && it->second.original.lock() == data_)
      return Module(engine, it->second.copy);
  }
  Module copy = [&] {
    try {
      return deserialize(engine, serialize());
    } catch (const WasmError& e) {
      throw WasmError(ErrorKind::Internal,
                      std::string("module and store belong to different engines whose "
                                  "configurations differ: ") +
                          e.message());
    }
  }();
  std::lock_guard<std::mutex> lock(cache.mu);
  std::erase_if(cache.entries, [](const auto& kv) { return kv.second.original.expired(); });
  cache.entries[data_.get()] = {data_, copy.raw()};
  return copy;
}

std::vector<ImportType> Module::imports() const {
  std::vector<ImportType> out;
  for (const Import& imp : data_->imports) {
    ImportType t{imp.module, imp.name, {}};
    t.type.kind = imp.kind;
    switch (imp.kind) {
      case ExternKind::Func: t.type.func = data_->canonical_types[imp.func_type]; break;
      case ExternKind::Table:
        t.type.table = imp.table;
        t.type.table.elem = data_->canonical(imp.table.elem);
        break;
      case ExternKind::Memory: t.type.memory = imp.memory; break;
      case ExternKind::Global:
        t.type.global = imp.global;
        t.type.global.type = data_->canonical(imp.global.type);
        break;
      case ExternKind::Tag: t.type.tag.functype = data_->canonical_types[imp.tag_type]; break;
    }
    out.push_back(std::move(t));
  }
  return out;
}

std::vector<ExportType> Module::exports() const {
  std::vector<ExportType> out;
  for (const Export& e : data_->exports) out.push_back({e.name, type_of(*data_, e.kind, e.index)});
  return out;
}

std::vector<std::span<const uint8_t>> Module::custom_sections(std::string_view name) const {
  std::vector<std::span<const uint8_t>> out;
  for (const CustomSection& c : data_->customs)
    if (c.name == name) out.emplace_back(c.data);
  return out;
}

std::string Module::name() const {
  return data_->names.module_name;
}

uint32_t Module::compiled_functions() const {
  uint32_t n = 0;
  if (data_->code)
    for (const interp::FuncCode& fc : data_->code->funcs)
      n += fc.native.get() != nullptr || fc.osr.get() != nullptr;
  return n;
}

std::span<const uint8_t> Module::binary() const {
  return data_->bytes;
}

std::vector<uint8_t> wat2wasm(std::string_view text) {
  Expected<std::vector<uint8_t>> bytes = wat_to_wasm(text);
  if (!bytes) api::throw_error(bytes.take_error());
  return std::move(*bytes);
}

CacheStats cache_stats() {
  rt::CacheStats s = rt::cache_stats();
  return CacheStats{s.hits, s.misses, s.rejected, s.writes, s.write_errors};
}

}  // namespace ember
