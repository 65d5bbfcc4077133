// Numeric literals of the WebAssembly text format; see literals.hh.
#include "text/literals.hh"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <locale.h>
#include <string>

namespace ember::text {

namespace {

int digit_val(char c, bool hex) {
  if (c >= '0' && c <= '9') return c - '0';
  if (hex && c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (hex && c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Length of a digit run with single `_` separators starting at s[i]; 0 if
// none or if a separator is misplaced (the caller then reports Syntax).
size_t digit_run(std::string_view s, size_t i, bool hex, bool* bad) {
  size_t b = i;
  while (i < s.size()) {
    if (digit_val(s[i], hex) >= 0) {
      i++;
    } else if (s[i] == '_') {
      if (i == b || i + 1 >= s.size() || digit_val(s[i + 1], hex) < 0) {
        *bad = true;
        return 0;
      }
      i++;
    } else {
      break;
    }
  }
  return i - b;
}

bool strip_sign(std::string_view* s, bool* neg) {
  *neg = false;
  if (!s->empty() && (s->front() == '+' || s->front() == '-')) {
    *neg = s->front() == '-';
    s->remove_prefix(1);
    return true;
  }
  return false;
}

std::string without_underscores(std::string_view s) {
  std::string r;
  r.reserve(s.size());
  for (char c : s)
    if (c != '_') r += c;
  return r;
}

// Float syntax check (after the sign). Sets *hex.
bool float_syntax(std::string_view s, bool* hex) {
  bool bad = false;
  size_t i = 0;
  *hex = s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
  if (*hex) i = 2;
  size_t n = digit_run(s, i, *hex, &bad);
  if (n == 0 || bad) return false;
  i += n;
  if (i < s.size() && s[i] == '.') {
    i++;
    n = digit_run(s, i, *hex, &bad);
    if (bad) return false;
    i += n;
  }
  if (i < s.size()) {
    char e = s[i];
    bool is_exp = *hex ? (e == 'p' || e == 'P') : (e == 'e' || e == 'E');
    if (!is_exp) return false;
    i++;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) i++;
    n = digit_run(s, i, false, &bad);
    if (n == 0 || bad) return false;
    i += n;
  }
  return i == s.size();
}

locale_t c_locale() {
  static locale_t loc = newlocale(LC_ALL_MASK, "C", static_cast<locale_t>(0));
  return loc;
}

// Shared float parsing: sign, inf, nan[:0xPAYLOAD], numbers. `Traits`
// supplies the width.
template <typename Bits, typename Float, int MantBits>
LitResult parse_float(std::string_view s, Bits* out, Float (*conv)(const char*, char**, locale_t)) {
  bool neg;
  strip_sign(&s, &neg);
  const Bits sign = neg ? Bits(1) << (sizeof(Bits) * 8 - 1) : 0;
  const Bits exp_all = ((Bits(1) << (sizeof(Bits) * 8 - 1)) - 1) & ~((Bits(1) << MantBits) - 1);
  if (s == "inf") {
    *out = sign | exp_all;
    return LitResult::Ok;
  }
  if (s == "nan") {
    *out = sign | exp_all | (Bits(1) << (MantBits - 1));
    return LitResult::Ok;
  }
  if (s.substr(0, 4) == "nan:") {
    std::string_view p = s.substr(4);
    if (p.size() < 3 || p[0] != '0' || p[1] != 'x') return LitResult::Syntax;
    uint64_t payload;
    LitResult r = parse_uint(p, (uint64_t(1) << MantBits) - 1, &payload);
    if (r != LitResult::Ok) return r;
    if (payload == 0) return LitResult::Range;
    *out = sign | exp_all | Bits(payload);
    return LitResult::Ok;
  }
  bool hex;
  if (!float_syntax(s, &hex)) return LitResult::Syntax;
  std::string clean = without_underscores(s);
  errno = 0;
  Float v = conv(clean.c_str(), nullptr, c_locale());
  if (std::isinf(v)) return LitResult::Range;
  Bits bits;
  std::memcpy(&bits, &v, sizeof bits);
  *out = bits | sign;
  return LitResult::Ok;
}

}  // namespace

LitResult parse_uint(std::string_view s, uint64_t max, uint64_t* out) {
  bool hex = s.size() > 2 && s[0] == '0' && s[1] == 'x';
  size_t i = hex ? 2 : 0;
  bool bad = false;
  size_t n = digit_run(s, i, hex, &bad);
  if (n == 0 || bad || i + n != s.size()) return LitResult::Syntax;
  uint64_t v = 0;
  bool overflow = false;
  const uint64_t base = hex ? 16 : 10;
  for (; i < s.size(); i++) {
    if (s[i] == '_') continue;
    uint64_t d = uint64_t(digit_val(s[i], hex));
    if (v > (UINT64_MAX - d) / base) overflow = true;
    v = v * base + d;
  }
  if (overflow || v > max) return LitResult::Range;
  *out = v;
  return LitResult::Ok;
}

LitResult parse_int(std::string_view s, unsigned bits, uint64_t* out) {
  bool neg;
  bool has_sign = strip_sign(&s, &neg);
  const uint64_t umax = bits == 64 ? UINT64_MAX : (uint64_t(1) << bits) - 1;
  const uint64_t smax_neg = uint64_t(1) << (bits - 1);  // |min| for signed
  uint64_t v;
  LitResult r = parse_uint(s, has_sign ? (neg ? smax_neg : smax_neg - 1) : umax, &v);
  if (r != LitResult::Ok) return r;
  if (neg) v = (~v + 1) & umax;
  *out = v;
  return LitResult::Ok;
}

LitResult parse_f32(std::string_view s, uint32_t* out) {
  return parse_float<uint32_t, float, 23>(s, out, strtof_l);
}

LitResult parse_f64(std::string_view s, uint64_t* out) {
  return parse_float<uint64_t, double, 52>(s, out, strtod_l);
}

}  // namespace ember::text
