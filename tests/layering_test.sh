#!/usr/bin/env bash
# Arrows point down only (DESIGN.md, "Layers and rooms"): fails, naming the
# symbol, when a room's static library refers to a symbol that only a room
# above it defines.
#
#   layering_test.sh NM ROOM=LIBRARY...
#
# ROOM is one of the names in FORBIDDEN below; a room not given (no CUDA:
# kernels_cuda) is skipped. A reference is a symbol `nm -u` lists for the
# room's library that the library does not define itself; a room owns the
# symbols `nm --defined-only` lists as strongly defined there (weak ones,
# inline functions and templates, belong to whoever uses them).
set -euo pipefail
export LC_ALL=C

# ROOM: the rooms it must not reach.
declare -A FORBIDDEN=(
  [kernels]="kernels_cuda devices hdc index storage db api"
  [kernels_cuda]="devices hdc index storage db api"
  [devices]="hdc index storage db api"
  [hdc]="index storage db api"
  [index]="storage db api"
  [storage]="index db api"
  [db]="api"
)

nm_tool=$1
shift
declare -A LIB=()
for arg in "$@"; do
  room=${arg%%=*}
  lib=${arg#*=}
  if [[ -z ${FORBIDDEN[$room]+x} && $room != api ]]; then
    echo "layering_test: unknown room '$room'" >&2
    exit 2
  fi
  [[ -f $lib ]] || { echo "layering_test: $room: no library '$lib'" >&2; exit 2; }
  LIB[$room]=$lib
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for room in "${!LIB[@]}"; do
  # Strong definitions (text, data, bss, read-only, small data, ifuncs), and
  # every definition (weak ones too); both demangled, one a line.
  "$nm_tool" --defined-only --demangle "${LIB[$room]}" 2>/dev/null |
    awk 'NF >= 3 && $2 ~ /^[TDBRGSi]$/ { $1 = ""; $2 = ""; sub(/^  /, ""); print }' | sort -u >"$work/$room.strong"
  "$nm_tool" --defined-only --demangle "${LIB[$room]}" 2>/dev/null |
    awk 'NF >= 3 && $2 ~ /^[A-Za-z]$/ { $1 = ""; $2 = ""; sub(/^  /, ""); print }' | sort -u >"$work/$room.all"
  "$nm_tool" -u --demangle "${LIB[$room]}" 2>/dev/null |
    awk '$1 == "U" { $1 = ""; sub(/^ /, ""); print }' | sort -u | comm -23 - "$work/$room.all" >"$work/$room.undefined"
done

failed=0
for room in "${!LIB[@]}"; do
  [[ -n ${FORBIDDEN[$room]+x} ]] || continue
  for upper in ${FORBIDDEN[$room]}; do
    [[ -n ${LIB[$upper]+x} ]] || continue
    while IFS= read -r symbol; do
      echo "layering: $room ($(basename "${LIB[$room]}")) refers to $upper's symbol: $symbol"
      failed=1
    done < <(comm -12 "$work/$room.undefined" "$work/$upper.strong")
  done
done
if [[ $failed -ne 0 ]]; then
  echo "layering: a room refers to a room above it (DESIGN.md: arrows point down only)"
  exit 1
fi
echo "layering: ok (${!LIB[*]})"
