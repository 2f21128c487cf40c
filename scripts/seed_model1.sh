#!/usr/bin/env bash
# Admin script: registers model 1's participants and issues the carmaker's voucher to T1, against a
# running service (CASCADE_URL, default http://127.0.0.1:8000; admin key in CASCADE_API_KEY or
# data/admin-api-key). Writes every participant's id and API key to the file named by $1.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-data/model1.json}
cascade=${CASCADE_BIN:-.venv/bin/cascade}
python=${PYTHON_BIN:-.venv/bin/python}
run=${RUN_ID:-$(date +%s)}

field() { "$python" -c "import json, sys; print(json.load(sys.stdin)[sys.argv[1]])" "$1"; }

declare -A ids keys
for entry in Carmaker:obligor T1:supplier A:supplier B:supplier C:supplier Bank:financier; do
  name=${entry%%:*} role=${entry##*:}
  echo "registering $name ($role)" >&2
  result=$("$cascade" participants register --name "$name" --role "$role" --country CN --idempotency-key "model1-$run-$name")
  ids[$name]=$(field id <<<"$result")
  keys[$name]=$(field api_key <<<"$result")
done

due=$("$python" -c "import datetime; print((datetime.date.today() + datetime.timedelta(days=182)).isoformat())")
echo "issuing CNY 100,000,000.00 due $due to T1" >&2
voucher=$("$cascade" vouchers issue --obligor "${ids[Carmaker]}" --holder "${ids[T1]}" \
  --face-value 100000000.00 --minimum-unit 1000000.00 --due-date "$due" --currency CNY \
  --invoice "INV-$run-1" --invoice "INV-$run-2" \
  --document-hash "0x$(printf 'model1-%s' "$run" | sha256sum | cut -c1-64)" \
  --idempotency-key "model1-$run-voucher")

mkdir -p "$(dirname "$out")"
{
  printf '{\n  "voucher_id": %s,\n  "root_token_id": %s,\n  "participants": {\n' \
    "$(field id <<<"$voucher")" "$(field root_token_id <<<"$voucher")"
  sep=""
  for name in Carmaker T1 A B C Bank; do
    printf '%s    "%s": {"id": %s, "api_key": "%s"}' "$sep" "$name" "${ids[$name]}" "${keys[$name]}"
    sep=$',\n'
  done
  printf '\n  }\n}\n'
} >"$out"
chmod 600 "$out"
echo "wrote $out" >&2
