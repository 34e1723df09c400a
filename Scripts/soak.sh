#!/usr/bin/env bash
# Soak test: a long 1080p `tween video --multi 2` run with its memory and file descriptors sampled
# every second; prints the RSS slope after the first minute, the descriptor range, and whether any
# ffmpeg child outlived the run.
#   Scripts/soak.sh [FRAMES]     (default 600 source frames of 1920x1080 testsrc2 at 25 fps, ~10 min here)
set -euo pipefail
cd "$(dirname "$0")/.."
frames=${1:-600}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
swift build -c release >/dev/null
ffmpeg -v error -y -f lavfi -i "testsrc2=size=1920x1080:rate=25" -f lavfi -i "sine=frequency=440" -frames:v "$frames" \
    -c:v libx264 -preset ultrafast -c:a aac -shortest "$work/in.mp4"
.build/release/tween video "$work/in.mp4" -o "$work/out.mp4" --multi 2 --quiet --report "$work/report.json" &
pid=$!
echo "second,rss_mib,fds" > "$work/samples.csv"
t=0
while kill -0 "$pid" 2>/dev/null; do
    rss=$(awk '/^VmRSS:/ {print int($2 / 1024)}' "/proc/$pid/status" 2>/dev/null || true)
    fds=$(ls "/proc/$pid/fd" 2>/dev/null | wc -l || true)
    [[ -n "$rss" ]] && echo "$t,$rss,$fds" >> "$work/samples.csv"
    sleep 1
    t=$((t + 1))
done
wait "$pid"
sleep 1
left=$(pgrep -f "$work" || true)
python3 - "$work/samples.csv" "$work/report.json" "${left:-none}" <<'PY'
import csv, json, sys
rows = [(int(r["second"]), int(r["rss_mib"]), int(r["fds"])) for r in csv.DictReader(open(sys.argv[1]))]
report = json.load(open(sys.argv[2]))
late = [(s, m) for s, m, _ in rows if s >= 60]
n = len(late)
slope = 0.0
if n > 1:
    ms = sum(s for s, _ in late) / n; mm = sum(m for _, m in late) / n
    slope = sum((s - ms) * (m - mm) for s, m in late) / sum((s - ms) ** 2 for s, _ in late) * 60
fds = [f for _, _, f in rows]
print(f"soak: {report['framesIn']} → {report['framesOut']} frames of {report['width']}x{report['height']} in {report['seconds']:.0f} s; "
      f"RSS first minute max {max(m for s, m, _ in rows if s < 60)} MiB, after it {min(m for _, m in late)}–{max(m for _, m in late)} MiB, "
      f"slope {slope:+.2f} MiB/min over {n} samples; peak (VmHWM) {report['peakMemoryMiB']} MiB, estimate {report['estimatedPeakMiB']} MiB; "
      f"file descriptors {min(fds)}–{max(fds)}; processes left after the run: {sys.argv[3]}")
PY
