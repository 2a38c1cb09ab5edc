#!/usr/bin/env bash
# Create a separate venv for the MONAI Label app (default .venv-monailabel) and install monailabel 0.8.5
# with this project, CPU only:
#   1. torch==2.13.0 first and explicitly (the CPU wheel; an unpinned torch pulls GBs of CUDA packages);
#   2. monailabel's dependencies, spelled out here, without torchvision and sam2 (its BundleInferTask and
#      SAM2 tasks need them, the app's BasicInferTask does not), and with the DICOM pins it runs with:
#      pydicom 2.4.4, dicomweb-client 0.59.1, pynetdicom 2.0.2;
#   3. monailabel 0.8.5 with --no-deps (its metadata asks for monai[torchvision] and sam2), and so
#      pydicom-seg 0.4.1 (it asks for jsonschema < 4, the project for >= 4.20; it imports with 4);
#   4. this project (editable), under the same constraints.
# A constraints file holds the pins and forbids torchvision, so nothing can pull it in. pip cannot
# resolve this as an extra of the project (monailabel requires torchvision and sam2), hence the script.
# Idempotent: reinstalls only when this script or pyproject.toml changed (stamp file in the venv); runs one
# at a time.
# Usage: bash scripts/setup_monailabel.sh [VENV]
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
venv=${1:-$repo/.venv-monailabel}
# one setup at a time (pytest -n 2 workers may both ask for the venv): a lock on this script
exec 9<"$repo/scripts/setup_monailabel.sh"
flock 9
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null 2>&1 || PY=python3
if [ ! -x "$venv/bin/python" ]; then
  "$PY" -m venv "$venv"
fi
stamp=$venv/.setup-monailabel-stamp
want=$(cat "$repo/scripts/setup_monailabel.sh" "$repo/pyproject.toml" | sha256sum | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
constraints=$venv/monailabel-constraints.txt
cat > "$constraints" <<'EOF'
torch==2.13.0
monailabel==0.8.5
pydicom==2.4.4
dicomweb-client==0.59.1
pynetdicom==2.0.2
pydicom-seg==0.4.1
jsonschema>=4.20
# never installed: an unsatisfiable pin makes any requirement of it fail loudly
torchvision==0.0.0
sam2==0.0.0
EOF
pip=("$venv/bin/python" -m pip install -q -c "$constraints")
"$venv/bin/python" -m pip install -q --upgrade pip
"${pip[@]}" torch==2.13.0
# monailabel 0.8.5's requirements less torchvision and sam2, and of MONAI's extras those its server imports
# (itk: monailabel.transform.writer; not mlflow, openslide, lmdb, gdown)
"${pip[@]}" \
  "monai==1.6.1" pydicom dicomweb-client pynetdicom \
  "uvicorn>=0.29.0" "pydantic>=2.7.0" "pydantic-settings>=2.2.1" "python-dotenv>=1.0.1" "fastapi>=0.110.2" \
  "python-multipart>=0.0.9" "httpx>=0.27.0" "schedule>=1.2.1" "timeloop>=1.0.2" "expiringdict>=1.2.2" \
  "expiring_dict>=1.1.0" "cachetools>=5.3.3" "watchdog>=4.0.0" "pynrrd>=1.0.0" \
  "girder-client>=3.2.3" SimpleITK "einops>=0.7.0" "pyyaml>=6.0.1" "filelock>=3.11.0" "passlib>=1.7.4" \
  "pyjwt>=2.8.0" "bcrypt>=4.1.2" "shapely>=2.0.4" "requests>=2.31.0" "requests-toolbelt>=1.0.0" \
  "urllib3>=2.2.1" "google-auth>=2.29.0" scikit-learn scipy pillow psutil scikit-image "itk>=5.2"
"${pip[@]}" --no-deps monailabel==0.8.5 pydicom-seg==0.4.1
"${pip[@]}" -e "$repo"
# the modules the server imports (itk, pydicom-seg, SimpleITK among them), and the pin
"$venv/bin/python" -c "import monailabel.endpoints.infer, monailabel.interfaces.app, pydicom, cardio_monai; assert pydicom.__version__ == '2.4.4'"
if "$venv/bin/python" -c "import torchvision" 2>/dev/null; then
  echo "setup_monailabel: torchvision is installed in $venv; it must not be" >&2
  exit 1
fi
echo "$want" > "$stamp"
