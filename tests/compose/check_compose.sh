#!/usr/bin/env bash
# check_compose.sh: static checks of deploy/compose against the code, for ctest.
# (a) the compose file is valid with the example env; (b) it runs every binary;
# (c) every ATRIUM_* variable the C code reads is set in compose.yaml or the env
# example; (d) no container_name and no published port except the gateway's, so
# every service scales with --scale. Needs docker-compose (no Docker daemon).
set -euo pipefail

root=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)
dir=$root/deploy/compose
compose=$dir/compose.yaml
example=$dir/atrium.env.example
failures=()
fail() { failures+=("$*"); }

[[ -f $compose ]] || { echo "check_compose: $compose is missing" >&2; exit 1; }
[[ -f $example ]] || { echo "check_compose: $example is missing" >&2; exit 1; }
command -v docker-compose >/dev/null || {
  echo "check_compose: docker-compose is not installed (scripts/install-deps installs it)" >&2; exit 1; }

# (a) The example leaves the passwords empty on purpose (compose refuses to start
# without them); stand-ins from the environment take precedence over the env file.
pw_env=()
while IFS= read -r name; do pw_env+=("$name=check-only"); done \
  < <(grep -oE '^ATRIUM_PG_[A-Z_]*PASSWORD[A-Z_]*' "$example")
if ! out=$(cd "$dir" && env "${pw_env[@]}" docker-compose --env-file "$example" -f "$compose" config 2>&1); then
  echo "check_compose: docker-compose config rejects $compose:" >&2
  echo "$out" >&2
  exit 1
fi
config=$out

# (b)
for b in atrium-bus atrium-gateway atrium-auth atrium-document atrium-tasks \
         atrium-messaging atrium-billing-sync atrium-audit atriumctl; do
  grep -qF "/usr/local/bin/$b\"" "$compose" || fail "binary $b is not run anywhere in compose.yaml"
done

# (c) Variable names the C code uses as strings (include guards and other macros
# that merely start with ATRIUM_ are not configuration).
srcs=()
for d in common gateway services bus tools; do
  [[ -d $root/$d ]] || continue
  while IFS= read -r -d '' f; do srcs+=("$f"); done \
    < <(find "$root/$d" -type f \( -name '*.c' -o -name '*.h' \) -print0)
done
if ((${#srcs[@]} == 0)); then
  echo "check_compose: no C sources yet: variable check skipped"
else
  mapfile -t vars < <(grep -ohE '"ATRIUM_[A-Z0-9_]+"' "${srcs[@]}" | tr -d '"' | sort -u)
  for v in "${vars[@]}"; do
    grep -qE "(^|[^A-Z0-9_])$v([^A-Z0-9_]|\$)" "$compose" "$example" ||
      fail "$v is read by the C code (grep -rn '\"$v\"' common gateway services bus tools) but set neither in compose.yaml nor in atrium.env.example"
  done
  echo "check_compose: ${#vars[@]} ATRIUM_* variable(s) in ${#srcs[@]} C file(s) checked"
fi

# (d) On the normalised config: services sit at two spaces, their keys at four.
while IFS=' ' read -r kind svc; do
  case $kind in
    container_name) fail "service $svc sets container_name: it could not be scaled" ;;
    ports) [[ $svc == gateway ]] || fail "service $svc publishes ports: only the gateway may" ;;
  esac
done < <(awk '
  /^[^ ]/            { top = $1 }
  top == "services:" && /^  [^ ]/ { svc = $1; sub(":$", "", svc) }
  top == "services:" && /^    container_name:/ { print "container_name", svc }
  top == "services:" && /^    ports:/          { print "ports", svc }' <<<"$config")
grep -qE '^[[:space:]]*container_name:' "$compose" && fail "compose.yaml mentions container_name"
awk '/^[^ ]/ {top=$1} top=="services:" && /^  [^ ]/ {s=$1} top=="services:" && /^    ports:/ {print s}' <<<"$config" |
  grep -qx 'gateway:' || fail "the gateway publishes no port"

if ((${#failures[@]})); then
  printf 'check_compose: FAILED: %s\n' "${failures[@]}" >&2
  exit 1
fi
echo "check_compose: ok"
