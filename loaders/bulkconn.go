package loaders

import (
	"context"
	"net"
)

// DialFunc dials a source's connection; pgx and go-sql-driver/mysql take
// one of this shape.
type DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error)

// BulkDial returns dial with BulkReads around the connections it makes.
func BulkDial(dial DialFunc) DialFunc {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return BulkReads(c), nil
	}
}
