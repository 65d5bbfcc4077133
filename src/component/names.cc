// Component name grammar (see names.hh).
#include "component/names.hh"

#include <cctype>

namespace ember::comp {
namespace {

bool is_lower_or_digit(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}
bool is_upper_or_digit(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// One fragment: all lowercase-or-digit or all uppercase-or-digit.
bool is_fragment(std::string_view f) {
  if (f.empty()) return false;
  bool lower = true, upper = true;
  for (char c : f) {
    lower = lower && is_lower_or_digit(c);
    upper = upper && is_upper_or_digit(c);
  }
  return lower || upper;
}

// `words`: lowercase fragments only, the first starting with a letter.
bool is_words(std::string_view s) {
  if (s.empty() || !(s[0] >= 'a' && s[0] <= 'z')) return false;
  size_t start = 0;
  for (size_t i = 0; i <= s.size(); i++) {
    if (i < s.size() && s[i] != '-') continue;
    std::string_view f = s.substr(start, i - start);
    if (f.empty()) return false;
    for (char c : f)
      if (!is_lower_or_digit(c)) return false;
    start = i + 1;
  }
  return true;
}

bool is_numeric(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

bool is_ident_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-';
}

// Dot-separated identifiers of a pre-release or build part.
bool dot_idents(std::string_view s, bool no_leading_zero) {
  size_t start = 0;
  for (size_t i = 0; i <= s.size(); i++) {
    if (i < s.size() && s[i] != '.') continue;
    std::string_view id = s.substr(start, i - start);
    if (id.empty()) return false;
    for (char c : id)
      if (!is_ident_char(c)) return false;
    if (no_leading_zero && is_numeric(id) && id.size() > 1 && id[0] == '0') return false;
    start = i + 1;
  }
  return true;
}

std::string plain_name_problem(std::string_view s) {
  Annotation a = annotation(s);
  if (a.kind.empty()) return is_label(s) ? "" : "not a kebab-case label";
  std::string_view rest = s.substr(a.kind.size() + 2);
  if (a.kind == "constructor") return is_label(rest) ? "" : "not a kebab-case label";
  size_t dot = rest.find('.');
  if (dot == std::string_view::npos) return "expected `resource.name` after the annotation";
  if (!is_label(rest.substr(0, dot)) || !is_label(rest.substr(dot + 1)))
    return "not a kebab-case label";
  return "";
}

std::string interface_name_problem(std::string_view s) {
  size_t colon = s.find(':');
  if (!is_words(s.substr(0, colon))) return "the namespace is not kebab-case words";
  std::string_view rest = s.substr(colon + 1);
  size_t slash = rest.find('/');
  if (slash == std::string_view::npos) return "expected `ns:package/interface`";
  if (!is_words(rest.substr(0, slash))) return "the package is not kebab-case words";
  rest = rest.substr(slash + 1);
  size_t at = rest.find('@');
  if (!is_label(rest.substr(0, at))) return "the interface is not a kebab-case label";
  if (at == std::string_view::npos) return "";
  std::string v = semver_problem(rest.substr(at + 1));
  return v.empty() ? "" : "bad version: " + v;
}

}  // namespace

bool is_label(std::string_view s) {
  if (s.empty() || !std::isalpha(static_cast<unsigned char>(s[0]))) return false;
  size_t start = 0;
  for (size_t i = 0; i <= s.size(); i++) {
    if (i < s.size() && s[i] != '-') continue;
    if (!is_fragment(s.substr(start, i - start))) return false;
    start = i + 1;
  }
  return true;
}

Annotation annotation(std::string_view name) {
  for (std::string_view kind : {"constructor", "method", "static"}) {
    if (name.size() > kind.size() + 2 && name[0] == '[' && name.substr(1, kind.size()) == kind &&
        name[kind.size() + 1] == ']') {
      std::string_view rest = name.substr(kind.size() + 2);
      return {kind, rest.substr(0, rest.find('.'))};
    }
  }
  return {};
}

std::string extern_name_problem(std::string_view s) {
  if (s.empty()) return "the name is empty";
  if (s.find(':') != std::string_view::npos) return interface_name_problem(s);
  return plain_name_problem(s);
}

std::string semver_problem(std::string_view s) {
  size_t plus = s.find('+');
  std::string_view core = s.substr(0, plus);
  if (plus != std::string_view::npos && !dot_idents(s.substr(plus + 1), false))
    return "bad build metadata";
  size_t dash = core.find('-');
  if (dash != std::string_view::npos && !dot_idents(core.substr(dash + 1), true))
    return "bad pre-release";
  core = core.substr(0, dash);
  int parts = 0;
  size_t start = 0;
  for (size_t i = 0; i <= core.size(); i++) {
    if (i < core.size() && core[i] != '.') continue;
    std::string_view n = core.substr(start, i - start);
    if (!is_numeric(n) || (n.size() > 1 && n[0] == '0')) return "expected MAJOR.MINOR.PATCH";
    parts++;
    start = i + 1;
  }
  return parts == 3 ? "" : "expected MAJOR.MINOR.PATCH";
}

std::string unique_key(std::string_view name) {
  Annotation a = annotation(name);
  std::string_view base = name;
  if (!a.kind.empty() && a.kind != "constructor") {
    std::string_view rest = name.substr(a.kind.size() + 2);
    std::string_view field = rest.substr(rest.find('.') + 1);
    base = field == a.resource ? field : rest;
  }
  std::string key(base);
  for (char& c : key) c = char(std::tolower(static_cast<unsigned char>(c)));
  return key;
}

}  // namespace ember::comp
