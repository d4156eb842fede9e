package main

import (
	"io"
	"log/slog"
)

// newLogger builds the server's logger from --log-format and --log-level.
func newLogger(format string, level slog.Level, w io.Writer) (*slog.Logger, error) {
	opts := &slog.HandlerOptions{Level: level}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, usageErr("serve", "--log-format %q: want text or json", format)
}
