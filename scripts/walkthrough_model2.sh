#!/usr/bin/env bash
# Runs docs/walkthrough-model2.md: its ```bash blocks, in order, in one shell, against CASCADE_URL (default
# http://127.0.0.1:8000, as `make run` serves) with the admin key CASCADE_API_KEY (default data/admin-api-key).
# The doc is the script, so the two cannot drift apart. The last line printed is JSON: the subscriptions,
# the secondary sale and the day's market figures.
set -euo pipefail
cd "$(dirname "$0")/.."
doc=docs/walkthrough-model2.md
steps=$(awk '/^```bash$/ {inside = 1; next} /^```$/ {inside = 0; next} inside {print}' "$doc")
bash -euo pipefail -c "$steps"
