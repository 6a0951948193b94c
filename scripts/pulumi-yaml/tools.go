//go:build tools

// Package tools pins the Pulumi YAML language host (pulumi-language-yaml) for
// scripts/ensure-pulumi.sh, which builds it beside the CLI so that
// examples/yaml (a `runtime: yaml` project) runs through the real engine.
package tools

import (
	_ "github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml"
)
