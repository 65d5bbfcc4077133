// Component instantiation: each definition of a component, in binary
// order, extends one index space of its Frame (canon.hh). Validation has
// already checked every index, name and type, so a lookup that fails here
// is an internal error, never a guest's doing; the checks stay because a
// component is untrusted input and a wrong index must not read out of a
// vector.
#include "canon/canon.hh"

namespace ember::component {
namespace {

using comp::ComponentData;
using comp::Sort;

[[noreturn]] void broken(const std::string& what) {
  throw WasmError(ErrorKind::Internal, "component instantiation: " + what);
}

template <typename T>
const T& at(const std::vector<T>& v, uint32_t i, const char* what) {
  if (i >= v.size()) broken(std::string("no ") + what + " " + std::to_string(i));
  return v[i];
}

[[noreturn]] void not_yet(const std::string& what) {
  throw WasmError(ErrorKind::Unsupported, what + " is not supported yet");
}

ExternKind core_kind(Sort s) {
  switch (s) {
    case Sort::CoreFunc: return ExternKind::Func;
    case Sort::CoreTable: return ExternKind::Table;
    case Sort::CoreMemory: return ExternKind::Memory;
    case Sort::CoreGlobal: return ExternKind::Global;
    case Sort::CoreTag: return ExternKind::Tag;
    default: broken("not a core entity sort");
  }
}

class Runner {
 public:
  // `made`: every component definition this instantiation makes (see
  // run_component).
  Runner(Store& store, const std::shared_ptr<const ComponentImpl>& c,
         const std::shared_ptr<Frame>& f, std::vector<std::shared_ptr<CompDef>>& made)
      : store_(store), c_(c), f_(*f), frame_(f), made_(made) {}

  void run(const ComponentData& d) {
    auto space = c_->types->type_spaces.find(&d);
    if (space == c_->types->type_spaces.end()) broken("a component has no type space");
    space_ = &space->second;
    using It = ComponentData::Item;
    for (const auto& [kind, i] : d.order) {
      switch (kind) {
        case It::CoreModule: f_.modules.push_back(module(d.modules[i])); break;
        case It::CoreInstance: core_instance(d.core_instances[i]); break;
        case It::CoreType: break;
        case It::Component:
          f_.components.push_back(
              std::make_shared<CompDef>(CompDef{d.components[i].get(), frame_}));
          made_.push_back(f_.components.back());
          break;
        case It::Instance: instance(d.instances[i]); break;
        case It::Alias: alias(d.aliases[i]); break;
        case It::Type: type_def(*d.types[i]); break;
        case It::Canon: canon(d.canons[i]); break;
        case It::Start: not_yet("a component start function");
        case It::Import: import(d.imports[i]); break;
        case It::Export: export_def(d.exports[i]); break;
        case It::Value: not_yet("the value sort");
      }
    }
  }

 private:
  Module module(const comp::CoreModuleDef& m) {
    auto it = c_->modules.find(&m);
    if (it == c_->modules.end()) broken("a core module was not compiled");
    return it->second;
  }

  Extern core_entity(comp::SortIdx s) const {
    return at(f_.core[size_t(core_kind(s.sort))], s.index, comp::sort_name(s.sort));
  }

  void push_core(Sort sort, Extern e) { f_.core[size_t(core_kind(sort))].push_back(e); }

  void core_instance(const comp::InstanceDef& d) {
    auto ci = std::make_shared<CoreInst>();
    if (!d.instantiate) {
      for (const comp::InlineExport& e : d.exports) ci->bundle.emplace(e.name, core_entity(e.item));
      f_.core_instances.push_back(std::move(ci));
      return;
    }
    const Module& m = at(f_.modules, d.of, "core module");
    std::map<std::string, std::shared_ptr<CoreInst>> args;
    for (const comp::InstantiateArg& a : d.args)
      args[a.name] = at(f_.core_instances, a.item.index, "core instance");
    std::vector<Extern> imports;
    for (const ImportType& im : m.imports()) {
      auto arg = args.find(im.module);
      std::optional<Extern> e;
      if (arg != args.end()) e = arg->second->get(im.name);
      if (!e)
        throw WasmError(ErrorKind::Unlinkable,
                        "core instantiation: no import `" + im.module + "` `" + im.name + "`");
      imports.push_back(*e);
    }
    ci->inst.emplace(store_, m, imports);
    f_.core_instances.push_back(std::move(ci));
  }

