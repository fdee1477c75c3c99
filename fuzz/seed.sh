#!/usr/bin/env bash
# Fills fuzz/corpus/<target>/ with the seeds each fuzz target starts from:
# the project's testdata and policies, and the shared third-party corpus
# ($SOUVERAIN_CORPUS, else ../shared/corpus beside the checkout). The seeds
# are copied at run time, never committed. Sorted as
# tests/fuzz_regressions.rs sorts them: by extension, admission reviews by
# their directory; `scan` seeds start with the byte that names them.
set -euo pipefail
cd "$(dirname "$0")"
root=..
corpus=${SOUVERAIN_CORPUS:-$root/../shared/corpus}

for target in plan_json hcl manifests admission_review policy scan; do
  mkdir -p "corpus/$target"
done

# add TARGET FILE [SCAN-BYTE]: one seed, named by its content's hash so
# re-running the script adds nothing twice.
add() {
  local target=$1 file=$2 name
  name=$(sha1sum "$file" | cut -c1-16)
  cp "$file" "corpus/$target/$name"
  if [ $# -eq 3 ]; then
    { printf "\\x$(printf %02x "$3")"; cat "$file"; } >"corpus/scan/$name"
  fi
}

sources=("$root/testdata")
if [ -d "$corpus" ]; then
  sources+=("$corpus")
else
  echo "seed.sh: no shared corpus at $corpus; seeding from testdata only" >&2
fi

while IFS= read -r -d '' file; do
  case "$file" in
    */fuzz-regressions/*) ;;
    *admission*.json) add admission_review "$file" 3 ;;
    *.json) add plan_json "$file" 0 ;;
    *.tf) add hcl "$file" 1 ;;
    *.yaml | *.yml) add manifests "$file" 2 ;;
  esac
done < <(find "${sources[@]}" -type f -print0)

for file in "$root"/policies/*.yaml; do
  add policy "$file"
done

for target in corpus/*; do
  echo "$(find "$target" -type f | wc -l) seeds in fuzz/$target"
done
