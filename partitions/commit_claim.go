package partitions

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/lake-engine/lake/lake/warehouse"
)

// ClaimTTL is how long a claim holds without renewal. A committer renews
// its claim whenever less than half of it is left, before each copy; a run
// on another host may take a claim over only once it has expired.
var ClaimTTL = 10 * time.Minute

// claimPoll is how often a run waiting on another run's live claim looks
// again.
const claimPoll = 200 * time.Millisecond

// claimsDir is the hidden folder, inside a table's folder, that holds the
// claims of partitions being committed.
const claimsDir = ".claims"

// claimKey is where the claim of partition k lives:
// dwh/orders/.claims/ds=2026-11-22.json.
func claimKey(k Key) string { return k.TablePrefix() + claimsDir + "/ds=" + k.DS + ".json" }

// Claim says which run is committing a partition on a store without
// rename: only the holder of a partition's claim may write into its folder.
type Claim struct {
	RunID   string    `json:"run_id"`
	Host    string    `json:"host"`
	PID     int       `json:"pid"`
	Expires time.Time `json:"expires"`
}

// dead reports whether the claim's owner can no longer be writing: it ran
// on this host and its process is gone, or the claim expired.
func (c *Claim) dead(now time.Time, host string) bool {
	return now.After(c.Expires) || (c.Host == host && !warehouse.ProcessAlive(c.PID))
}

// heldClaim is a claim this process holds, at a known version.
type heldClaim struct {
	store   warehouse.Store
	sw      warehouse.Swapper
	key     string
	claim   Claim
	version string
}

// acquireClaim makes runID the holder of k's claim. It creates the claim if
// there is none, takes over a dead one by a conditional overwrite, and
// waits while a live run holds it. If the partition gets committed
// meanwhile, it returns ErrCommittedByOther.
func acquireClaim(ctx context.Context, store warehouse.Store, sw warehouse.Swapper, k Key, runID string) (*heldClaim, error) {
	host, _ := os.Hostname()
	key := claimKey(k)
	for {
		c := Claim{RunID: runID, Host: host, PID: os.Getpid(), Expires: time.Now().Add(ClaimTTL).UTC()}
		data, err := json.Marshal(c)
		if err != nil {
			return nil, err
		}
		err = store.PutIfAbsent(ctx, key, data)
		if err == nil {
			_, version, err := sw.ReadVersion(ctx, key)
			if err != nil {
				return nil, fmt.Errorf("read claim %s: %w", key, err)
			}
			return &heldClaim{store: store, sw: sw, key: key, claim: c, version: version}, nil
		}
		if !errors.Is(err, warehouse.ErrExists) {
			return nil, fmt.Errorf("claim %s: %w", k, err)
		}
		if done, err := committed(ctx, store, k); err != nil || done {
			if err == nil {
				err = ErrCommittedByOther
			}
			return nil, err
		}
		held, version, err := sw.ReadVersion(ctx, key)
		if errors.Is(err, warehouse.ErrNotExist) {
			continue // released meanwhile
		}
		if err != nil {
			return nil, fmt.Errorf("read claim %s: %w", key, err)
		}
		var other Claim
		// An unreadable claim cannot name a live owner.
		if json.Unmarshal(held, &other) != nil || other.dead(time.Now(), host) {
			newVersion, err := sw.ReplaceIfMatch(ctx, key, data, version)
			if err == nil {
				return &heldClaim{store: store, sw: sw, key: key, claim: c, version: newVersion}, nil
			}
			if !errors.Is(err, warehouse.ErrChanged) {
				return nil, fmt.Errorf("take over the claim of a dead run on %s: %w", k, err)
			}
			continue // another run took it over first
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(claimPoll):
		}
	}
}

// renew extends the claim when less than half of ClaimTTL is left. It fails
// if the claim is no longer this run's: then the run must stop writing.
func (h *heldClaim) renew(ctx context.Context) error {
	if time.Until(h.claim.Expires) > ClaimTTL/2 {
		return nil
	}
	c := h.claim
	c.Expires = time.Now().Add(ClaimTTL).UTC()
	data, err := json.Marshal(c)
	if err != nil {
		return err
	}
	version, err := h.sw.ReplaceIfMatch(ctx, h.key, data, h.version)
	if err != nil {
		return fmt.Errorf("renew claim %s: %w", h.key, err)
	}
	h.claim, h.version = c, version
	return nil
}

// check fails unless the claim is still this run's, at the version it wrote.
func (h *heldClaim) check(ctx context.Context) error {
	_, version, err := h.sw.ReadVersion(ctx, h.key)
	if err == nil && version != h.version {
		err = errors.New("taken over by another run")
	}
	if err != nil {
		return fmt.Errorf("claim %s lost: %w", h.key, err)
	}
	return nil
}

// release removes the claim. Only its holder calls it, and a live holder's
// claim is never taken over, so a plain delete is safe.
func (h *heldClaim) release(ctx context.Context) error {
	return h.store.Delete(ctx, h.key)
}

func committed(ctx context.Context, store warehouse.Store, k Key) (bool, error) {
	_, err := ReadManifest(ctx, store, k)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, ErrNotCommitted):
		return false, nil
	}
	return false, err
}

// removeStrays deletes the files in k's folder that m does not list (all of
// them when m is nil: a folder without a manifest holds only the leftovers
// of a committer that died). The caller holds k's claim.
func removeStrays(ctx context.Context, store warehouse.Store, k Key, m *Manifest) ([]string, error) {
	entries, err := store.List(ctx, k.Prefix())
	if err != nil {
		return nil, err
	}
	listed := map[string]bool{ManifestName: m != nil}
	if m != nil {
		for _, f := range m.Files {
			listed[f.Name] = true
		}
	}
	var removed []string
	for _, e := range entries {
		name := strings.TrimPrefix(e.Key, k.Prefix())
		if listed[name] {
			continue
		}
		if err := store.Delete(ctx, e.Key); err != nil {
			return removed, err
		}
		removed = append(removed, e.Key)
	}
	return removed, nil
}