  Item item(comp::SortIdx s) const {
    Item it;
    it.sort = s.sort;
    switch (s.sort) {
      case Sort::Func: it.func = at(f_.funcs, s.index, "function"); break;
      case Sort::Instance: it.instance = at(f_.instances, s.index, "instance"); break;
      case Sort::Component: it.component = at(f_.components, s.index, "component"); break;
      case Sort::CoreModule: it.module = at(f_.modules, s.index, "core module"); break;
      case Sort::Type:
        it.type = at(f_.types, s.index, "type");
        it.resource = resource(*f_.resources, it.type);
        break;
      default: not_yet(std::string("passing a ") + comp::sort_name(s.sort));
    }
    return it;
  }

  void push(const Item& it) {
    switch (it.sort) {
      case Sort::Func: f_.funcs.push_back(it.func); break;
      case Sort::Instance: f_.instances.push_back(it.instance); break;
      case Sort::Component: f_.components.push_back(it.component); break;
      case Sort::CoreModule: f_.modules.push_back(*it.module); break;
      case Sort::Type: {
        // This component's id for the new index (an alias or import has
        // one of its own): a resource type binds to it.
        TypeId id = at(*space_, uint32_t(f_.types.size()), "type");
        f_.types.push_back(id);
        if (it.resource) (*f_.resources)[id] = it.resource;
        break;
      }
      default: not_yet(std::string("a ") + comp::sort_name(it.sort) + " item");
    }
  }

  void instance(const comp::InstanceDef& d) {
    auto ci = std::make_shared<CInstance>();
    if (!d.instantiate) {
      for (const comp::InlineExport& e : d.exports) ci->exports[e.name] = item(e.item);
      f_.instances.push_back(std::move(ci));
      return;
    }
    const std::shared_ptr<CompDef>& def = at(f_.components, d.of, "component");
    auto child = std::make_shared<Frame>();
    child->parent = def->parent;
    if (def->parent) child->resources = std::make_shared<ResourceMap>(*def->parent->resources);
    for (const comp::InstantiateArg& a : d.args) child->args[a.name] = item(a.item);
    Runner(store_, c_, child, made_).run(*def->data);
    ci->exports = child->exports;
    f_.instances.push_back(std::move(ci));
  }

  void alias(const comp::Alias& a) {
    switch (a.kind) {
      case comp::Alias::Kind::CoreExport: {
        auto e = at(f_.core_instances, a.instance, "core instance")->get(a.name);
        if (!e) broken("core instance has no export `" + a.name + "`");
        push_core(a.sort, *e);
        return;
      }
      case comp::Alias::Kind::Export: {
        const auto& exports = at(f_.instances, a.instance, "instance")->exports;
        auto it = exports.find(a.name);
        if (it == exports.end()) broken("instance has no export `" + a.name + "`");
        push(it->second);
        return;
      }
      case comp::Alias::Kind::Outer: {
        const Frame* target = &f_;
        for (uint32_t n = 0; n < a.instance; n++) {
          if (!target->parent) broken("outer alias past the outermost component");
          target = target->parent.get();
        }
        Item it;
        it.sort = a.sort;
        if (a.sort == Sort::CoreModule) it.module = at(target->modules, a.index, "core module");
        else if (a.sort == Sort::Component)
          it.component = at(target->components, a.index, "component");
        else if (a.sort == Sort::Type) {
          it.type = at(target->types, a.index, "type");
          it.resource = resource(*target->resources, it.type);
        } else if (a.sort == Sort::CoreType) return;
        else broken("outer alias of a " + std::string(comp::sort_name(a.sort)));
        push(it);
        return;
      }
    }
  }

  Options options(const comp::CanonDef& d) {
    Options o;
    for (const comp::CanonOpt& opt : d.opts) {
      switch (opt.code) {
        case comp::CanonOptCode::Utf8: o.encoding = Encoding::Utf8; break;
        case comp::CanonOptCode::Utf16: o.encoding = Encoding::Utf16; break;
        case comp::CanonOptCode::Latin1Utf16: o.encoding = Encoding::Latin1Utf16; break;
        case comp::CanonOptCode::Memory:
          o.memory = at(f_.core[size_t(ExternKind::Memory)], opt.index, "memory").memory();
          break;
        case comp::CanonOptCode::Realloc:
          o.realloc = at(f_.core[size_t(ExternKind::Func)], opt.index, "core func").func();
          break;
        default: break;  // post-return: lift(); async, callback: refused by validation
      }
    }
    o.state = f_.state;
    return o;
  }

