#!/usr/bin/env bash
# Keeps the operator documents true against the binaries.
#
#   scripts/docs-check.sh [BIN_DIR]      # BIN_DIR: default target/debug (relative to the repo)
#
# 1. Every fenced block opened with ```sh docs-test in docs/*.md is run with bash
#    (-e -u -o pipefail), BIN_DIR first on PATH, in a fresh temporary directory holding copies
#    of the repo's packaging/ and deploy/config/ (so blocks may name packaging/... and
#    deploy/config/... and write what they like). A block that exits non-zero fails the check
#    with its file and line. Mark only blocks that run offline: no hub, no network.
# 2. Every key in the tables of docs/admin-guide.md that follow a line
#    `<!-- docs-check: hub keys -->` or `<!-- docs-check: agent keys -->` (first cell: the key,
#    dotted, in backticks; second cell: its default) is set, alone, on a minimal valid config
#    and given to `greenroom-hub check-config` / `greenroom-agent check-config`:
#    - the key must be accepted (no "unknown field");
#    - when the default cell is exactly one backticked YAML value, that value must be accepted
#      too (no error naming the key);
#    and, the other way round, every key check-config accepts in a documented section (as
#    listed by its "unknown field …, expected one of …" answer) must be in the tables.
#
# 3. No tracked text file holds a merge-conflict marker.
#
# Exit status: 0 when everything holds, 1 otherwise (each failure is printed), 2 for bad usage.
set -uo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bin=${1:-target/debug}
case $bin in /*) ;; *) bin=$repo/$bin ;; esac
for b in greenroom-hub greenroom-agent greenroom; do
  if [ ! -x "$bin/$b" ]; then
    echo "docs-check: $bin/$b is missing (build first, or give the binaries' directory)" >&2
    exit 2
  fi
done
export PATH="$bin:$PATH"

work=$(mktemp -d "${TMPDIR:-/tmp}/docs-check.XXXXXX")
trap 'rm -rf "$work"' EXIT
failures=0
fail() {
  echo "FAIL $*" >&2
  failures=$((failures + 1))
}

# --- 1. docs-test blocks -------------------------------------------------------------------
blocks=0
for doc in "$repo"/docs/*.md; do
  rel=${doc#"$repo"/}
  # Split the file into one script per docs-test block, named by the fence's line number.
  mkdir -p "$work/blocks"
  if ! awk -v out="$work/blocks" -v rel="$rel" '
    /^```sh docs-test[[:space:]]*$/ && !inblock { inblock = 1; line = NR; f = out "/" NR; printf "" > f; next }
    /^```[[:space:]]*$/ && inblock { inblock = 0; close(f); print line; next }
    inblock { print > f }
    END { if (inblock) { print "FAIL " rel ":" line ": unclosed docs-test block" > "/dev/stderr"; exit 1 } }
  ' "$doc" > "$work/lines"; then
    failures=$((failures + 1))
    continue
  fi
  while read -r line; do
    [ -n "$line" ] || continue
    blocks=$((blocks + 1))
    dir=$work/run-$blocks
    mkdir -p "$dir/deploy"
    cp -r "$repo/packaging" "$dir/packaging"
    cp -r "$repo/deploy/config" "$dir/deploy/config"
    if ! (cd "$dir" && env -u JWT_SECRET -u GREENROOM_ENCRYPTION_KEY HOME="$dir" \
            bash -euo pipefail "$work/blocks/$line") > "$dir.out" 2>&1; then
      fail "$rel:$line: the docs-test block exited non-zero; its output:"
      sed 's/^/    /' "$dir.out" >&2
    fi
    rm -f "$work/blocks/$line"
  done < "$work/lines"
done
echo "docs-check: ran $blocks docs-test blocks"

# --- 2. config keys named in admin-guide.md --------------------------------------------------
guide=$repo/docs/admin-guide.md
if [ ! -f "$guide" ]; then
  fail "docs/admin-guide.md is missing"
else
  # Lines "kind<TAB>key<TAB>default-cell" of every marked table.
  awk '
    /<!-- docs-check: hub keys -->/ { kind = "hub"; next }
    /<!-- docs-check: agent keys -->/ { kind = "agent"; next }
    kind != "" && /^\|/ {
      n = split($0, cell, "|")
      key = cell[2]; def = cell[3]
      gsub(/^[[:space:]]+|[[:space:]]+$/, "", key); gsub(/^[[:space:]]+|[[:space:]]+$/, "", def)
      if (key ~ /^`[a-z_][a-z0-9_.]*`$/) { gsub(/`/, "", key); print kind "\t" key "\t" def }
      next
    }
    kind != "" && !/^\|/ && !/^[[:space:]]*$/ { kind = "" }
  ' "$guide" > "$work/keys"
  printf -- '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n' > "$work/ca.crt"

  # Emits nested YAML from "dotted.path<TAB>value" lines sorted by path.
  to_yaml() {
    LC_ALL=C sort -t "$(printf '\t')" -k1,1 | awk -F '\t' '
      {
        n = split($1, p, ".")
        same = 0
        while (same < n - 1 && same < pn && p[same + 1] == prev[same + 1]) same++
        for (i = same + 1; i < n; i++) { printf "%*s%s:\n", 2 * (i - 1), "", p[i] }
        printf "%*s%s: %s\n", 2 * (n - 1), "", p[n], $2
        for (i = 1; i <= n; i++) prev[i] = p[i]
        pn = n
      }'
  }
  hub_base=$(printf 'security.jwt_secret\t"%s"\n' "docs-check-secret-docs-check-secret-0123")
  agent_base=$(printf 'agent.backend_url\thttps://hub.example:8443\nagent.ca_cert\t"%s"\n' "$work/ca.crt")

  checked=0
  while IFS=$'\t' read -r kind key def; do
    checked=$((checked + 1))
    literal=
    if [[ $def =~ ^\`([^\`]+)\`$ ]]; then literal=${BASH_REMATCH[1]}; fi
    value=${literal:-0}
    if [ "$kind" = hub ]; then base=$hub_base; cmd=greenroom-hub; else base=$agent_base; cmd=greenroom-agent; fi
    cfg=$work/$kind-$checked.yaml
    { printf '%s\n' "$base" | awk -F '\t' -v k="$key" '$1 != k'
      printf '%s\t%s\n' "$key" "$value"; } | to_yaml > "$cfg"
    out=$("$cmd" check-config "$cfg" 2>&1)
    if grep -q "unknown field" <<< "$out"; then
      fail "docs/admin-guide.md: $kind key \`$key\` is not accepted by $cmd check-config: $out"
    elif [ -n "$literal" ] && grep -qE "(^|[ \`])$key(\`|:)" <<< "$out"; then
      fail "docs/admin-guide.md: $kind key \`$key\`: its documented default \`$literal\` is refused: $out"
    fi
  done < "$work/keys"
  echo "docs-check: checked $checked config keys against check-config"
  if [ "$checked" -eq 0 ]; then fail "docs/admin-guide.md: no key tables found"; fi

  # The other way round: every key check-config accepts in a documented section is in the
  # tables. An unknown key's error lists the section's keys ("expected one of `a`, `b`").
  for kind in hub agent; do
    if [ "$kind" = hub ]; then base=$hub_base; cmd=greenroom-hub; else base=$agent_base; cmd=greenroom-agent; fi
    awk -F '\t' -v k="$kind" '$1 == k { print $2 }' "$work/keys" | LC_ALL=C sort -u > "$work/$kind.documented"
    # Sections: every proper prefix of a documented key, and the top level ("").
    awk -F . '{ p = ""; print p; for (i = 1; i < NF; i++) { p = (i == 1 ? $1 : p "." $i); print p } }' \
      "$work/$kind.documented" | LC_ALL=C sort -u > "$work/$kind.sections"
    while IFS= read -r section; do
      probe=${section:+$section.}docs_check_probe
      { printf '%s\n' "$base"; printf '%s\t0\n' "$probe"; } | to_yaml > "$work/probe.yaml"
      out=$("$cmd" check-config "$work/probe.yaml" 2>&1)
      if ! grep -q "unknown field \`docs_check_probe\`" <<< "$out"; then
        fail "docs-check cannot list the keys of $kind section '${section:-top level}': $out"
        continue
      fi
      for name in $(sed 's/.*unknown field `docs_check_probe`, expected//' <<< "$out" | grep -o '`[a-z_0-9]*`' | tr -d '`'); do
        full=${section:+$section.}$name
        if ! grep -qxF "$full" "$work/$kind.documented" "$work/$kind.sections"; then
          fail "docs/admin-guide.md: $kind key \`$full\` is accepted by $cmd check-config but missing from the key tables"
        fi
      done
    done < "$work/$kind.sections"
  done
fi

# 3. No merge-conflict markers left in any tracked text file (docs included: two were found).
while IFS= read -r hit; do
  fail "$hit: a merge-conflict marker"
done < <(cd "$repo" && git grep -n -I -E '^(<<<<<<< |>>>>>>> |=======$)' -- . ':!web/package-lock.json' 2>/dev/null || true)

if [ "$failures" -gt 0 ]; then
  echo "docs-check: $failures failure(s)" >&2
  exit 1
fi
echo "docs-check: ok"
