// Command lake-demo makes and changes the demo SQLite shop database used by
// `make demo`: `create` builds customers, products, orders and order_items
// with deterministic pseudo-random data, and `night` simulates one day of
// production traffic (new orders, status changes, a few deletions).
//
// All data is generated inside SQLite (recursive CTEs and integer hashing of
// row ids), so the same flags always give the same database, and a million
// orders take seconds. This program is a demo helper: it must not be used by
// lake itself and owns nothing but the demo database.
package main
