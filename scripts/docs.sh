#!/usr/bin/env bash
# Builds the DocC API reference of the library modules, one archive per module, and fails
# on any DocC warning (a broken ``Symbol`` link, a documented parameter that does not exist…).
#
#   scripts/docs.sh                      # archives in .build/docs/<Module>.doccarchive
#   DOCS_OUTPUT=some/dir scripts/docs.sh   # relative to the repository root, or absolute
#
# Symbol graphs come from `swift package dump-symbol-graph`, which builds the debug
# configuration with the usual flags (nothing to do after `swift build --build-tests`) and
# extracts a graph per module. Each module's landing page is Sources/<M>/<M>.docc/<M>.md.
set -euo pipefail

cd "$(dirname "$0")/.."

MODULES=(Neuron NeuronNN NeuronData NeuronModels NeuronViz NeuronTrain NeuronDistributed)
OUTPUT=${DOCS_OUTPUT:-.build/docs}
GRAPHS=.build/docs-symbol-graphs

log=$(mktemp)
trap 'rm -f "$log"' EXIT

# SwiftPM writes the graphs to .build/<triple>/symbolgraph and says where on its last line.
# SWIFT_BUILD_FLAGS: the flags the debug build was made with (the Makefile passes its own), so
# that nothing is rebuilt.
# shellcheck disable=SC2086
if ! swift package ${SWIFT_BUILD_FLAGS:-} dump-symbol-graph --minimum-access-level public --skip-inherited-docs \
    >"$log" 2>&1; then
    cat "$log" >&2
    echo "docs: swift package dump-symbol-graph failed" >&2
    exit 1
fi
dumped=$(sed -n 's/^Files written to //p' "$log" | tail -n 1)
if [[ -z $dumped || ! -d $dumped ]]; then
    cat "$log" >&2
    echo "docs: cannot find the symbol graphs dump-symbol-graph wrote" >&2
    exit 1
fi

rm -rf "$GRAPHS"
mkdir -p "$OUTPUT"
OUTPUT=$(cd "$OUTPUT" && pwd)
for module in "${MODULES[@]}"; do
    catalog=Sources/$module/$module.docc
    [[ -d $catalog ]] || { echo "docs: missing catalog $catalog" >&2; exit 1; }
    [[ -f $dumped/$module.symbols.json ]] || {
        echo "docs: no symbol graph for $module in $dumped" >&2; exit 1; }

    # The module's own graph and its extension graphs (Module@Swift.symbols.json, …).
    mkdir -p "$GRAPHS/$module"
    cp "$dumped/$module.symbols.json" "$GRAPHS/$module/"
    shopt -s nullglob
    extensions=("$dumped/$module@"*.symbols.json)
    shopt -u nullglob
    (( ${#extensions[@]} == 0 )) || cp "${extensions[@]}" "$GRAPHS/$module/"

    archive=$OUTPUT/$module.doccarchive
    rm -rf "$archive"
    docc convert "$catalog" \
        --additional-symbol-graph-dir "$GRAPHS/$module" \
        --fallback-display-name "$module" \
        --fallback-bundle-identifier "org.neuron.$module" \
        --output-path "$archive" \
        --transform-for-static-hosting \
        --warnings-as-errors \
        >"$log" 2>&1 || {
        cat "$log" >&2
        echo "docs: docc convert failed for $module" >&2
        exit 1
    }
    echo "$module: $archive"
done
