// Package partitions owns the ds partition model: where a partition lives,
// what its manifest says, and the write-once protocol that commits it.
//
// Nouns:
//
//   - Key: schema, table and ds of one partition. Its folder is
//     <schema>/<table>/ds=YYYY-MM-DD/ in the warehouse.
//   - Manifest: _manifest.json inside the partition folder. It lists the
//     partition's files and everything needed to trust and reproduce them
//     (source, query, row counts, schema, run id, timings). A partition
//     exists if and only if its manifest is committed; readers never look at
//     a folder without one.
//   - Attempt: one run's try at one partition. It writes into a hidden
//     folder <schema>/<table>/.attempts/<run>-ds=YYYY-MM-DD/ and leaves an
//     owner record beside it (<run>-ds=YYYY-MM-DD.json: host, pid, start).
//     Names starting with "." or "_" are ignored by Trino, Presto, Hive and
//     by lake itself, so nothing of an attempt is ever read as data.
//   - Sweep: removal of what runs whose owner is gone (crashed or killed)
//     left: attempts, claims and files in uncommitted folders.
//   - Claim: on a store without rename (S3), the create-only object
//     <schema>/<table>/.claims/ds=YYYY-MM-DD.json (run, host, pid, expiry)
//     that makes one run the only writer of a partition folder while it
//     commits.
//
// Write order (must), on every store:
//
//  1. Begin writes the owner record, then the attempt's data files go into
//     the attempt folder.
//  2. The caller verifies the files (Parquet footer, row counts) and Commit
//     checks that the attempt folder holds exactly the manifest's files.
//  3. Commit makes the partition appear, manifest last (below).
//  4. Only then may clusters and _latest views be pointed at the partition.
//
// On a folder (warehouse.Publisher), step 3 writes the manifest into the
// attempt folder and publishes the attempt folder as the partition folder
// in one atomic rename that never replaces an existing one
// (RENAME_NOREPLACE). Of two racing runs exactly one wins; the other gets
// ErrCommittedByOther and removes its attempt.
//
// On S3 (warehouse.Swapper; there is no rename), step 3 is:
//
//	a. Claim: create the claim with If-None-Match: *. If a live run holds
//	   it, wait; if the partition gets a manifest meanwhile, stop with
//	   ErrCommittedByOther. A dead claim (its process is gone on this host,
//	   or it expired: ClaimTTL) may be taken over only by a conditional
//	   overwrite (If-Match on the ETag read), so one run wins a takeover.
//	b. With the claim held and no manifest present, delete every file in
//	   the partition folder: they can only be a dead committer's copies.
//	c. Server-side copy the attempt's files into the partition folder,
//	   renewing the claim (If-Match) whenever half its TTL has passed; a
//	   failed renewal stops the commit.
//	d. Check the claim is still ours, then write _manifest.json with
//	   If-None-Match: *. This is the commit point: the partition exists iff
//	   this write succeeded. A 412 means another run committed (only
//	   possible after a takeover): remove our copies by name and stop with
//	   ErrCommittedByOther.
//	e. Delete anything in the folder the manifest does not list (a copy by
//	   a run that lost its claim while paused), then the attempt, then the
//	   claim.
//
// Must-rules: nothing is ever written into a partition folder without
// holding its claim; the manifest is written create-only and last; a
// committed manifest's files are never deleted or changed; readers (List,
// clusters) consider only folders with a manifest, and only its files.
//
// A crash before the commit point leaves a hidden attempt (its incomplete
// multipart uploads included) and maybe a claim and copies in the folder;
// a crash after it leaves a committed partition, an attempt and a claim.
// Sweep removes all of these once their owner is dead, taking the claim
// over first, and never deletes a file a manifest lists. A committed
// partition is never written to again: a re-run of a committed ds is a
// no-op.
//
// This package must not read sources or talk to clusters.
package partitions