// commitByClaim is step 4 on a store without rename (see doc.go): claim,
// clear, copy, manifest last, release.
func (a *Attempt) commitByClaim(ctx context.Context, sw warehouse.Swapper, m *Manifest) error {
	hold, err := acquireClaim(ctx, a.store, sw, a.key, a.runID)
	if errors.Is(err, ErrCommittedByOther) {
		a.Abort(context.WithoutCancel(ctx))
		return fmt.Errorf("commit %s: %w", a.key, ErrCommittedByOther)
	}
	if err != nil {
		return fmt.Errorf("commit %s: %w", a.key, err)
	}
	keepClaim := false
	defer func() {
		if !keepClaim {
			hold.release(context.WithoutCancel(ctx))
		}
	}()

	// A run may have committed and released between our look and our claim.
	if done, err := committed(ctx, a.store, a.key); err != nil || done {
		if err == nil {
			a.Abort(context.WithoutCancel(ctx))
			err = ErrCommittedByOther
		}
		return fmt.Errorf("commit %s: %w", a.key, err)
	}
	if _, err := removeStrays(ctx, a.store, a.key, nil); err != nil {
		return fmt.Errorf("commit %s: clear leftovers of a dead committer: %w", a.key, err)
	}
	for _, f := range m.Files {
		if err := hold.renew(ctx); err != nil {
			return fmt.Errorf("commit %s: %w", a.key, err)
		}
		if err := a.store.Copy(ctx, a.prefix+f.Name, a.key.Prefix()+f.Name); err != nil {
			return fmt.Errorf("commit %s: %w", a.key, err)
		}
	}
	if err := hold.check(ctx); err != nil {
		return fmt.Errorf("commit %s: %w", a.key, err)
	}
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	// The commit point.
	err = a.store.PutIfAbsent(ctx, a.key.ManifestKey(), append(data, '\n'))
	if errors.Is(err, warehouse.ErrExists) {
		// Only after our claim was taken over: remove what we copied, by
		// name (our names carry our run id), and leave.
		for _, f := range m.Files {
			a.store.Delete(context.WithoutCancel(ctx), a.key.Prefix()+f.Name)
		}
		a.Abort(context.WithoutCancel(ctx))
		return fmt.Errorf("commit %s: %w", a.key, ErrCommittedByOther)
	}
	if err != nil {
		return fmt.Errorf("commit %s: write manifest: %w", a.key, err)
	}
	// Committed. A copy by a run that lost its claim while paused could
	// still have landed in the folder: remove anything the manifest does
	// not list, so that the folder holds exactly the manifest's files.
	if _, err := removeStrays(ctx, a.store, a.key, m); err != nil {
		// Keep the claim: once this process is gone, Sweep takes it over
		// and removes what the manifest does not list.
		keepClaim = true
		return fmt.Errorf("commit %s: remove stray files: %w: %w", a.key, ErrLeftovers, err)
	}
	if err := a.Abort(ctx); err != nil {
		return fmt.Errorf("commit %s: remove the attempt: %w: %w", a.key, ErrLeftovers, err)
	}
	return nil
}

// sweepClaims releases the claims of one table whose holder is dead, after
// removing what it left in the partition folder: everything if the folder
// has no manifest, the files the manifest does not list if it has one.
func sweepClaims(ctx context.Context, store warehouse.Store, schema, table, runID string) ([]string, error) {
	sw, ok := store.(warehouse.Swapper)
	if !ok {
		return nil, nil
	}
	prefix := Key{Schema: schema, Table: table}.TablePrefix() + claimsDir + "/"
	entries, err := store.List(ctx, prefix)
	if err != nil {
		return nil, err
	}
	host, _ := os.Hostname()
	var removed []string
	for _, e := range entries {
		ds, ok := strings.CutPrefix(strings.TrimPrefix(e.Key, prefix), "ds=")
		if !ok {
			continue
		}
		ds, ok = strings.CutSuffix(ds, ".json")
		if !ok {
			continue
		}
		k := Key{Schema: schema, Table: table, DS: ds}
		data, version, err := sw.ReadVersion(ctx, e.Key)
		if err != nil {
			continue // released meanwhile
		}
		var c Claim
		if json.Unmarshal(data, &c) == nil && !c.dead(time.Now(), host) {
			continue
		}
		// Take the dead claim over like a committer would, so that no other
		// run writes into the folder while it is cleared.
		mine := Claim{RunID: runID, Host: host, PID: os.Getpid(), Expires: time.Now().Add(ClaimTTL).UTC()}
		data, err = json.Marshal(mine)
		if err != nil {
			return removed, err
		}
		if _, err := sw.ReplaceIfMatch(ctx, e.Key, data, version); err != nil {
			if errors.Is(err, warehouse.ErrChanged) {
				continue // another run took it over or released it
			}
			return removed, err
		}
		hold := &heldClaim{store: store, sw: sw, key: e.Key, claim: mine}
		m, err := ReadManifest(ctx, store, k)
		if err != nil && !errors.Is(err, ErrNotCommitted) {
			hold.release(ctx)
			return removed, err
		}
		if err != nil {
			m = nil
		}
		strays, err := removeStrays(ctx, store, k, m)
		removed = append(removed, strays...)
		if rerr := hold.release(ctx); err == nil {
			err = rerr
		}
		if err != nil {
			return removed, err
		}
	}
	return removed, nil
}
