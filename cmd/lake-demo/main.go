package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
)

const usage = `usage:
  lake-demo create --db PATH [--orders N] [--now YYYY-MM-DD] [--force]
  lake-demo night  --db PATH --day YYYY-MM-DD

create  makes the demo shop database: N orders (default 1000000) created over
        the 3 years before --now (default today, UTC).
night   simulates one day of production: new orders created that day, status
        changes of recent orders, a few cancelled orders deleted.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "lake-demo:", err)
		}
		os.Exit(2)
	}
}

func run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(os.Stderr, usage)
		return errors.New("missing command")
	}
	switch args[0] {
	case "create":
		return runCreate(ctx, args[1:])
	case "night":
		return runNight(ctx, args[1:])
	case "-h", "-help", "--help", "help":
		fmt.Fprint(os.Stdout, usage)
		return nil
	}
	fmt.Fprint(os.Stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}

// newFlagSet returns a flag set that prints the program usage on errors.
func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet("lake-demo "+name, flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usage, "\nflags of ", name, ":\n")
		fs.PrintDefaults()
	}
	return fs
}