  void canon(const comp::CanonDef& d) {
    if (d.op == 0x00) return lift(d);
    if (d.op == 0x01) return lower(d);
    if (d.op < 0x02 || d.op > 0x04) not_yet(std::string("canon ") + comp::canon_name(d.op));
    TypeId id = at(f_.types, d.type, "type");
    std::shared_ptr<RType> rt = resource(*f_.resources, id);
    if (!rt) broken("canon " + std::string(comp::canon_name(d.op)) + " of an unknown resource");
    push_core(Sort::CoreFunc, resource_builtin(store_, d.op, std::move(rt), f_.state));
  }

  static std::shared_ptr<RType> resource(const ResourceMap& m, TypeId id) {
    auto it = m.find(id);
    return it == m.end() ? nullptr : it->second;
  }

  // A type definition; a resource definition makes a new resource type,
  // this instance's own.
  void type_def(const comp::TypeDef& t) {
    Item it;
    it.sort = Sort::Type;
    if (t.kind == comp::TypeKind::Resource) {
      auto rt = std::make_shared<RType>();
      rt->owner = f_.state;
      rt->store_id = store_.id();
      if (t.dtor) rt->dtor = at(f_.core[size_t(ExternKind::Func)], *t.dtor, "core func").func();
      it.resource = std::move(rt);
    }
    push(it);
  }

  void lift(const comp::CanonDef& d) {
    auto t = c_->types->lifts.find(&d);
    if (t == c_->types->lifts.end()) broken("a lift has no type");
    auto core = at(f_.core[size_t(ExternKind::Func)], d.func, "core func").func();
    if (!core) broken("lift of a non-function");
    std::optional<ember::Func> post;
    for (const comp::CanonOpt& opt : d.opts)
      if (opt.code == comp::CanonOptCode::PostReturn)
        post = at(f_.core[size_t(ExternKind::Func)], opt.index, "core func").func();
    f_.funcs.push_back(std::make_shared<FuncImpl>(
        FuncImpl{c_, t->second, *core, options(d), post, f_.state, store_.id(), {}, f_.resources}));
  }

  void lower(const comp::CanonDef& d) {
    const std::shared_ptr<FuncImpl>& target = at(f_.funcs, d.func, "function");
    ember::FuncType core = core_signature(*target);
    push_core(Sort::CoreFunc, lower_func(store_, target, options(d), core));
  }

  // The core type `canon lower` gives a function of this type.
  static ember::FuncType core_signature(const FuncImpl& f) {
    const comp::ComponentTypes& T = f.types();
    const comp::VType& ft = T[f.type];
    ember::FuncType out;
    size_t flat = 0;
    for (TypeId p : ft.kids) flat += T[p].flat.size();
    if (flat > comp::kMaxFlatParams) out.params = {ValType::I32};
    else
      for (TypeId p : ft.kids)
        for (ValType v : T[p].flat) out.params.push_back(v);
    if (ft.ok != comp::kNoType) {
      const comp::VType& r = T[ft.ok];
      if (r.flat.size() > comp::kMaxFlatResults) out.params.push_back(ValType::I32);
      else out.results = r.flat;
    }
    return out;
  }

  void import(const comp::ImportDef& d) {
    if (f_.linker) return push(from_linker(d));
    auto it = f_.args.find(d.name.name);
    if (it == f_.args.end()) broken("no argument for import `" + d.name.name + "`");
    push(it->second);
  }

  // ---- the outermost component's imports, from the linker ----

  static std::string sort_word(Sort s) {
    switch (s) {
      case Sort::Func: return "function";
      default: return comp::sort_name(s);
    }
  }

  static std::string node_word(LinkerNode::Kind k) {
    switch (k) {
      case LinkerNode::Kind::Func: return "func";
      case LinkerNode::Kind::Module: return "module";
      case LinkerNode::Kind::Resource: return "resource";
      default: return "instance";
    }
  }

