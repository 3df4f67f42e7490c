package main

import (
	"context"
	"encoding/json"
	"io"

	"github.com/vigil-sec/vigil/internal/cli"
	"github.com/vigil-sec/vigil/internal/hostfs"
	"github.com/vigil-sec/vigil/internal/inventory"
)

func runInventory(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := cli.NewFlagSet("inventory", stderr)
	rootDir := fs.String("root", "/", "read the host tree under `DIR` instead of /")
	format := fs.String("format", "text", "output format: text or json")
	pos, err := cli.Parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return cli.UsageError("inventory takes no arguments, got %q", pos)
	}
	if err := cli.OneOf("format", *format, "text", "json"); err != nil {
		return err
	}
	root, err := hostfs.New(*rootDir)
	if err != nil {
		return cli.UsageError("%v", err)
	}
	inv, err := inventory.Collect(ctx, root, inventory.Options{})
	if err != nil {
		return err
	}
	if *format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(inv)
	}
	return inventory.WriteText(stdout, inv)
}
