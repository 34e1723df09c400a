#!/usr/bin/env bash
# Coverage-guided fuzzing of the parsers of untrusted files (libFuzzer + AddressSanitizer):
#   Scripts/fuzz.sh TARGET SECONDS      TARGET: pickle, zip, safetensors, png, probe (or all)
# Builds Fuzz/ (a package of its own) with -sanitize=fuzzer,address, makes a seed corpus of small valid
# files (Fuzz/make_seeds.py) under .build-fuzz/, runs the target, and prints one line per target:
# executions, coverage (libFuzzer's cov: edges), corpus size, and findings. A finding (crash, leak,
# timeout, out-of-memory) is saved under Fuzz/findings/TARGET/ and makes the script exit 1.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:?usage: Scripts/fuzz.sh pickle|zip|safetensors|png|probe|all SECONDS}
seconds=${2:?usage: Scripts/fuzz.sh TARGET SECONDS}
work=.build-fuzz
mkdir -p "$work"

# gold (Debian's default linker) fails on these instrumented objects; the toolchain's lld links them.
swift build -c release --package-path Fuzz --scratch-path "$work/build" \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -use-ld=lld -Xcc -fsanitize=fuzzer-no-link,address >"$work/build.log" 2>&1 \
    || { tail -20 "$work/build.log" >&2; exit 1; }
[[ -d "$work/seeds" ]] || python3 Fuzz/make_seeds.py "$work/seeds"

declare -A binary=([pickle]=FuzzPickle [zip]=FuzzZip [safetensors]=FuzzSafeTensors [png]=FuzzPNG [probe]=FuzzProbe)
targets=("$target"); [[ "$target" == all ]] && targets=(pickle zip safetensors png probe)
status=0
for t in "${targets[@]}"; do
    [[ -n "${binary[$t]:-}" ]] || { echo "unknown target $t" >&2; exit 2; }
    corpus="$work/corpus/$t"; findings="Fuzz/findings/$t"
    mkdir -p "$corpus" "$findings"
    log="$work/$t.log"
    set +e
    "$work/build/release/${binary[$t]}" "$corpus" "$work/seeds/$t" -max_total_time="$seconds" -max_len=65536 \
        -timeout=10 -rss_limit_mb=2048 -artifact_prefix="$findings/" -print_final_stats=1 >"$log" 2>&1
    code=$?
    set -e
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || echo 0)
    units=$(ls "$corpus" | wc -l)
    found=$(ls "$findings" | wc -l)
    echo "fuzz $t: $execs executions in ${seconds} s, coverage $cov edges, corpus $units inputs, findings $found (exit $code)"
    if [[ $code -ne 0 || $found -ne 0 ]]; then
        status=1
        grep -E 'ERROR|SUMMARY|Fatal|==[0-9]+==' "$log" | head -20 >&2 || true
    fi
done
exit $status
