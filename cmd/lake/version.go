package main

import (
	"fmt"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/lake-engine/lake/lake"
)

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print lake's version",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			fmt.Fprintf(cmd.OutOrStdout(), "lake %s (%s, %s/%s)\n", lake.Version(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
		},
	}
}
