package mysql_test

import (
	"strings"
	"testing"
	"time"

	"github.com/lake-engine/lake/loaders"
	"github.com/lake-engine/lake/loaders/loadertest"
)

// Once a table is counted and read, the snapshot no longer holds its
// metadata lock (loadertest.CheckReadReleasesLocks).
func TestReadTablesAreNotLockedForTheRestOfTheNight(t *testing.T) {
	dsn, admin := testDB(t)
	loadertest.CheckReadReleasesLocks(t, loadertest.LockDB{
		Exec:        func(t *testing.T, sql string) { exec(t, admin, sql) },
		LockTimeout: "SET SESSION lock_wait_timeout = 2",
		Snapshot:    func(t *testing.T) loaders.Snapshot { return snapshot(t, openSource(t, dsn)) },
	})
}

// A read waits for a table another session holds (LOCK TABLES ... WRITE,
// a long ALTER TABLE) no longer than the source's LockTimeout, then fails
// saying so; the snapshot stays usable for the other tables.
func TestReadOfALockedTableFailsAfterLockTimeout(t *testing.T) {
	dsn, admin := testDB(t)
	exec(t, admin, "CREATE TABLE locked (id int)")
	exec(t, admin, "CREATE TABLE other (id int)")
	exec(t, admin, "INSERT INTO other VALUES (1)")
	src := openSource(t, dsn)
	src.LockTimeout = time.Second
	snap := snapshot(t, src)
	// admin is one connection: its lock lasts until UNLOCK TABLES.
	exec(t, admin, "LOCK TABLES locked WRITE")
	t.Cleanup(func() { exec(t, admin, "UNLOCK TABLES") })

	start := time.Now()
	_, err := loadertest.Read(t, snap, loaders.Query{Name: "locked", Table: "locked"}, loaders.ReadOptions{})
	if err == nil {
		t.Fatal("read a table another session holds locked, want an error")
	}
	t.Log(err)
	if waited := time.Since(start); waited > 10*time.Second {
		t.Errorf("waited %s for the lock, want about the 1s lock timeout", waited)
	}
	for _, want := range []string{"Lock wait timeout", "lock_timeout (1s)", "lock_timeout in lake.yaml"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error does not say %q: %v", want, err)
		}
	}
	sink, err := loadertest.Read(t, snap, loaders.Query{Name: "other", Table: "other"}, loaders.ReadOptions{})
	if err != nil {
		t.Fatalf("read other after the timeout: %v", err)
	}
	if n := len(sink.Rows(t)); n != 1 {
		t.Errorf("other: %d rows, want 1", n)
	}
}
