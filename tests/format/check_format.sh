#!/usr/bin/env bash
# check_format.sh: every C source and header is as .clang-format emits it
# (style.md: "what it emits is the style"). `make format` rewrites them.
set -euo pipefail
root=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)
cd "$root"
command -v clang-format >/dev/null || { echo "check_format: clang-format is missing (scripts/install-deps)" >&2; exit 1; }
mapfile -t files < <(git ls-files '*.c' '*.h' 2>/dev/null || find common gateway services bus tools tests bench -name '*.[ch]')
bad=()
for f in "${files[@]}"; do
  clang-format --dry-run --Werror "$f" >/dev/null 2>&1 || bad+=("$f")
done
if ((${#bad[@]})); then
  echo "check_format: not formatted (run make format): ${bad[*]}" >&2
  exit 1
fi
echo "check_format: ${#files[@]} files formatted"
