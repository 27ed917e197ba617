#!/usr/bin/env bash
# Pictures of the demo's 西村街 final report for the README: its cover and 附件2 as the PDF prints
# them, 附件1 as LibreOffice prints the Word file and as Chromium prints the HTML. Needs
# poppler-utils, LibreOffice and Chromium (apt-get install poppler-utils libreoffice-writer-nogui
# chromium).
#   bash docs/report-images.sh [BINARY]      (default target/debug/pinggu)
set -euo pipefail
cd "$(dirname "$0")/.."
binary=${1:-target/debug/pinggu}
out=docs/images
work=$(mktemp -d)
trap 'kill "${server:-}" 2>/dev/null || true; [ -n "${KEEP_WORK:-}" ] || rm -rf "$work"' EXIT
mkdir -p "$out"

export DATABASE_URL="sqlite://$work/pinggu.db" PINGGU__MAIL__TRANSPORT=log \
  PINGGU__AUTH__JWT_SECRET=report-pictures-secret-of-no-consequence
password=Demo-Pictures-2026
"$binary" demo --password "$password" > "$work/demo.txt"
port=$((20000 + RANDOM % 20000))
"$binary" serve --bind "127.0.0.1:$port" > "$work/serve.log" 2>&1 &
server=$!
base="http://127.0.0.1:$port"
for _ in $(seq 1 100); do curl -fs "$base/healthz" > /dev/null && break; sleep 0.2; done

token=$(curl -fs -H 'content-type: application/json' \
  -d "{\"username\":\"xicun-station\",\"password\":\"$password\"}" "$base/api/v1/auth/login" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
evaluation=$(curl -fs -H "authorization: Bearer $token" "$base/api/v1/evaluations" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["id"])')
report=$(curl -fs -H "authorization: Bearer $token" "$base/api/v1/evaluations/$evaluation/reports" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][-1]["id"])')
for format in pdf docx html; do
  curl -fs -H "authorization: Bearer $token" -o "$work/report.$format" \
    "$base/api/v1/reports/$report.$format"
done

# The first page that shows `text`.
page_of() {
  local pdf=$1 text=$2 pages
  pages=$(pdfinfo "$pdf" | awk '/^Pages:/ {print $2}')
  for page in $(seq 1 "$pages"); do
    if pdftotext -f "$page" -l "$page" "$pdf" - | tr -d ' \n' | grep -q "$text"; then
      echo "$page"
      return
    fi
  done
  echo "no page shows $text" >&2
  return 1
}
picture() {
  local pdf=$1 page=$2 name=$3
  pdftoppm -f "$page" -l "$page" -png -scale-to 900 "$pdf" "$work/$name"
  mv "$work/$name"-*.png "$out/$name.png"
}

picture "$work/report.pdf" 1 report-pdf-cover
picture "$work/report.pdf" "$(page_of "$work/report.pdf" '附件2：社工到岗情况统计表')" report-pdf-annex2
soffice --headless -env:UserInstallation="file://$work/profile" --convert-to pdf \
  --outdir "$work/word" "$work/report.docx" > /dev/null
picture "$work/word/report.pdf" "$(page_of "$work/word/report.pdf" '附件1：指标完成情况统计表')" \
  report-word-annex1
chromium --headless --no-sandbox --disable-gpu --no-pdf-header-footer \
  --print-to-pdf="$work/html.pdf" "file://$work/report.html" 2> /dev/null
picture "$work/html.pdf" "$(page_of "$work/html.pdf" '附件1：指标完成情况统计表')" report-html-annex1
ls -l "$out"
