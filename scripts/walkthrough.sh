#!/usr/bin/env bash
# Model 1's transfers with curl, against the participants scripts/seed_model1.sh made: T1 -> A 30M, T1 -> B 20M,
# A -> C 10M, then holdings and the lineage tree (the README's walk-through runs the whole of model 1).
set -euo pipefail
cd "$(dirname "$0")/.."
seed=${1:-data/model1.json}
url=${CASCADE_URL:-http://127.0.0.1:8000}
python=${PYTHON_BIN:-.venv/bin/python}

get() { "$python" -c "import json, sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2], {}, d))" "$seed" "$1"; }
key() { get "participants['$1']['api_key']"; }
id() { get "participants['$1']['id']"; }
pick() { "$python" -c "import json, sys; print(json.load(sys.stdin)[sys.argv[1]])" "$1"; }

send() {  # send FROM TOKEN TO AMOUNT -> prints the new token id
  curl -sf -X POST "$url/v1/notes/$2/transfers" \
    -H "Authorization: Bearer $(key "$1")" -H "Content-Type: application/json" \
    -H "Idempotency-Key: walkthrough-$2-$3-$4" \
    -d "{\"to_participant_id\": $(id "$3"), \"amount\": \"$4\"}" | pick token_id
}

root=$(get root_token_id)
a_token=$(send T1 "$root" A 30000000.00)
send T1 "$root" B 20000000.00 >/dev/null
send A "$a_token" C 10000000.00 >/dev/null

for name in T1 A B C; do
  echo "== $name holds"
  curl -sf "$url/v1/notes" -H "Authorization: Bearer $(key "$name")"
  echo
done
echo "== lineage, as the obligor sees it"
curl -sf "$url/v1/vouchers/$(get voucher_id)/lineage" -H "Authorization: Bearer $(key Carmaker)"
echo
