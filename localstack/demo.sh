#!/usr/bin/env bash
# make demo: on a machine with no servers, make a demo SQLite shop, run three
# consecutive nights into a local warehouse with a DuckDB catalog, changing
# the shop between nights as production would, then show what an analyst sees.
#
# DEMO_DIR (default ./demo) holds everything; DEMO_ORDERS (default 1000000)
# sizes the shop.
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=${DEMO_DIR:-demo}
ORDERS=${DEMO_ORDERS:-1000000}
LAKE=${LAKE:-$PWD/bin/lake}
DEMO=${LAKE_DEMO:-$PWD/bin/lake-demo}

day() { date -u -d "$1 days ago" +%F; }
D1=$(day 2) D2=$(day 1) D3=$(day 0)

rm -rf "$DIR"
mkdir -p "$DIR"
cat >"$DIR/lake.yaml" <<YAML
# The demo's lake.yaml: a SQLite shop into a local warehouse + DuckDB catalog.
warehouse: ./warehouse
timezone: UTC
sources:
  shop:
    driver: sqlite
    dsn: ./shop.db
tables:
  - {name: customers, source: shop}
  - {name: products, source: shop}
  - {name: orders, source: shop}
  - {name: order_items, source: shop}
clusters:
  - name: local
    engine: duckdb
    path: ./lake.duckdb
YAML
export LAKE_CONFIG="$DIR/lake.yaml" LAKE_LOG_FORMAT=${LAKE_LOG_FORMAT:-text} LAKE_LOG_LEVEL=${LAKE_LOG_LEVEL:-warn}

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "creating the demo shop: $ORDERS orders over 3 years ($DIR/shop.db)"
"$DEMO" create --db "$DIR/shop.db" --orders "$ORDERS" --now "$D1"

step "night 1: lake run --ds $D1"
"$LAKE" run --ds "$D1"

step "a day of business, then night 2: lake run --ds $D2"
"$DEMO" night --db "$DIR/shop.db" --day "$D2"
"$LAKE" run --ds "$D2"

step "another day, then night 3: lake run --ds $D3"
"$DEMO" night --db "$DIR/shop.db" --day "$D3"
"$LAKE" run --ds "$D3"

step "re-running night 3 is a no-op"
"$LAKE" run --ds "$D3"

step "lake ls"
"$LAKE" ls

step "orders_latest: orders and revenue by status (tonight's numbers)"
"$LAKE" query "SELECT status, count(*) AS orders, sum(amount) AS revenue FROM orders_latest GROUP BY status ORDER BY status"

step "reproducing the number of night 1 ($D1) from the orders table, three nights later"
"$LAKE" query "SELECT ds, count(*) AS orders, sum(amount) AS revenue FROM orders WHERE ds IN ('$D1', '$D3') GROUP BY ds ORDER BY ds"

printf '\nThe warehouse is in %s/warehouse, the DuckDB catalog in %s/lake.duckdb.\nTry: LAKE_CONFIG=%s/lake.yaml bin/lake show orders\n' "$DIR" "$DIR" "$DIR"
