package lake

import (
	"fmt"
	"strings"
)

// DuckDBCluster returns the duckdb cluster called name, or the first one
// when name is empty.
func (c *Config) DuckDBCluster(name string) (ClusterConfig, error) {
	var names []string
	for _, cl := range c.Clusters {
		if cl.Engine != "duckdb" {
			continue
		}
		if name == "" || cl.Name == name {
			return cl, nil
		}
		names = append(names, cl.Name)
	}
	if name == "" {
		return ClusterConfig{}, fmt.Errorf("%s: no duckdb cluster configured; add one under clusters: (engine: duckdb, path: ./lake.duckdb)", c.Path)
	}
	return ClusterConfig{}, fmt.Errorf("%s: no duckdb cluster named %q; duckdb clusters: %s", c.Path, name, strings.Join(names, ", "))
}
