package lake

import "runtime/debug"

// version is set at build time with -ldflags "-X github.com/lake-engine/lake/lake.version=v1.2.3".
var version = ""

// Version returns lake's version: the one set at build time, else the
// module version or VCS revision Go recorded, else "dev".
func Version() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			return bi.Main.Version
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				return "dev-" + s.Value[:12]
			}
		}
	}
	return "dev"
}
