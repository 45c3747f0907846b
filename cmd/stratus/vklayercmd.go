package main

import (
	"context"
	"errors"
	"fmt"

	"stratus/title/process/vklayer"
)

// runVKLayer is `stratus vklayer DIR`: it builds the Vulkan present layer
// that Vulkan games run with (package vklayer) into DIR. Shipped as vklayer/
// beside the stratus binary, it spares an edge the C compiler and the
// Vulkan headers it would otherwise build the layer with at first need.
func runVKLayer(args []string) error {
	if len(args) != 1 || args[0] == "" || args[0][0] == '-' {
		return errors.New("usage: stratus vklayer DIR")
	}
	l, err := vklayer.Build(context.Background(), args[0], "")
	if err != nil {
		return err
	}
	fmt.Printf("built %s in %s\n", vklayer.Name, l.Dir)
	return nil
}
