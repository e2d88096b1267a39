package lake_test

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/lake-engine/lake/lake"
)

// A table another session holds locked (a long migration, a LOCK TABLE)
// fails alone once the source's lock_timeout has passed, saying who holds
// it, rather than holding up the night; the tables before and after it
// commit.
func TestLockedTableFailsAloneAfterLockTimeout(t *testing.T) {
	ctx := context.Background()
	dsn, _ := newSourceDB(t,
		`CREATE TABLE before_it (id int)`, `INSERT INTO before_it VALUES (1)`,
		`CREATE TABLE locked (id int)`, `INSERT INTO locked VALUES (1)`,
		`CREATE TABLE after_it (id int)`, `INSERT INTO after_it VALUES (1)`,
	)
	holder, err := pgx.Connect(ctx, dsn+"&application_name=migration")
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close(ctx)
	tx, err := holder.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `LOCK TABLE locked IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}

	cfg := pgConfig(t, t.TempDir(), dsn, ", lock_timeout: 1s",
		"{name: before_it, source: pg}", "{name: locked, source: pg}", "{name: after_it, source: pg}")
	rep := run(t, newJob(t, cfg), "2026-11-20")
	got := map[string]lake.TableResult{}
	for _, tr := range rep.Tables {
		got[tr.Table] = tr
	}
	for _, name := range []string{"dwh.before_it", "dwh.after_it"} {
		if s := got[name].Status; s != lake.StatusCommitted {
			t.Errorf("%s: %s (%s), want committed", name, s, got[name].Message)
		}
	}
	locked := got["dwh.locked"]
	t.Logf("dwh.locked: %s: %s", locked.Status, locked.Message)
	if locked.Status != lake.StatusFailed {
		t.Fatalf("locked: %s, want failed", locked.Status)
	}
	for _, want := range []string{"lock timeout", "lock_timeout (1s)", "locked by pid", "(migration)", "lock_timeout in lake.yaml"} {
		if !strings.Contains(locked.Message, want) {
			t.Errorf("the message does not say %q:\n%s", want, locked.Message)
		}
	}
}