  Item from_linker(const comp::ImportDef& d) {
    auto t = c_->types->imports.find(&d);
    if (t == c_->types->imports.end()) broken("an import has no type");
    std::vector<std::string> causes;
    std::optional<Item> item = export_of(*f_.linker, t->second, causes);
    if (item) return *item;
    std::string msg =
        "component imports " + sort_word(d.desc.sort) + " `" + d.name.name +
        "`, but a matching implementation was not found in the linker\n\nCaused by:\n";
    for (size_t i = 0; i < causes.size(); i++)
      msg += "    " + (causes.size() > 1 ? std::to_string(i) + ": " : "") + causes[i] + "\n";
    throw WasmError(ErrorKind::Unlinkable, msg);
  }

  std::optional<Item> resolve(const LinkerNode& n, const comp::Extern& want,
                              std::vector<std::string>& causes) {
    auto wrong_kind = [&](LinkerNode::Kind expected) {
      if (n.kind == expected) return false;
      causes.push_back("expected " + sort_word(want.sort) + " found " + node_word(n.kind));
      return true;
    };
    Item it;
    it.sort = want.sort;
    switch (want.sort) {
      case Sort::Func:
        if (wrong_kind(LinkerNode::Kind::Func)) return std::nullopt;
        {
          // (A definition made per store makes this store's function now.)
          HostFunc host = n.make_func ? n.make_func(StoreContext(store_.raw())) : n.func;
          it.func = std::make_shared<FuncImpl>(FuncImpl{c_,
                                                        want.type,
                                                        std::nullopt,
                                                        {},
                                                        std::nullopt,
                                                        nullptr,
                                                        store_.id(),
                                                        std::move(host),
                                                        f_.resources});
        }
        return it;
      case Sort::CoreModule:
        if (wrong_kind(LinkerNode::Kind::Module)) return std::nullopt;
        if (!module_matches(*n.module, *want.module, causes)) return std::nullopt;
        it.module = n.module;
        return it;
      case Sort::Instance: {
        if (wrong_kind(LinkerNode::Kind::Instance)) return std::nullopt;
        auto ci = std::make_shared<CInstance>();
        for (const comp::Extern& e : (*c_->types)[want.type].exports->list) {
          std::optional<Item> x = export_of(n, e, causes);
          if (!x) {
            causes.insert(causes.begin(), "instance export `" + e.name + "` has the wrong type");
            return std::nullopt;
          }
          ci->exports[e.name] = *x;
        }
        it.instance = std::move(ci);
        return it;
      }
      case Sort::Type:
        it.type = want.type;
        if ((*c_->types)[want.type].kind == comp::TypeKind::Resource) {
          if (wrong_kind(LinkerNode::Kind::Resource)) return std::nullopt;
          it.resource = n.resource;
          (*f_.resources)[want.type] = n.resource;  // what the import's functions name
        }
        return it;
      default: not_yet("importing a " + std::string(comp::sort_name(want.sort)));
    }
  }

  std::optional<Item> export_of(const LinkerNode& n, const comp::Extern& e,
                                std::vector<std::string>& causes) {
    // A type bound by equality needs nothing supplied; a missing instance
    // is looked into as an empty one (the missing item is named then).
    static const LinkerNode kEmpty;
    bool resource = e.sort == Sort::Type && (*c_->types)[e.type].kind == comp::TypeKind::Resource;
    if (e.sort == Sort::Type && !resource) return resolve(kEmpty, e, causes);
    if (resource) {
      // A resource type an earlier import defined, which this instance's
      // type names again (`use` in WIT): nothing more to supply.
      auto known = f_.resources->find(e.type);
      if (known != f_.resources->end()) {
        Item it;
        it.sort = Sort::Type;
        it.type = e.type;
        it.resource = known->second;
        return it;
      }
    }
    if (const LinkerNode* d = find_def(n, e.name)) return resolve(*d, e, causes);
    if (e.sort == Sort::Func && n.fallback) {
      LinkerNode f;
      f.kind = LinkerNode::Kind::Func;
      f.func = n.fallback(e.name);
      return resolve(f, e, causes);
    }
    if (e.sort == Sort::Instance) return resolve(kEmpty, e, causes);
    causes.push_back((e.sort == Sort::CoreModule ? "module" : sort_word(e.sort)) +
                     " implementation is missing");
    return std::nullopt;
  }

