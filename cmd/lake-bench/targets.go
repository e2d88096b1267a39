package main

import (
	"fmt"
	"slices"
)

// The targets of issue #5, checked against lake-local's medians.
const (
	// maxRawRatio: lake may take at most this times raw COPY's time.
	maxRawRatio = 1.3
	// maxRSS10m: lake's peak RSS on orders_10m, in bytes.
	maxRSS10m = 300e6
	// maxRSSGrowth: orders_10m's peak RSS may exceed orders_1m's by at most
	// this fraction (memory must not grow with the table).
	maxRSSGrowth = 0.10
)

// check is one target on one table (or pair of tables).
type check struct {
	target  string
	scope   string
	figures string
	// verdict is PASS, MISS, or "—" when the figures needed were not
	// measured (a table or tool left out, or failed).
	verdict string
}

func verdict(ok bool) string {
	if ok {
		return "PASS"
	}
	return "MISS"
}

const notMeasured = "—"

// targets computes every target from the figures. Nothing is rounded
// before comparing.
func (r report) targets() []check {
	var checks []check
	for _, t := range r.tables {
		lake, raw := t.figures("lake-local"), t.figures("raw")
		c := check{target: fmt.Sprintf("lake ≤ %.1f × raw COPY", maxRawRatio), scope: t.table.name, figures: "not measured", verdict: notMeasured}
		if lake.ok && raw.ok {
			ratio := lake.wall.Seconds() / raw.wall.Seconds()
			c.figures = fmt.Sprintf("%.2f s vs %.2f s: %.2f ×", lake.wall.Seconds(), raw.wall.Seconds(), ratio)
			c.verdict = verdict(ratio <= maxRawRatio)
		}
		checks = append(checks, c)
	}
	// Once with lake's defaults (one connection), once with as many
	// connections as the peers use (lake-parallel), when it was measured.
	for _, name := range []string{"lake-local", "lake-parallel"} {
		label := "lake rows/s ≥ fastest peer's"
		if name == "lake-parallel" {
			if !slices.Contains(r.opts.tools, name) {
				continue
			}
			label = "lake-parallel rows/s ≥ fastest peer's"
		}
		for _, t := range r.tables {
			lake := t.figures(name)
			c := check{target: label, scope: t.table.name, figures: "not measured", verdict: notMeasured}
			fastest, best := "", figures{}
			for _, peer := range []string{"duckdb", "connectorx"} {
				if f := t.figures(peer); f.ok && (!best.ok || f.wall < best.wall) {
					fastest, best = peer, f
				}
			}
			if lake.ok && best.ok {
				rows := float64(t.table.rows)
				c.figures = fmt.Sprintf("%s %s rows/s, %s %s rows/s", name, thousands(int64(rows/lake.wall.Seconds())),
					fastest, thousands(int64(rows/best.wall.Seconds())))
				// The raw COPY over as many connections is the ceiling:
				// lake's defaults read over one, which a peer reading
				// over several can pass.
				ceiling, over := "raw", "one connection's"
				if name == "lake-parallel" {
					ceiling, over = "raw-parallel", "the same connections'"
				}
				if raw := t.figures(ceiling); raw.ok {
					c.figures += fmt.Sprintf(" (%s raw COPY: %s rows/s)", over, thousands(int64(rows/raw.wall.Seconds())))
				}
				c.verdict = verdict(lake.wall <= best.wall)
			}
			checks = append(checks, c)
		}
	}
	checks = append(checks, r.rssCheck())
	for _, t := range r.tables {
		lake, duck := t.figures("lake-local"), t.figures("duckdb")
		c := check{target: "lake's Parquet bytes ≤ DuckDB's", scope: t.table.name, figures: "not measured", verdict: notMeasured}
		if lake.ok && duck.ok {
			c.figures = fmt.Sprintf("%.1f MB vs %.1f MB: %.2f ×", mb(lake.out), mb(duck.out), float64(lake.out)/float64(duck.out))
			c.verdict = verdict(lake.out <= duck.out)
		}
		checks = append(checks, c)
	}
	return checks
}

// rssCheck: lake's peak RSS on orders_10m is at most 300 MB, and at most 10%
// above orders_1m's (less is fine: memory must not grow with the table).
func (r report) rssCheck() check {
	c := check{
		target: fmt.Sprintf("lake's peak RSS ≤ %.0f MB and at most %.0f%% above orders_1m's", maxRSS10m/1e6, maxRSSGrowth*100),
		scope:  "orders_10m", verdict: notMeasured,
	}
	var small, big figures
	for _, t := range r.tables {
		switch t.table.name {
		case "orders_1m":
			small = t.figures("lake-local")
		case "orders_10m":
			big = t.figures("lake-local")
		}
	}
	if !small.ok || !big.ok {
		c.figures = "needs lake-local on orders_1m and orders_10m"
		return c
	}
	growth := float64(big.rss)/float64(small.rss) - 1
	c.figures = fmt.Sprintf("%.0f MB (orders_1m: %.0f MB, %+.0f%%)", mb(big.rss), mb(small.rss), growth*100)
	if big.anon > 0 && small.anon > 0 {
		c.figures += fmt.Sprintf("; anonymous memory %.0f MB (orders_1m: %.0f MB, %+.0f%%)",
			mb(big.anon), mb(small.anon), (float64(big.anon)/float64(small.anon)-1)*100)
	}
	c.verdict = verdict(big.rss <= maxRSS10m && growth <= maxRSSGrowth)
	return c
}
