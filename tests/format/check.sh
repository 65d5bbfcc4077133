#!/usr/bin/env bash
# Every .cc and .hh file of the tree is laid out as .clang-format says
# (clang-format 19, which scripts/install-deps.sh installs). Fails with the
# differences otherwise; `--selftest` checks that a misformatted file fails.
# To reformat: clang-format -i $(git ls-files '*.cc' '*.hh')
set -euo pipefail
cd "$(dirname "$0")/../.."
cf=${CLANG_FORMAT:-clang-format}
if ! command -v "$cf" >/dev/null; then
  echo "format: clang-format not found (scripts/install-deps.sh installs it)" >&2
  exit 1
fi
if ! "$cf" --version | grep -q 'version 19\.'; then
  echo "format: clang-format 19 expected, found: $("$cf" --version)" >&2
  exit 1
fi
if [ "${1:-}" = "--selftest" ]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  cp .clang-format "$tmp/"
  printf 'int  f( int x ){return x;}\n' > "$tmp/bad.cc"
  if "$cf" --dry-run --Werror "$tmp/bad.cc" 2>/dev/null; then
    echo "format selftest: a misformatted file passed" >&2
    exit 1
  fi
  echo "format selftest: a misformatted file is caught"
  exit 0
fi
mapfile -t files < <(find src include tools python/src tests examples bench \
  \( -name '*.cc' -o -name '*.hh' \) -not -path '*/build/*' | sort)
"$cf" --dry-run --Werror "${files[@]}"
echo "format: ${#files[@]} files formatted as .clang-format says"