  // The definition of `name` in `n`: the one of that name, else (as the
  // `wasmtime` package) one whose name differs only in a semver-compatible
  // version (`a:b/c@0.2.9` finds `a:b/c@0.2.6`), the newest of them.
  static const LinkerNode* find_def(const LinkerNode& n, const std::string& name) {
    auto d = n.defs.find(name);
    if (d != n.defs.end()) return d->second.get();
    std::optional<std::string> key = semver_key(name);
    if (!key) return nullptr;
    const LinkerNode* best = nullptr;
    std::vector<uint64_t> best_version;
    for (const auto& [have, def] : n.defs) {
      if (semver_key(have) != key) continue;
      std::vector<uint64_t> v = version_numbers(have);
      if (!best || v > best_version) best = def.get(), best_version = std::move(v);
    }
    return best;
  }

  // `name` cut to the part of its version that compatible versions share:
  // the major number, or `0.minor`, or all of `0.0.patch`; nullopt when
  // it has no plain `major.minor.patch` version.
  static std::optional<std::string> semver_key(const std::string& name) {
    size_t at = name.rfind('@');
    if (at == std::string::npos) return std::nullopt;
    std::vector<uint64_t> v = version_numbers(name);
    if (v.size() != 3) return std::nullopt;
    std::string base = name.substr(0, at + 1);
    if (v[0] != 0) return base + std::to_string(v[0]);
    if (v[1] != 0) return base + "0." + std::to_string(v[1]);
    return name;
  }

  static std::vector<uint64_t> version_numbers(const std::string& name) {
    size_t at = name.rfind('@');
    std::vector<uint64_t> v;
    if (at == std::string::npos) return v;
    uint64_t x = 0;
    bool digits = false;
    for (size_t i = at + 1; i <= name.size(); i++) {
      char ch = i < name.size() ? name[i] : '.';
      if (ch >= '0' && ch <= '9' && x < (uint64_t{1} << 60)) {
        x = x * 10 + uint64_t(ch - '0');
        digits = true;
      } else if (ch == '.' && digits) {
        v.push_back(x);
        x = 0;
        digits = false;
      } else {
        return {};  // a pre-release or build suffix: exact names only
      }
    }
    return v;
  }

  // True when `m` has every export `want` lists, of the kind and type
  // listed; else says why in `causes`.
  static bool module_matches(const Module& m, const comp::CoreModuleInfo& want,
                             std::vector<std::string>& causes) {
    std::map<std::string, ExportType> have;
    for (ExportType& e : m.exports()) have.emplace(e.name, std::move(e));
    for (const auto& [name, w] : want.exports) {
      auto it = have.find(name);
      if (it == have.end()) {
        causes.push_back("module export `" + name + "` not defined");
        return false;
      }
      const ExternType& t = it->second.type;
      comp::CoreModuleInfo::Entry e;
      e.kind = t.kind;
      e.func = t.kind == ExternKind::Tag ? t.tag.functype : t.func;
      e.table = t.table;
      e.memory = t.memory;
      e.global = t.global;
      if (std::string why = comp::core_mismatch(e, w); !why.empty()) {
        causes.push_back("module export `" + name + "` has the wrong type");
        causes.push_back(why);
        return false;
      }
    }
    return true;
  }

  void export_def(const comp::ExportDef& e) {
    Item it = item(e.item);
    f_.exports[e.name.name] = it;
    push(it);
  }

  Store& store_;
  const std::shared_ptr<const ComponentImpl>& c_;
  const std::vector<TypeId>* space_ = nullptr;  // the component's type index space
  Frame& f_;
  std::shared_ptr<Frame> frame_;
  std::vector<std::shared_ptr<CompDef>>& made_;
};

}  // namespace

std::optional<Extern> CoreInst::get(const std::string& name) const {
  if (inst) return inst->get_export(name);
  auto it = bundle.find(name);
  if (it == bundle.end()) return std::nullopt;
  return it->second;
}

void run_component(Store& store, const std::shared_ptr<const ComponentImpl>& c,
                   const comp::ComponentData& def, const std::shared_ptr<Frame>& frame) {
  // A component definition refers to the frame it was defined in (for
  // its instantiations' outer aliases), and that frame to it: a cycle that
  // kept every frame, core instance and module of the instantiation alive
  // for good. Definitions are instantiated only while this runs, so they
  // let go of their frames when it ends, however it ends.
  struct LetGo {
    std::vector<std::shared_ptr<CompDef>> made;
    ~LetGo() {
      for (const std::shared_ptr<CompDef>& d : made) d->parent.reset();
    }
  } defs;
  Runner(store, c, frame, defs.made).run(def);
}

}  // namespace ember::component
