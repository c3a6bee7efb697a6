#!/usr/bin/env bash
# One-command install of the verified OpenMMLab stack into .venv (see requirements/).
# Idempotent: a second run finishes in seconds when nothing changed; the compiled
# mmcv wheel is kept in pip's cache, so even a fresh .venv skips the 15-minute build.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3.11}
VENV=${VENV:-.venv}
STAMP="$VENV/.hsjp-install-stamp"

say() { printf '\n==> [%s] %s\n' "$(date +%H:%M:%S)" "$*"; }
die() { printf '\nERROR: %s\n' "$*" >&2; exit 1; }

fingerprint() {
  cat requirements/*.txt tools/install.sh tools/check_install.py setup.py | sha256sum | cut -d' ' -f1
}

if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$(fingerprint)" ]] \
   && "$VENV/bin/python" tools/check_install.py --quiet; then
  echo "Environment in $VENV is up to date (delete $STAMP to force a reinstall)."
  exit 0
fi

command -v "$PYTHON" >/dev/null || die "$PYTHON not found: install Python 3.11 or set PYTHON=/path/to/python3.11"
if [[ ! -x "$VENV/bin/python" ]]; then
  say "Creating virtual environment $VENV with $PYTHON"
  "$PYTHON" -m venv "$VENV"
fi
PY="$VENV/bin/python"
# --isolated: ignore machine-wide pip configuration. A local wheel folder holding
# torch-2.13.0+cpu would otherwise win over the index's torch==2.13.0, and torchvision
# 0.28.0 (linked against the index build) then fails with "operator torchvision::nms does not exist".
PIP=("$PY" -m pip --isolated --disable-pip-version-check)
[[ -n "${PIP_CERT:-}" ]] && PIP+=(--cert "$PIP_CERT")
# setuptools<81 holds for every step (torch's install would otherwise upgrade it).
pip_install() { "${PIP[@]}" install -c requirements/constraints.txt "$@"; }

say "Build tools (setuptools<81, wheel, ninja)"
pip_install -q -r requirements/build.txt

say "PyTorch 2.13.0 + torchvision 0.28.0 from the package index (about 3.4 GB on first install)"
pip_install -q torch==2.13.0 torchvision==0.28.0

say "mmengine 0.10.7"
pip_install -q mmengine==0.10.7

if "$PY" -c "import mmcv, mmcv._ext; assert mmcv.__version__ == '2.1.0'" 2>/dev/null; then
  echo "mmcv 2.1.0 with ops already installed"
else
  say "mmcv 2.1.0 with ops: compiles ~77 C++ files, about 10-15 min on 2 cores the first time on this machine;"
  echo "    later installs reuse the wheel from pip's cache and take seconds."
  MMCV_WITH_OPS=1 FORCE_CUDA=0 MAX_JOBS="${MAX_JOBS:-$(nproc)}" \
    pip_install --no-build-isolation mmcv==2.1.0 2>&1 \
    | grep --line-buffered -Ev '^\s*(copying|creating|adding|running|writing|reading|x86_64|gcc|g\+\+|\[[0-9]+/[0-9]+\] (c\+\+|/usr))' || true
  "$PY" -c "import mmcv._ext" 2>/dev/null || die "mmcv was installed without its compiled ops (mmcv._ext). Run: $VENV/bin/pip uninstall -y mmcv mmcv-lite && pip cache remove mmcv && make install"
fi

say "mmdet 3.3.0, mmpose 1.3.2 (without chumpy) and their runtime needs"
pip_install -q --no-deps mmdet==3.3.0 mmpose==1.3.2
pip_install -q json_tricks munkres scipy matplotlib shapely terminaltables tqdm \
  pycocotools opencv-python six addict yapf termcolor rich pyyaml
if ! "$PY" -c "import xtcocotools.coco" 2>/dev/null; then
  say "xtcocotools 1.14.3 from source (the published wheel is built against numpy 1.x)"
  pip_install -q --force-reinstall --no-deps --no-build-isolation --no-binary=xtcocotools xtcocotools==1.14.3
fi

say "openmim 0.3.9 and pytest"
pip_install -q -r requirements/tests.txt
# openmim pulls openxlab, which downgrades setuptools/requests/rich: re-assert the pins that matter.
pip_install -q "setuptools<81" torch==2.13.0 torchvision==0.28.0 mmengine==0.10.7

say "hsjp_mmpose in editable mode"
pip_install -q --no-deps --no-build-isolation -e .

say "Self-check"
"$PY" tools/check_install.py || die "the self-check above failed; it names the package and the fix."
fingerprint > "$STAMP"
say "Done. Activate with: source $VENV/bin/activate"
