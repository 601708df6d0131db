#!/usr/bin/env bash
# Screenshots of both reports in headless Chromium, to look at before a release:
#   the experiment report (report.html of `circuitfit experiment`) and the report of one fit
#   (`circuitfit report FIT_DIR DATASET`), each as a whole page and figure by figure, plus every
#   figure's PDF download rasterised (pdftoppm), so the SVG and the PDF can be compared.
#
#   bash scripts/report-screenshots.sh [OUT_DIR] [EXPERIMENT_REPORT.html] [FIT_REPORT.html]
#
# Without report files it makes small ones first (about 3–6 minutes on 2 cores): a circuit, a
# 3-seed experiment (M ∈ {0, 5, 20}, λ ∈ {0, 1}, both arms, 600 iterations), and one fit to a
# recording of that circuit imported from NWB (needs pynwb) with its report. Needs chromium
# (`apt-get install -y chromium`), poppler-utils for the PDFs (`apt-get install -y
# poppler-utils`) and a release build (`swift build -c release`).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-report-screenshots}
EXPERIMENT_HTML=${2:-}
FIT_HTML=${3:-}
BIN=.build/release/circuitfit
mkdir -p "$OUT"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

if [[ -z "$EXPERIMENT_HTML" || -z "$FIT_HTML" ]]; then
  [[ -x "$BIN" ]] || swift build -c release --product circuitfit
fi
if [[ -z "$EXPERIMENT_HTML" ]]; then
  "$BIN" experiment --out "$WORK/exp" --seeds 3 --record 0,5,20 --lambda 0,1 --iterations 600 --jobs 2 > "$WORK/exp.log"
  EXPERIMENT_HTML="$WORK/exp/report.html"
fi
if [[ -z "$FIT_HTML" ]]; then
  "$BIN" generate --out "$WORK/circuit" > /dev/null
  python3 scripts/circuit_to_nwb.py "$WORK/circuit" --out "$WORK/session.nwb" --neurons 30 --trials 20 --seed 1 > /dev/null
  "$BIN" import "$WORK/session.nwb" --out "$WORK/session.npz" --condition-column condition \
    --window-ms -100,500 --bin-ms 5 --behavior EMG --inputs angle --angle-column reach_angle \
    --angle-unit rad --held-out 8,9,10,11,12,13,14,15 > /dev/null
  "$BIN" train "$WORK/session.npz" --out "$WORK/fit" --record 20 --lambda 1 --iterations 1000 --report > /dev/null 2>&1
  FIT_HTML="$WORK/fit/report.html"
fi

shoot() {  # shoot HTML PNG WIDTH HEIGHT
  chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --force-device-scale-factor=1 \
    --window-size="$3,$4" --screenshot="$2" "file://$(realpath "$1")" > /dev/null 2>&1
}

for pair in "experiment:$EXPERIMENT_HTML" "fit:$FIT_HTML"; do
  name=${pair%%:*}; html=${pair#*:}
  cp "$html" "$OUT/$name-report.html"
  # Every figure on its own page (its SVG at 1200 px wide) and its PDF download, rasterised.
  python3 - "$html" "$OUT" "$name" <<'PY'
import base64, re, sys
html, out, name = sys.argv[1], sys.argv[2], sys.argv[3]
text = open(html, encoding="utf-8").read()
for n, block in enumerate(re.findall(r'<figure id="figure-\d+">(.*?)</figure>', text, re.S), start=1):
    svg = re.search(r'(<svg .*?</svg>)', block, re.S).group(1)
    height = float(re.search(r'viewBox="0 0 ([\d.]+) ([\d.]+)"', svg).group(2)) * 1200 / float(re.search(r'viewBox="0 0 ([\d.]+)', svg).group(1))
    sized = svg.replace("<svg ", '<svg style="width:1200px;height:auto;display:block" ', 1)
    page = '<!DOCTYPE html><html><body style="margin:0;background:#fff"><div style="width:1200px">' + sized + '</div></body></html>'
    open(f"{out}/{name}-figure-{n}.html", "w", encoding="utf-8").write(page)
    open(f"{out}/{name}-figure-{n}.size", "w").write(f"1200 {int(height) + 2}\n")
    pdf = re.search(r'href="data:application/pdf;base64,([^"]+)"', block)
    if pdf:
        open(f"{out}/{name}-figure-{n}.pdf", "wb").write(base64.b64decode(pdf.group(1)))
PY
  shoot "$OUT/$name-report.html" "$OUT/$name-page.png" 1280 2400
  for page in "$OUT/$name"-figure-*.html; do
    base=${page%.html}
    read -r w h < "$base.size"
    shoot "$page" "$base.png" "$w" "$h"
    rm -f "$base.size"
    if [[ -f "$base.pdf" ]] && command -v pdftoppm > /dev/null; then
      pdftoppm -png -r 150 -singlefile "$base.pdf" "$base-pdf"
      echo "$(basename "$base").pdf: $(pdfinfo "$base.pdf" | grep 'Page size')" >> "$OUT/pdf-sizes.txt"
    fi
  done
done
ls "$OUT"
